"""Instructions per request for the dashboard reads, counted by callgrind: a figure that does
not move with the machine's load, for comparing two trees of the read path.

    .venv/bin/python tests/benchmarks/bench_read_instructions.py --reuse NAME
        [--baseline DIR] [--requests 20]

NAME is a database kept by ``bench_peer.py --keep`` (the measurements district; without
``--reuse`` the script says so and counts nothing, as under ``make bench``). Each read
(bench_peer's: the scorecard, the 200-row comparison, 200 schools; and ``{ __typename }``,
the floor every request pays) is sent ``--requests`` times straight to the ASGI app in one
process, with its token, after five warm-up requests; valgrind's callgrind counts the
instructions of those requests only (``--instr-atstart=no``, switched on around them). No
HTTP server, no load generator: what is counted is the app's own work, the database's
excluded. ``--baseline DIR`` counts a second source tree (a ``git worktree`` of another
commit) the same way, beside this one. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1] / "src"
READS = ["scorecard(view: DASHBOARD)", "schoolComparison (200 rows)", "schools(first: 200)"]
FLOOR = "{ __typename }"


async def _send_all(body: bytes, token: str, requests: int) -> None:
    """Runs in the counted process: five warm-ups, then ``requests`` counted requests."""
    import logging

    from district_ppm.app import create_app

    logging.disable(logging.CRITICAL)
    app = create_app()
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {token}".encode()),
    ]

    async def one() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()
            raise AssertionError

        messages: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await app(scope, receive, send)
        answer = b"".join(m.get("body", b"") for m in messages[1:])
        if messages[0]["status"] != 200 or b'"errors"' in answer:
            raise SystemExit(f"the read failed: {answer[:300]!r}")

    startup: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, startup.get, replies.put)
    )
    await startup.put({"type": "lifespan.startup"})
    await replies.get()
    for _ in range(5):
        await one()
    counting_instructions(True)
    for _ in range(requests):
        await one()
    counting_instructions(False)
    await startup.put({"type": "lifespan.shutdown"})
    await replies.get()
    await lifespan


def counting_instructions(on: bool) -> None:
    """Switch callgrind's count on or off in this process (run under ``callgrind_instructions``).
    Blocking on purpose: nothing else runs meanwhile, and the count starts when it returns."""
    toggle = [shutil.which("callgrind_control") or "callgrind_control", "--instr"]
    subprocess.run(
        [*toggle, "on" if on else "off", str(os.getpid())], check=True, capture_output=True
    )


def callgrind_instructions(child: str, arguments: list[str], env: dict[str, str]) -> int:
    """Instructions callgrind counted while ``python -c child arguments...`` had counting on
    (``counting_instructions``); it starts with counting off."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [
                shutil.which("valgrind") or "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={scratch}/out.%p",
                sys.executable,
                "-c",
                child,
                *arguments,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
    found = re.search(r"Collected : ([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def count(source: Path, body: dict[str, Any], token: str, requests: int, database_url: str) -> int:
    """Instructions per request of ``source``'s app answering ``body``."""
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "DISTRICT_PPM_DATABASE_URL": database_url,
        "DISTRICT_PPM_ENVIRONMENT": "production",
        "DISTRICT_PPM_RESPONSE_CACHE": "false",
        "DISTRICT_PPM_RATE_LIMIT_PER_MINUTE": "100000000",
        "DISTRICT_PPM_RATE_LIMIT_BURST": "10000000",
    }
    child = (
        "import asyncio, json, sys; sys.path.insert(0, sys.argv[1]); "
        "import bench_read_instructions as b; "
        "asyncio.run(b._send_all(sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])))"
    )
    arguments = [str(HERE), json.dumps(body), token, str(requests)]
    return callgrind_instructions(child, arguments, env) // requests


def counting_arguments(description: str, requests: int) -> argparse.ArgumentParser:
    """The options both instruction counts take (this one and bench_served_instructions)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--reuse", metavar="NAME", help="a database kept by bench_peer --keep")
    parser.add_argument("--baseline", type=Path, help="another source tree (its root)")
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--small", action="store_true", help="(make bench's flag: no effect)")
    return parser


class Counting(NamedTuple):
    token: str
    database_url: str
    bodies: dict[str, dict[str, Any]]  # each read's GraphQL request body, by name
    trees: list[tuple[str, Path]]  # (name, src directory) of each source tree counted


def counting(args: argparse.Namespace) -> Counting | None:
    """What to count: the reads of the ``--reuse`` district (bench_peer's three and the
    floor) and the trees; None, said why, without ``--reuse``."""
    if args.reuse is None:
        # make bench runs every script: this one counts on a district bench_peer built.
        print("no --reuse NAME: run `bench_peer.py --keep` first, then this with its database")
        return None
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    sys.path.insert(0, str(HERE))
    import bench_measures  # puts src/ on the path; its settings read the URL set here

    database_url = bench_measures.BASE_URL.rsplit("/", 1)[0] + "/" + args.reuse
    os.environ["DISTRICT_PPM_DATABASE_URL"] = database_url
    import bench_peer

    from district_ppm.config import get_settings

    district = asyncio.run(bench_peer.find_district(get_settings()))
    bodies = dict(zip(READS, (read.ours for read in district.reads()), strict=True))
    bodies[FLOOR] = {"query": FLOOR}
    trees = [("this tree", SOURCE)]
    if args.baseline is not None:
        trees.append((f"baseline {args.baseline}", args.baseline.resolve() / "src"))
    return Counting(district.token, database_url, bodies, trees)


def main() -> int:
    args = counting_arguments(__doc__.splitlines()[0], requests=20).parse_args()
    setup = counting(args)
    if setup is None:
        return 0
    token, database_url, bodies, trees = setup
    print(f"instructions per request, {args.requests} requests each (callgrind)")
    for read, body in bodies.items():
        counted = [count(source, body, token, args.requests, database_url) for _, source in trees]
        line = f"{read:30s} " + "  ".join(
            f"{name}: {value / 1e6:6.2f}M" for (name, _), value in zip(trees, counted, strict=True)
        )
        if len(counted) == 2:
            line += f"  ({counted[0] / counted[1]:.2f}x)"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
