"""Instructions per computation of the sustainability verdicts of a date, counted by callgrind:
a figure that does not move with the machine's load, for comparing two trees of the verdicts'
arithmetic (the XmR rules, the checks, the series read); and of the leadership forum's agenda,
on the same past date (its plans' verdicts computed) and on today (served as stored).

    .venv/bin/python tests/benchmarks/bench_verdict_instructions.py --reuse
        [--baseline DIR] [--requests 3]
        [--read compliance|agenda|agenda-today|compliance-history|agenda-history]
        [--over-http [--read compliance-stored|me]]

``--reuse`` counts on the district ``bench_improvement.py --keep`` left (100 plans, 540
control series); without it the script says so and counts nothing (as under ``make bench``).
In one process per source tree (this one, and ``--baseline DIR``, a ``git worktree`` of
another commit), ``sustainabilityCompliance(asOf)``'s service (``compliance_report``, its
verdicts computed: the date is four months back, and the worker's verdict history is made
stale first, as a write to a verdict's input makes it) runs twice to warm up, then ``--requests``
times with callgrind counting, each in its own tenant transaction as the app role, the
garbage collector set as a served process sets it; ``--read agenda`` runs the agenda's
service (``generate_agenda``) instead. No HTTP server: the count is the read's own work, the
database's excluded. ``--over-http`` counts instead the whole request a dashboard sends
(``bench_improvement``'s GraphQL document with a VIEWER's token, straight to the ASGI app, as
``bench_read_instructions`` sends the dashboard reads): the reads above, and
``compliance-stored`` (the stored verdicts) and ``me`` (``me { role }``, a request's fixed
cost). ``compliance-history`` and ``agenda-history`` are the two past-date reads served from
the verdict history, which the worker's job stores first (this tree's job: not with a
baseline older than it). Needs valgrind.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bench_read_instructions import callgrind_instructions, counting_instructions

# What a committed write to one of a verdict's inputs does (bench_improvement.STALE_HISTORY_SQL).
STALE_HISTORY_SQL = (
    "UPDATE district_data_versions SET inputs_version = inputs_version + 1 WHERE district_id = $1"
)

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1] / "src"
DATABASE = "district_ppm_bench_improvement_kept"  # bench_improvement.py --keep
MONTHS_BACK = 4  # bench_improvement's past date: its verdicts are computed, none stored
LEADERSHIP_FORUM = "District leadership"  # bench_improvement.LEADERSHIP_FORUM: 300 measures


async def _compute_all(requests: int, read: str = "compliance", over_http: bool = False) -> None:
    """Runs in the counted process: two warm-ups, then ``requests`` counted computations;
    ``over_http``: the whole GraphQL request instead, sent to the app (five warm-ups)."""
    import asyncpg

    from district_ppm.app import YOUNG_COLLECTION_EVERY
    from district_ppm.config import get_settings
    from district_ppm.db.engine import create_app_engine, make_sessionmaker
    from district_ppm.db.tenancy import tenant_transaction
    from district_ppm.governance.agenda import generate_agenda
    from district_ppm.sustainability.compliance import compliance_report
    from district_ppm.sustainability.periods import add_months
    from district_ppm.tenancy.calendar import district_today

    settings = get_settings()
    admin = settings.admin_url.set(drivername="postgresql")
    owner = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        district_id = await owner.fetchval("SELECT id FROM districts WHERE slug = 'bench'")
        forum_id = await owner.fetchval(
            "SELECT id FROM forums WHERE district_id = $1 AND name = $2",
            district_id,
            LEADERSHIP_FORUM,
        )
        if not read.endswith("-history"):
            # As a write to a verdict's input does: the verdicts are computed, not served.
            await owner.execute(STALE_HISTORY_SQL, district_id)
    finally:
        await owner.close()
    sessions = make_sessionmaker(create_app_engine(settings))
    if read.endswith("-history"):
        await _store_history(sessions, district_id)
        read = read.removesuffix("-history")
    async with tenant_transaction(sessions, district_id) as session:
        today = await district_today(session=session, district_id=district_id)
    as_of = today if read == "agenda-today" else add_months(today.replace(day=1), -MONTHS_BACK)
    if over_http:
        await _send_read(settings, district_id, forum_id, read, as_of, requests)
        return

    async def once() -> None:
        async with tenant_transaction(sessions, district_id) as session:
            if read == "compliance":
                await compliance_report(session=session, district_id=district_id, as_of=as_of)
            else:
                await generate_agenda(
                    session=session, district_id=district_id, forum_id=forum_id, as_of=as_of
                )

    for _ in range(2):
        await once()
    # As a served process collects (district_ppm.app's lifespan): what startup built frozen,
    # a young collection every YOUNG_COLLECTION_EVERY new containers.
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
    counting_instructions(True)
    for _ in range(requests):
        await once()
    counting_instructions(False)


async def _store_history(sessions: Any, district_id: Any) -> None:
    """The worker's verdict history, stored before anything is counted."""
    from district_ppm.jobs.service import run_job
    from district_ppm.sustainability.jobs import store_verdict_history_job

    await run_job(
        sessionmaker=sessions,
        district_id=district_id,
        actor_name=store_verdict_history_job.name,
        message_id="instruction-count",
        body=store_verdict_history_job.handler,
    )


