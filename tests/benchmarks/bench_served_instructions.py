"""Instructions per request of ``district-ppm serve`` itself under concurrent load, counted by
callgrind: what ``bench_read_instructions.py`` counts, plus what only a served, loaded process
does (uvicorn's HTTP, several requests in flight, the garbage collector walking them), still
independent of the machine's load.

    .venv/bin/python tests/benchmarks/bench_served_instructions.py --reuse NAME
        [--baseline DIR] [--requests 200] [--clients 8]

NAME is a database kept by ``bench_peer.py --keep``. For each source tree (this one, and
``--baseline DIR``, a ``git worktree`` of another commit), one ``district-ppm serve`` process
runs under valgrind's callgrind with counting off; for each read (bench_peer's three and
``{ __typename }``) ``--clients`` keep-alive connections send 40 requests to warm it, then
counting is switched on for ``--requests`` requests and the count dumped. Slow (valgrind runs
the server about 50 times slower): about a minute per tree. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_read_instructions import counting, counting_arguments

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
WARM_UP = 40


async def _send(port: int, request: bytes, count: int, clients: int) -> None:
    """``count`` requests over ``clients`` keep-alive connections, each checked."""
    import peer_load

    connections = [await peer_load.Connection.open(HOST, port) for _ in range(clients)]
    left = [count]

    async def client(connection: peer_load.Connection) -> None:
        while left[0] > 0:
            left[0] -= 1
            status, _, body = await connection.exchange(request)
            peer_load.check(status, body)

    try:
        await asyncio.gather(*(client(connection) for connection in connections))
    finally:
        for connection in connections:
            connection.close()


async def _until_answered(port: int, request: bytes, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300  # valgrind's start takes a while
    while True:
        try:
            await _send(port, request, 1, 1)
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server under valgrind did not answer") from None
            await asyncio.sleep(1)


def _callgrind(pid: int, *command: str) -> None:
    control = shutil.which("callgrind_control") or "callgrind_control"
    subprocess.run([control, *command, str(pid)], check=True, capture_output=True)


def _total(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no total in {dump}")


def count_tree(
    source: Path, bodies: dict[str, dict], token: str, database_url: str, args: argparse.Namespace
) -> dict[str, int]:
    """Instructions per request of each read, served by ``source``'s app."""
    import bench_measures
    import peer_load

    port = bench_measures.free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "PYTHONHASHSEED": "0",
        "DISTRICT_PPM_DATABASE_URL": database_url,
        "DISTRICT_PPM_ENVIRONMENT": "production",
        "DISTRICT_PPM_RESPONSE_CACHE": "false",
        "DISTRICT_PPM_RATE_LIMIT_PER_MINUTE": "100000000",
        "DISTRICT_PPM_RATE_LIMIT_BURST": "10000000",
    }
    counted: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        serve = [sys.executable, str(Path(sys.executable).with_name("district-ppm"))]
        server = subprocess.Popen(
            [
                shutil.which("valgrind") or "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={scratch}/out",
                *serve,
                *("serve", "--host", HOST, "--port", str(port), "--workers", "1"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            for read, body in bodies.items():
                request = peer_load.encode_post(
                    HOST,
                    port,
                    "/graphql",
                    json.dumps(body).encode(),
                    {"Authorization": f"Bearer {token}"},
                )
                asyncio.run(_until_answered(port, request, server))
                asyncio.run(_send(port, request, WARM_UP, args.clients))
                _callgrind(server.pid, "--zero")
                _callgrind(server.pid, "--instr=on")
                asyncio.run(_send(port, request, args.requests, args.clients))
                _callgrind(server.pid, "--dump")
                _callgrind(server.pid, "--instr=off")
                dumps = sorted(Path(scratch).glob("out.*"), key=lambda path: path.stat().st_mtime)
                counted[read] = _total(dumps[-1]) // args.requests
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    return counted


def main() -> int:
    parser = counting_arguments(__doc__.splitlines()[0], requests=200)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    setup = counting(args)
    if setup is None:
        return 0
    token, database_url, bodies, trees = setup
    counts = [count_tree(source, bodies, token, database_url, args) for _, source in trees]
    print(
        f"instructions per request, served, {args.clients} clients, "
        f"{args.requests} requests each (callgrind)"
    )
    for read in bodies:
        line = f"{read:30s} " + "  ".join(
            f"{name}: {tree_counts[read] / 1e6:6.2f}M"
            for (name, _), tree_counts in zip(trees, counts, strict=True)
        )
        if len(counts) == 2:
            line += f"  ({counts[0][read] / counts[1][read]:.2f}x)"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
