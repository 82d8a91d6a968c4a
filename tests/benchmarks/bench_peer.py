"""District PPM's GraphQL API side by side with PostGraphile 4 on the same database.

    make bench-peer                                              # the full district
    .venv/bin/python tests/benchmarks/bench_peer.py --small      # a quick smoke run
    .venv/bin/python tests/benchmarks/bench_peer.py --keep       # keep the database, print its name
    .venv/bin/python tests/benchmarks/bench_peer.py --reuse NAME # measure a kept database again

The database is bench_measures.py's district, built by its own functions: 200 schools x 60
measures x 60 months = 720,000 measurements imported over HTTP, then the status refresh of
every measure so that the scorecard has its rows (``--small``: 20 x 10 x 12). It is dropped at
the end unless ``--keep``; a ``--reuse``d database is never dropped.

The two servers:
- ours, ``district-ppm serve`` in a subprocess as production runs it (``--api-workers N``
  passes ``--workers N``), on the bench database, rate limits raised so that none of the load
  is refused; every request pays its bearer-token lookup and its two log lines (the
  production default, INFO), as in production. Its response cache is OFF, so that every
  request is executed as the peer's are (the issue's goal); ``--response-cache`` measures it
  on (warm: repeated reads answered from Redis), and any answer marked ``x-cache: hit`` in a
  run without it is an error;
- the peer, PostGraphile 4 (pinned in peer/package.json, installed with npm under
  .local/bench-peer/, never globally) as a library in peer/server.js with its production
  options (its query log off), connected as OUR restricted app role, so row-level security
  applies to it too, and the tenant set per request through pgSettings (``app.district_id``
  from a header, the setting our policies read). It checks no token: that is in its favour.

The same reads, as close as PostGraphile can get. It computes no ranks, percentiles or
medians, so it is given the raw rows those are computed from, as the issue's author did:
- ``scorecard(view: DASHBOARD, schoolYear)`` rows {measure{code} latestValue target status
  trend}; peer: the measures of each DASHBOARD stage (one root field per stage: its
  conditions are equalities on a row's own columns), each with its district-wide
  ``measure_statuses`` row of the year, found by the foreign key: exactly our rows, in three
  statements of one transaction. Chosen over one ``allMeasureStatuses(condition: {schoolYear,
  schoolId: null})`` statement, which reads every school's row of the year too (201 rows
  per measure for one) and cost the server and PostgreSQL more CPU in total, measured;
- ``schoolComparison(measureId, periodStart)`` rows {school{name} value rank percentile
  peerMedian gapToBest}; peer: the period's ``measurements`` of the measure, each joined to
  its school (name); no rank, percentile, median or gap;
- ``schools(first: 200)`` edges{node{name level firstBell enrollment}}; peer: ``schools`` by
  name with each school's latest ``school_enrollments`` row.
Before anything is timed both sides are asked once and must return the same values for what
they have in common (scorecard: code, latest value, target, status, trend; comparison:
school and value; schools: name, level, first bell, enrollment), or the run aborts.

The load: ``--clients`` keep-alive connections on loopback (peer_load.py, pre-encoded
requests), each sending its next request as soon as the last one is answered, for
``--seconds`` per run; per read, a warm-up of each side, then ``--rounds`` rounds of ours,
peer (ABAB...), then one client alone on each side for single-request latency. Every response
must be a 200 without ``errors``; failures are counted and a run with any is reported as such
(and the script exits 1). CPU per request is utime+stime from /proc of the server process and
its children, and of the bench database's PostgreSQL client backends, divided by the
requests; the load generator's own CPU is printed too. The machine is shared: read the
ratios, measured in the same minutes, before the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time as clock
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

# bench_measures puts src/ on the path, and points DISTRICT_PPM_DATABASE_URL at a database of
# its own when imported; ours is set in main(), before the settings are first read.
import bench_measures
from peer_load import (
    RunResult,
    cpu_snapshot,
    cpu_spent,
    encode_post,
    percentile,
    process_tree,
    run_load,
)
from peer_reads import BenchDistrict, Read, verify
from peer_report import Result, Tally, report
from peer_servers import (
    HOST,
    Server,
    install_peer,
    start_ours,
    start_peer,
    wait_ready,
)

from district_ppm.config import Settings, get_settings
from district_ppm.db.bootstrap import migrate
from district_ppm.db.engine import (
    create_admin_engine,
    create_app_engine,
    make_sessionmaker,
)
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.refresh import refresh_measure_status
from district_ppm.tenancy import service as tenancy
from district_ppm.tenancy.models import Role

FULL, SMALL = (200, 60, 60), (20, 10, 12)
COMPARED_MEASURE = "KPI-00"  # bench_measures' comparison measure: measures[0]


# --- the database -------------------------------------------------------------------------


def admin_dsn(settings: Settings, database: str) -> str:
    url = settings.admin_url.set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def database_exists(settings: Settings, name: str) -> bool:
    conn = await asyncpg.connect(admin_dsn(settings, "postgres"))
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def drop_database(settings: Settings, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn(settings, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def build_district(settings: Settings, size: tuple[int, int, int], api: Server) -> None:
    """bench_measures' district: schools and measures, the CSV imported over HTTP through a
    running ``api``, every measure's statuses refreshed, then VACUUM ANALYZE so
    that no autovacuum runs inside a timed run."""
    n_schools, n_measures, n_months = size
    district_id, token, schools, measures = await bench_measures.build(
        settings, n_schools, n_measures, analyze=True
    )
    body = bench_measures.csv_body(schools, measures, bench_measures.months(n_months))
    started = clock.perf_counter()
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{api.port}", timeout=900) as http:
        response = await http.post(
            "/api/v1/imports/measurements",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        )
    rows = n_schools * n_measures * n_months
    if response.status_code != 200 or response.json() != {"written": rows}:
        raise SystemExit(f"the measurements import failed: {response.text[:500]}\nsee {api.log}")
    print(f"  imported {rows:,} measurements in {clock.perf_counter() - started:.1f} s")
    started = clock.perf_counter()
    engine = create_app_engine(settings, pool_size=1)
    try:
        async with tenant_transaction(make_sessionmaker(engine), district_id) as session:
            await refresh_measure_status(session=session, district_id=district_id)
            await session.commit()
    finally:
        await engine.dispose()
    print(f"  refreshed every measure's statuses in {clock.perf_counter() - started:.1f} s")
    conn = await asyncpg.connect(admin_dsn(settings, settings.database_name))
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def find_district(settings: Settings) -> BenchDistrict:
    """What a built (or reused) bench database holds, and a fresh token for its district."""
    conn = await asyncpg.connect(admin_dsn(settings, settings.database_name))
    try:
        district_id = await conn.fetchval("SELECT id FROM districts WHERE slug = 'bench'")
        if district_id is None:
            raise SystemExit(f"{settings.database_name} holds no 'bench' district")
        measure_id = await conn.fetchval(
            "SELECT id FROM measures WHERE district_id = $1 AND code = $2",
            district_id,
            COMPARED_MEASURE,
        )
        period = await conn.fetchval(
            "SELECT max(period_start) FROM measurements WHERE district_id = $1 AND measure_id = $2",
            district_id,
            measure_id,
        )
        counts = [
            await conn.fetchval(f"SELECT count(*) FROM {table} WHERE district_id = $1", district_id)
            for table in ("schools", "measures", "measurements", "measure_statuses")
        ]
    finally:
        await conn.close()
    if period is None or not counts[3]:
        raise SystemExit(
            f"{settings.database_name} has no measurements or no status rows: "
            "it is not a finished bench database (build a new one without --reuse)"
        )
    engine = create_admin_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            _, token = await tenancy.create_token(
                session=session,
                district_id=district_id,
                role=Role.DISTRICT_ADMIN,
                name="bench-peer",
                ttl=timedelta(days=1),
            )
    finally:
        await engine.dispose()
    return BenchDistrict(settings.database_name, district_id, token, measure_id, period, *counts)


class PostgresBackends:
    """The bench database's client backends, whose CPU counts as PostgreSQL's per request.

    Only this database's backends: the server is shared with other work. None when the
    server's processes are not on this machine (their pids mean nothing here).
    """

    def __init__(self, conn: asyncpg.Connection, database: str) -> None:
        self.conn = conn
        self.database = database

    async def pids(self) -> list[int] | None:
        pids = [
            row["pid"]
            for row in await self.conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 "
                "AND backend_type = 'client backend'",
                self.database,
            )
        ]
        local = [pid for pid in pids if _command(pid) == "postgres"]
        return local if local or not pids else None


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB; 0 when it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _command(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


# --- the load -----------------------------------------------------------------------------


async def timed_run(
    server: Server, request: bytes, clients: int, seconds: float, backends: PostgresBackends
) -> tuple[RunResult, float, float | None, float]:
    """One run: the result and the CPU seconds of the server, PostgreSQL and this client."""
    server_before = cpu_snapshot(process_tree(server.process.pid))
    pids_before = await backends.pids()
    postgres_before = cpu_snapshot(pids_before or [])
    client_before = clock.process_time()
    run = await run_load(HOST, server.port, request, clients, seconds)
    client = clock.process_time() - client_before
    server_cpu = cpu_spent(server_before, cpu_snapshot(process_tree(server.process.pid)))
    pids_after = await backends.pids()
    postgres = (
        None
        if pids_before is None or pids_after is None
        else cpu_spent(postgres_before, cpu_snapshot(pids_after))
    )
    return run, server_cpu, postgres, client


def wire_request(server: Server, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    return encode_post(HOST, server.port, "/graphql", payload, server.headers)


async def measure(
    read: Read,
    rows: int,
    servers: dict[str, Server],
    args: argparse.Namespace,
    backends: PostgresBackends,
) -> Result:
    requests = {
        side: wire_request(server, read.ours if side == "ours" else read.peer)
        for side, server in servers.items()
    }
    result = Result(read, rows, {side: Tally() for side in servers}, {s: Tally() for s in servers})
    for side, server in servers.items():
        warm = await run_load(HOST, server.port, requests[side], args.clients, args.warmup)
        if warm.failures:
            print(f"  warm-up {side}: {warm.failures} failed, first: {warm.first_failure}")
    for round_number in range(1, args.rounds + 1):
        for side, server in servers.items():
            sample = await timed_run(server, requests[side], args.clients, args.seconds, backends)
            result.loaded[side].add(*sample)
            run = sample[0]
            print(
                f"  round {round_number} {side}: {run.per_second:8.1f} req/s  "
                f"p50 {percentile(run.latencies, 0.5):7.1f} ms  "
                f"{run.failures} failed",
                flush=True,
            )
    for side, server in servers.items():
        sample = await timed_run(server, requests[side], 1, args.single_seconds, backends)
        result.single[side].add(*sample)
    return result


# --- main ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace, settings: Settings, peer_version: str) -> int:
    database = settings.database_name
    own_database = args.reuse is None
    servers: dict[str, Server] = {}
    monitor = None
    try:
        if own_database:
            size = SMALL if args.small else FULL
            print(f"building {database}: {size[0]} schools x {size[1]} measures x {size[2]} months")
            builder = start_ours(settings, 1, token=None)
            try:
                async with httpx.AsyncClient(timeout=30) as http:
                    await wait_ready(builder, http)
                await build_district(settings, size, builder)
            finally:
                builder.stop()
        bench = await find_district(settings)
        # A fresh API process for the measurement, like the peer's: nothing left from the import.
        servers["ours"] = start_ours(
            settings, args.api_workers, bench.token, response_cache=args.response_cache
        )
        servers["peer"] = start_peer(settings, args.peer_workers, bench.district_id)
        async with httpx.AsyncClient(timeout=120) as http:
            for server in servers.values():
                await wait_ready(server, http)
            reads = bench.reads()
            rows = [await verify(http, servers["ours"], servers["peer"], r) for r in reads]
        print(
            f"\n{database}: {bench.schools} schools, {bench.measures} measures, "
            f"{bench.measurements:,} measurements, {bench.statuses:,} status rows; "
            f"scorecard year {bench.school_year}, comparison {COMPARED_MEASURE} "
            f"{bench.period.isoformat()}"
        )
        print(
            f"ours: district-ppm serve, {args.api_workers} process(es), response cache "
            f"{'ON (warm)' if args.response_cache else 'off'}; peer: {peer_version}, "
            f"{args.peer_workers} process(es); both as role {settings.app_db_role}"
        )
        print(
            "same values on both sides: "
            + ", ".join(f"{r.name} {n} rows" for r, n in zip(reads, rows, strict=True))
        )
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        monitor = await asyncpg.connect(admin_dsn(settings, "postgres"))
        backends = PostgresBackends(monitor, database)
        results = []
        for read, count in zip(reads, rows, strict=True):
            print(f"{read.name}:", flush=True)
            results.append(await measure(read, count, servers, args, backends))
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for side, server in servers.items():
            peaks = [peak_rss_mb(pid) for pid in process_tree(server.process.pid)]
            print(f"peak RSS per process, {side}: {', '.join(f'{mb:.0f} MB' for mb in peaks)}")
        return 0 if report(results, args) else 1
    finally:
        for server in servers.values():
            server.stop()
        if monitor is not None:
            await monitor.close()
        if own_database and not args.keep:
            await drop_database(settings, database)
        else:
            print(f"\nkept database {database}: measure it again with --reuse {database}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--small", action="store_true", help="20 schools x 10 measures x 12 months, short runs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and print its name")
    parser.add_argument("--reuse", metavar="NAME", help="measure an existing (kept) bench database")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections (8)")
    parser.add_argument("--seconds", type=float, help="each timed run (10; --small 3)")
    parser.add_argument(
        "--rounds", type=int, help="alternations ours, peer per read (3; --small 2)"
    )
    parser.add_argument(
        "--warmup", type=float, help="seconds of load before a read's rounds (3; --small 1)"
    )
    parser.add_argument(
        "--single-seconds", type=float, help="the one-client run per side (5; --small 2)"
    )
    parser.add_argument(
        "--api-workers", type=int, default=1, help="district-ppm serve --workers N (1)"
    )
    parser.add_argument("--peer-workers", type=int, default=1, help="PostGraphile processes (1)")
    parser.add_argument(
        "--response-cache",
        action="store_true",
        help="ours with its response cache on (warm); off by default: every request executed",
    )
    args = parser.parse_args()
    defaults = {"seconds": (10, 3), "rounds": (3, 2), "warmup": (3, 1), "single_seconds": (5, 2)}
    for name, (full, small) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if args.small else full)
    for name in ("clients", "rounds", "api_workers", "peer_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: must be at least 1")
    for name in ("seconds", "warmup", "single_seconds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')}: must be positive")
    if args.reuse is not None and args.keep:
        parser.error("--keep: a --reuse'd database is always kept")
    return args


def main() -> int:
    args = parse_args()
    database = args.reuse or f"district_ppm_bench_peer_{os.getpid()}"
    base = bench_measures.BASE_URL.rsplit("/", 1)[0]
    os.environ["DISTRICT_PPM_DATABASE_URL"] = f"{base}/{database}"
    settings = get_settings()
    if args.reuse is not None and not asyncio.run(database_exists(settings, database)):
        raise SystemExit(f"--reuse: no database named {database}")
    peer_version = install_peer()
    try:
        migrate(settings)  # runs its own event loops, so before ours
    except BaseException:
        if args.reuse is None:
            asyncio.run(drop_database(settings, database))
        raise

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        # SIGTERM (make interrupted, a CI timeout) cleans up like Ctrl-C does.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await run(args, settings, peer_version)

    try:
        return asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; both servers stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