async def _send_read(
    settings: Any, district_id: Any, forum_id: Any, read: str, as_of: date, requests: int
) -> None:
    """``read`` as a dashboard sends it, with a VIEWER's token, through the whole app
    (``bench_read_instructions._send_all``: HTTP handling, GraphQL, the answer's JSON)."""
    import json
    from datetime import timedelta

    from bench_read_instructions import _send_all
    from improvement_reads import AGENDA, COMPLIANCE, ME

    from district_ppm.db.engine import create_admin_engine, make_sessionmaker
    from district_ppm.tenancy import service as tenancy
    from district_ppm.tenancy.models import Role

    admin = create_admin_engine(settings)
    async with make_sessionmaker(admin)() as session, session.begin():
        _, token = await tenancy.create_token(
            session=session,
            district_id=district_id,
            role=Role.VIEWER,
            name="instruction count",
            ttl=timedelta(hours=1),
        )
    await admin.dispose()
    query, variables = {
        "compliance": (COMPLIANCE, {"asOf": as_of.isoformat()}),
        "compliance-stored": (COMPLIANCE, {"asOf": None}),
        "agenda": (AGENDA, {"forumId": str(forum_id), "asOf": as_of.isoformat()}),
        "agenda-today": (AGENDA, {"forumId": str(forum_id), "asOf": as_of.isoformat()}),
        "me": (ME, {}),
    }[read]
    body = json.dumps({"query": query, "variables": variables}).encode()
    await _send_all(body, token, requests)


def count(
    source: Path, requests: int, database_url: str, read: str, over_http: bool = False
) -> int:
    """Instructions per computation (or request, ``over_http``) with ``source``'s code."""
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "DISTRICT_PPM_DATABASE_URL": database_url,
        "DISTRICT_PPM_ENVIRONMENT": "test",
        # Every request executed (over HTTP): no cached answer, no rate limit in the way.
        "DISTRICT_PPM_RESPONSE_CACHE": "false",
        "DISTRICT_PPM_RATE_LIMIT_PER_MINUTE": "100000000",
        "DISTRICT_PPM_RATE_LIMIT_BURST": "10000000",
    }
    child = (
        "import asyncio, sys; sys.path.insert(0, sys.argv[1]); "
        "import bench_verdict_instructions as b; "
        "asyncio.run(b._compute_all(int(sys.argv[2]), sys.argv[3], sys.argv[4] == 'http'))"
    )
    arguments = [str(HERE), str(requests), read, "http" if over_http else "service"]
    return callgrind_instructions(child, arguments, env) // requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help=f"count on {DATABASE}")
    parser.add_argument("--baseline", type=Path, help="another source tree (its root)")
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--small", action="store_true", help="(make bench's flag: no effect)")
    parser.add_argument(
        "--read",
        choices=(
            "compliance",
            "agenda",
            "agenda-today",
            "compliance-stored",
            "me",
            "compliance-history",
            "agenda-history",
        ),
        default="compliance",
    )
    parser.add_argument(
        "--over-http",
        action="store_true",
        help="count the whole GraphQL request sent to the app (needed by compliance-stored, me)",
    )
    args = parser.parse_args()
    if args.read in ("compliance-stored", "me") and not args.over_http:
        parser.error(f"--read {args.read} is a request: add --over-http")
    if not args.reuse:
        # make bench runs every script: this one counts on a district bench_improvement kept.
        print("no --reuse: run `bench_improvement.py --keep` first, then this with --reuse")
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    sys.path.insert(0, str(HERE))
    import bench_measures  # puts src/ on the path; only its BASE_URL is read here

    database_url = bench_measures.BASE_URL.rsplit("/", 1)[0] + "/" + DATABASE
    trees = [("this tree", SOURCE)]
    if args.baseline is not None:
        trees.append((f"baseline {args.baseline}", args.baseline.resolve() / "src"))
    counts = [
        count(source, args.requests, database_url, args.read, args.over_http) for _, source in trees
    ]
    name = {
        "compliance": "sustainabilityCompliance(asOf)",
        "compliance-stored": "sustainabilityCompliance (stored)",
        "agenda": "agenda(leadership forum, asOf)",
        "agenda-today": "agenda(leadership forum, today)",
        "me": "me { role }",
        "compliance-history": "sustainabilityCompliance(asOf) from the verdict history",
        "agenda-history": "agenda(leadership forum, asOf) from the verdict history",
    }[args.read]
    what = "GraphQL request over HTTP to the app" if args.over_http else "computation"
    print(f"instructions per {name} {what}, {args.requests} each (callgrind)")
    line = f"{trees[0][0]}: {counts[0] / 1e6:.1f}M"
    if len(counts) == 2:
        line += f"  {trees[1][0]}: {counts[1] / 1e6:.1f}M  ({counts[0] / counts[1]:.2f}x)"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
