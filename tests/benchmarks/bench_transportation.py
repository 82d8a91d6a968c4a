"""Transportation at district scale: bulk import vs COPY into an identically keyed table, full
and incremental recompute, and the worker's peak memory.

    python tests/benchmarks/bench_transportation.py            # 1,500 routes x 180 days x 3 years
    python tests/benchmarks/bench_transportation.py --small    # a quick smoke run
    python tests/benchmarks/bench_transportation.py --rounds 7 # more rounds of COPY vs import

Makes (and drops) its own database; needs the PostgreSQL and Redis of DISTRICT_PPM_* settings.
Reports numbers; it passes or fails nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import signal
import statistics
import subprocess
import sys
import time as clock
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BASE_URL = os.environ.get(
    "DISTRICT_PPM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = f"district_ppm_bench_trn_{os.getpid()}"
os.environ["DISTRICT_PPM_DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ["DISTRICT_PPM_QUEUE_NAMESPACE"] = f"dppm-bench-{os.getpid()}"
os.environ["DISTRICT_PPM_WORKER_HEARTBEAT_MS"] = "10000"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncpg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from district_ppm.config import PROJECT_ROOT, get_settings  # noqa: E402
from district_ppm.db.bootstrap import migrate  # noqa: E402
from district_ppm.db.engine import (  # noqa: E402
    create_admin_engine,
    create_app_engine,
    make_sessionmaker,
)
from district_ppm.db.tenancy import tenant_transaction  # noqa: E402
from district_ppm.db.unit_of_work import open_unit_of_work  # noqa: E402
from district_ppm.imports.stream import CHUNK_BYTES, CsvStream  # noqa: E402
from district_ppm.jobs.service import enqueue_job, lock_district  # noqa: E402
from district_ppm.tenancy import service as tenancy  # noqa: E402
from district_ppm.tenancy.models import Role  # noqa: E402
from district_ppm.tenancy.principal import Principal  # noqa: E402
from district_ppm.transportation.importer import import_bus_runs  # noqa: E402
from district_ppm.transportation.jobs import recompute_time_loss_job  # noqa: E402

RECOMPUTE_ACTOR = recompute_time_loss_job.name
from district_ppm.transportation.timeloss import recompute_time_loss  # noqa: E402

HEADER = "route_code,service_date,scheduled_arrival,actual_arrival,riders\n"


def service_days(school_year: int, count: int) -> list[date]:
    """``count`` weekdays from the third Monday of August before ``school_year`` ends."""
    day, days = date(school_year - 1, 8, 15), list[date]()
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def runs_csv(routes: int, days: list[date], seed: int) -> str:
    rng = random.Random(seed)
    lines = [HEADER]
    for day in days:
        iso = day.isoformat()
        for route in range(routes):
            scheduled = 440 + route % 40  # 07:20 - 07:59
            actual = scheduled * 60 + rng.randint(-300, 1200)
            riders = "" if route % 3 else str(rng.randint(10, 60))
            lines.append(
                f"RT{route:05d},{iso},{scheduled // 60:02d}:{scheduled % 60:02d},"
                f"{actual // 3600:02d}:{actual // 60 % 60:02d}:{actual % 60:02d},{riders}\n"
            )
    return "".join(lines)


async def make_district(admin_sessionmaker: Any, app_sessionmaker: Any, routes: int) -> uuid.UUID:
    async with admin_sessionmaker() as session, session.begin():
        district = await tenancy.create_district(
            session=session,
            slug=f"bench-{uuid.uuid4().hex[:8]}",
            name="Bench ISD",
            late_bus_grace_minutes=2,
        )
        district_id: uuid.UUID = district.id
    schools = max(1, routes // 25)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(
            text(
                "INSERT INTO schools (district_id, id, name, level, first_bell) "
                "SELECT :d, gen_random_uuid(), 'School ' || n, 'OTHER', "
                "time '07:50' + (n % 5) * interval '10 minutes' FROM generate_series(1, :n) n"
            ),
            {"d": district_id, "n": schools},
        )
        await session.execute(
            text(
                "INSERT INTO bus_routes (district_id, id, code, school_id, riders) "
                "SELECT :d, gen_random_uuid(), 'RT' || lpad(n::text, 5, '0'), s.id, 20 + n % 40 "
                "FROM generate_series(0, :n - 1) n "
                "JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM schools "
                "      WHERE district_id = :d) s ON s.k = n % :schools"
            ),
            {"d": district_id, "n": routes, "schools": schools},
        )
        await session.commit()
    return district_id


# The peer the import is held to: COPY of the very same runs, route ids resolved and riders
# defaulted as the import does, into a table with bus_runs' columns, NOT NULLs and primary key
# (LIKE ... INCLUDING ALL; bus_runs has no foreign key and no trigger to add). Row-level
# security is left out (the app role's policy, nothing a COPY as the owner checks). Rows go in
# the order the import writes them, the best case for the primary key, so the
# import's ratio is not flattered.
BASELINE = "bench_bus_runs_baseline"


async def resolved_runs(settings: Any, district_id: uuid.UUID, csv_text: str) -> bytes:
    """The file's runs as they end up in bus_runs, as CSV for COPY."""
    conn = await asyncpg.connect(
        settings.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        routes = {
            code: (str(route_id), riders)
            for code, route_id, riders in await conn.fetch(
                "SELECT code, id, riders FROM bus_routes WHERE district_id = $1", district_id
            )
        }
    finally:
        await conn.close()
    runs = []
    for line in csv_text.splitlines()[1:]:
        code, day, scheduled, actual, riders = line.split(",")
        route_id, route_riders = routes[code]
        runs.append((route_id, day, scheduled, actual, riders or str(route_riders)))
    runs.sort()
    return "".join(f"{district_id},{','.join(run)}\n" for run in runs).encode()


def server_cpu_seconds(pid: int) -> float | None:
    """CPU seconds a PostgreSQL backend has used, or None when its server is not on this
    machine (procfs). Unlike elapsed time, it hardly moves with the load of the shared cores."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spent(before: float | None, pid: int) -> float | None:
    after = server_cpu_seconds(pid)
    return None if before is None or after is None else after - before


async def identical_copy_seconds(settings: Any, runs: bytes) -> tuple[float, float | None]:
    """Seconds to COPY ``runs`` into a fresh copy of bus_runs (see ``BASELINE``), and the
    server's CPU seconds for it."""
    conn = await asyncpg.connect(
        settings.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {BASELINE}")
        await conn.execute(f"CREATE TABLE {BASELINE} (LIKE bus_runs INCLUDING ALL)")
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        cpu = server_cpu_seconds(pid)
        started = clock.perf_counter()
        await conn.copy_to_table(BASELINE, source=io.BytesIO(runs), format="csv")
        elapsed = clock.perf_counter() - started
        cpu = spent(cpu, pid)
        await conn.execute(f"DROP TABLE {BASELINE}")
    finally:
        await conn.close()
    return elapsed, cpu


ROUNDS = 3


async def clear_runs(settings: Any, district_id: uuid.UUID) -> None:
    """Delete the district's runs and marks, so that the next import is a first one again."""
    conn = await asyncpg.connect(
        settings.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await conn.execute("DELETE FROM bus_runs WHERE district_id = $1", district_id)
        await conn.execute("DELETE FROM bus_run_dirty_months WHERE district_id = $1", district_id)
        await conn.execute("VACUUM bus_runs")
        await conn.execute("VACUUM bus_run_dirty_months")
    finally:
        await conn.close()


async def chunks(body: bytes) -> AsyncIterator[bytes]:
    """The body as a request streams it in."""
    for start in range(0, len(body), CHUNK_BYTES):
        yield body[start : start + CHUNK_BYTES]


async def timed_import(
    app_sessionmaker: Any, district_id: uuid.UUID, csv_text: str
) -> tuple[float, float | None]:
    """Seconds for the import, commit included, and its server's CPU seconds (from the
    unit of work's first statement; the BEGIN before it is not counted)."""
    principal = Principal(
        district_id=district_id, role=Role.DISTRICT_ADMIN, token_id=uuid.uuid4(), actor="bench"
    )
    started = clock.perf_counter()
    async with open_unit_of_work(
        sessionmaker=app_sessionmaker,
        principal=principal,
        action="import:bus-runs",
        request_id=None,
        client_ip=None,
    ) as uow:
        pid = int(await uow.session.scalar(text("SELECT pg_backend_pid()")))
        cpu = server_cpu_seconds(pid)
        written = await import_bus_runs(uow, CsvStream(chunks(csv_text.encode())))
    elapsed = clock.perf_counter() - started
    assert written == csv_text.count("\n") - 1
    return elapsed, spent(cpu, pid)


async def bulk_import(app_sessionmaker: Any, district_id: uuid.UUID, csv_text: str) -> float:
    return (await timed_import(app_sessionmaker, district_id, csv_text))[0]


async def timed_recompute(app_sessionmaker: Any, district_id: uuid.UUID, *, full: bool) -> float:
    started = clock.perf_counter()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await lock_district(session, district_id, RECOMPUTE_ACTOR)
        await recompute_time_loss(session=session, district_id=district_id, full=full)
        await session.commit()
    return clock.perf_counter() - started


async def worker_full_recompute(app_sessionmaker: Any, district_id: uuid.UUID) -> tuple[float, int]:
    """A full recompute by a real `district-ppm worker`: (job seconds, peak RSS in kB)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        # Jobs the imports queued are done already (computed directly above): drop them.
        await session.execute(
            text("UPDATE outbox_messages SET dispatched_at = now() WHERE dispatched_at IS NULL")
        )
        await enqueue_job(
            session=session,
            district_id=district_id,
            actor_name=RECOMPUTE_ACTOR,
            payload={"full": True},
            dedupe_key="bench",
        )
        await session.commit()
    env = {
        **os.environ,
        "DISTRICT_PPM_NIGHTLY_RECOMPUTE_HOUR_UTC": "24",
        "DISTRICT_PPM_OUTBOX_POLL_SECONDS": "0.1",
        "DISTRICT_PPM_WORKER_THREADS": "1",
    }
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, never awaited
        [sys.executable, "-m", "district_ppm.cli", "worker"],
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):
            async with tenant_transaction(app_sessionmaker, district_id) as session:
                seconds = await session.scalar(
                    text(
                        "SELECT extract(epoch FROM finished_at - started_at) FROM job_runs "
                        "WHERE actor_name = :a AND status = 'succeeded'"
                    ),
                    {"a": RECOMPUTE_ACTOR},
                )
            if seconds is not None:
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the worker did not finish the recompute")
        status = Path(f"/proc/{process.pid}/status").read_text()  # noqa: ASYNC240 - procfs
        peak_kb = int(
            next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    return float(seconds), peak_kb


async def main(small: bool, rounds_wanted: int) -> None:
    settings = get_settings()
    routes, days_per_year = (50, 20) if small else (1_500, 180)
    years = (2024, 2025, 2026)
    admin_engine, app_engine = create_admin_engine(settings), create_app_engine(settings)
    admin_sm, app_sm = make_sessionmaker(admin_engine), make_sessionmaker(app_engine)
    try:
        district_id = await make_district(admin_sm, app_sm, routes)
        days = [day for year in years for day in service_days(year, days_per_year)]
        csv_text = runs_csv(routes, days, seed=7)
        rows = len(days) * routes
        print(f"runs: {routes} routes x {days_per_year} days x {len(years)} years = {rows:,}")

        resolved = await resolved_runs(settings, district_id, csv_text)
        # Rounds of COPY then the import, each import a first one (the previous round's runs
        # deleted): the median of each round's ratio stands against the noise of this shared
        # machine.
        rounds: list[tuple[float, float]] = []
        cpus: list[tuple[float | None, float | None]] = []
        for round_number in range(rounds_wanted):
            if round_number:
                await clear_runs(settings, district_id)
            copy_seconds, copy_cpu = await identical_copy_seconds(settings, resolved)
            import_seconds, import_cpu = await timed_import(app_sm, district_id, csv_text)
            rounds.append((import_seconds, copy_seconds))
            cpus.append((import_cpu, copy_cpu))
        import_seconds = statistics.median(imported for imported, _ in rounds)
        copy_seconds = statistics.median(copied for _, copied in rounds)
        ratios = [copied / imported for imported, copied in rounds]
        print(
            f"COPY into an identically keyed table: {rows / copy_seconds:12,.0f} rows/s "
            f"({copy_seconds:.2f} s; medians of {len(rounds)} rounds)"
        )
        print(
            f"bulk import (COPY, validate, write): {rows / import_seconds:,.0f} rows/s "
            f"({import_seconds:.2f} s); import / COPY {statistics.median(ratios):.2f} "
            f"(rounds: {', '.join(f'{ratio:.2f}' for ratio in ratios)})"
        )
        # Counted in clock ticks (10 ms): a --small run's are too few to compare.
        measured = [(i, c) for i, c in cpus if i and c is not None]
        if len(measured) == len(cpus) and not small:
            cpu_ratios = [copied / imported for imported, copied in measured]
            print(
                "PostgreSQL CPU seconds, COPY / import: "
                f"{statistics.median(c for _, c in measured):.2f} / "
                f"{statistics.median(i for i, _ in measured):.2f} "
                f"(COPY / import {statistics.median(cpu_ratios):.2f}; "
                f"rounds: {', '.join(f'{ratio:.2f}' for ratio in cpu_ratios)})"
            )
        resend_seconds = await bulk_import(app_sm, district_id, csv_text)
        print(f"the same file again (changes nothing): {resend_seconds:.2f} s")

        full_seconds = await timed_recompute(app_sm, district_id, full=True)
        print(f"full recompute: {full_seconds:.2f} s")

        new_day = service_days(2026, days_per_year + 1)[-1]
        await bulk_import(app_sm, district_id, runs_csv(routes, [new_day], seed=8))
        incremental_seconds = await timed_recompute(app_sm, district_id, full=False)
        print(
            f"incremental recompute after one new service day ({routes} runs): "
            f"{incremental_seconds:.3f} s"
        )

        job_seconds, peak_kb = await worker_full_recompute(app_sm, district_id)
        print(
            f"worker: full recompute job {job_seconds:.2f} s, peak memory {peak_kb / 1024:.0f} MB"
        )
    finally:
        await admin_engine.dispose()
        await app_engine.dispose()
        conn = await asyncpg.connect(BASE_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        finally:
            await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick smoke run")
    parser.add_argument(
        "--rounds", type=int, help=f"rounds of COPY then import (default {ROUNDS}, 2 if --small)"
    )
    arguments = parser.parse_args()
    migrate(get_settings())  # runs its own event loops, so before ours
    asyncio.run(main(arguments.small, arguments.rounds or (2 if arguments.small else ROUNDS)))
