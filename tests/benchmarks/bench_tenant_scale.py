"""Workers at tenant scale: the nightly run for every district, and the jobs one onboarding causes.

    python tests/benchmarks/bench_tenant_scale.py                  # 1,000 districts
    python tests/benchmarks/bench_tenant_scale.py --districts 300
    python tests/benchmarks/bench_tenant_scale.py --small          # 20 districts, a smoke run

Builds its own database (and drops it): N districts of 10 schools (with enrollments) and 15
monthly SCHOOL-level measures (four units and aggregations, both directions), each with a
district-wide target for two school years and 24 months of values at every school: 3,600
measurements and 330 status rows per district (3.6 million and 330,000 at 1,000). The volume
is written by bulk SQL as the owner role (values a fixed function of the keys), then
ANALYZEd; the build is not timed. Autovacuum is off for ``measure_statuses``, so its dead
rows are counted as the nightly runs leave them.

Prints, timed:
(1) two nightly runs: the scheduler's ``schedule_nightly`` for every district (through the
    outbox), then every job it queued, and every job those queue, claimed from the outbox as
    the relay claims them and run by ``run_job`` with the registry's handler, as the worker's
    actors run them (in-process, ``--workers`` at once, as a worker's threads). The first
    finds no status rows; the second follows with nothing changed in between. For each: total
    seconds, ms per district, the jobs run, the rows written by table (pg_stat_user_tables,
    inserted + updated + deleted), dead rows left in measure_statuses.
    Peers measured in the same run: the same number of jobs run by ``run_job`` with an empty
    body (the fixed cost of a job), and one SELECT over asyncpg of everything the status
    refresh reads (every district's measurements, targets and status rows): the floor.
(2) one more district onboarded through the services, one transaction per call as the API
    makes them (10 schools; for each measure: create it, two targets, 240 values): the
    status-refresh jobs it queued, with no worker running and with a worker draining the
    outbox every 0.5 s (the relay's poll) meanwhile.
(3) the nightly purge of job history: its plan (EXPLAIN) and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import statistics
import sys
import time as clock
import uuid
from collections import Counter
from datetime import date, time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ.get(
    "DISTRICT_PPM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = f"district_ppm_bench_tenants_{os.getpid()}"
os.environ["DISTRICT_PPM_DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ["DISTRICT_PPM_QUEUE_NAMESPACE"] = f"dppm-bench-{os.getpid()}"
os.environ.setdefault("DISTRICT_PPM_ENVIRONMENT", "test")
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import asyncpg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from district_ppm.config import get_settings  # noqa: E402
from district_ppm.db.bootstrap import migrate  # noqa: E402
from district_ppm.db.engine import (  # noqa: E402
    create_admin_engine,
    create_app_engine,
    create_jobs_engine,
    make_sessionmaker,
)
from district_ppm.db.tenancy import tenant_transaction  # noqa: E402
from district_ppm.jobs.registry import get_job  # noqa: E402
from district_ppm.jobs.service import run_job  # noqa: E402
from district_ppm.measures.models import (  # noqa: E402
    Aggregation,
    Direction,
    Frequency,
    MeasureLevel,
    Stage,
    Unit,
)
from district_ppm.measures.recording import MeasurementValue, record_measurements  # noqa: E402
from district_ppm.measures.service import (  # noqa: E402
    MeasureCreate,
    TargetSet,
    create_measure,
    set_target,
)
from district_ppm.schools.models import SchoolLevel  # noqa: E402
from district_ppm.schools.service import SchoolCreate, create_school  # noqa: E402
from district_ppm.tenancy import service as tenancy  # noqa: E402
from workers.scheduler import schedule_nightly  # noqa: E402

SCHOOLS = 10
MEASURES = 15
MONTHS = 24
FIRST_MONTH = date(2023, 7, 1)  # school years 2024 and 2025, July to June
SCHOOL_YEARS = (2024, 2025)
REFRESH = "refresh_measure_status"
BOOKKEEPING = {"job_runs", "outbox_messages"}  # the job system's own rows, apart
CLAIM_BATCH = 200  # the relay's batch (workers/relay.py)
RELAY_POLL_SECONDS = 0.5  # settings.outbox_poll_seconds

# (unit, direction, aggregation, stage, base value, spread) of the 15 measures, in turn.
KINDS = [
    (Unit.PERCENT, Direction.HIGHER_IS_BETTER, Aggregation.MEAN, Stage.OUTPUT, 88.0, 8.0),
    (Unit.COUNT, Direction.LOWER_IS_BETTER, Aggregation.SUM, Stage.ACTIVITY, 30.0, 20.0),
    (
        Unit.PERCENT,
        Direction.HIGHER_IS_BETTER,
        Aggregation.ENROLLMENT_WEIGHTED_MEAN,
        Stage.SHORT_TERM_OUTCOME,
        70.0,
        15.0,
    ),
    (Unit.MINUTES, Direction.LOWER_IS_BETTER, Aggregation.MEAN, Stage.INPUT, 12.0, 6.0),
    (Unit.HOURS, Direction.LOWER_IS_BETTER, Aggregation.SUM, Stage.INTERMEDIATE_OUTCOME, 5.0, 4.0),
]


# Building ---------------------------------------------------------------------------------

BUILD_SQL = [
    # Districts as tenancy.create_district makes them (it adds the one row).
    """INSERT INTO districts (id, slug, name, timezone, fiscal_year_start_month,
                              late_bus_grace_minutes)
       SELECT gen_random_uuid(), 'bench-' || lpad(g::text, 5, '0'), 'Bench ISD ' || g,
              'America/Chicago', 7, 0
       FROM generate_series(1, $1) g""",
    """INSERT INTO schools (district_id, id, name, nces_id, level, first_bell)
       SELECT d.id, gen_random_uuid(), 'School ' || s, NULL,
              (ARRAY['ELEMENTARY', 'MIDDLE', 'HIGH'])[1 + s % 3],
              time '07:45' + s * interval '5 min'
       FROM districts d CROSS JOIN generate_series(1, $1) s""",
    """INSERT INTO school_enrollments (district_id, school_id, school_year, enrollment)
       SELECT s.district_id, s.id, y, 300 + abs(hashtext(s.id::text)) % 700 + (y - 2024) * 10
       FROM schools s CROSS JOIN unnest($1::int[]) y""",
    """INSERT INTO measures (district_id, id, code, name, unit, direction, stage, frequency,
                             level, aggregation)
       SELECT d.id, gen_random_uuid(), 'M' || lpad(k::text, 2, '0'), 'Measure ' || k,
              (kinds->((k - 1) % $2)->>0), (kinds->((k - 1) % $2)->>1),
              (kinds->((k - 1) % $2)->>3), 'MONTHLY', 'SCHOOL', (kinds->((k - 1) % $2)->>2)
       FROM districts d CROSS JOIN generate_series(1, $1) k
       CROSS JOIN (SELECT $3::jsonb) j(kinds)""",
    # District-wide targets, the red threshold on the bad side.
    """INSERT INTO measure_targets (district_id, id, measure_id, school_id, school_year, value,
                                    red_threshold)
       SELECT m.district_id, gen_random_uuid(), m.id, NULL, y, b.base,
              CASE WHEN m.direction = 'HIGHER_IS_BETTER' THEN b.base - b.spread / 2
                   ELSE b.base + b.spread / 2 END
       FROM measures m
       CROSS JOIN unnest($1::int[]) y
       JOIN (SELECT (k->>0) AS unit, (k->>1) AS direction, (k->>2) AS aggregation,
                    (k->>4)::float8 AS base, (k->>5)::float8 AS spread
             FROM jsonb_array_elements($2::jsonb) k) b
         ON b.unit = m.unit AND b.direction = m.direction AND b.aggregation = m.aggregation""",
    # 24 months at every school: the base, a school's own level, a seasonal swing and noise,
    # all from the keys, rounded as people record them.
    # Ids in insertion order (as the importer makes them): the primary key grows at its right
    # edge instead of taking 3.6 million random inserts.
    """INSERT INTO measurements (district_id, id, measure_id, school_id, period_start, value,
                                 source, recorded_by, recorded_at)
       SELECT m.district_id,
              ('00000000-0000-7000-8000-' || lpad(to_hex(nextval('bench_ids')), 12, '0'))::uuid,
              m.id, s.id, p.period,
              round((b.base + b.spread * (
                  (abs(hashtext(s.id::text || m.code)) % 100) / 200.0
                  + 0.2 * sin(extract(month FROM p.period))
                  + (abs(hashtext(m.id::text || s.id::text || p.period::text)) % 100) / 400.0
                  - 0.4))::numeric, 1)::float8,
              'IMPORT', 'bench', now()
       FROM measures m
       JOIN schools s ON s.district_id = m.district_id
       JOIN (SELECT (k->>0) AS unit, (k->>1) AS direction, (k->>2) AS aggregation,
                    (k->>4)::float8 AS base, (k->>5)::float8 AS spread
             FROM jsonb_array_elements($2::jsonb) k) b
         ON b.unit = m.unit AND b.direction = m.direction AND b.aggregation = m.aggregation
       CROSS JOIN (SELECT ($1::date + g * interval '1 month')::date AS period
                   FROM generate_series(0, $3 - 1) g) p
       ORDER BY m.district_id, m.id, p.period, s.id""",
]


def kinds_json() -> str:
    import json

    return json.dumps(
        [[u.value, d.value, a.value, s.value, base, spread] for u, d, a, s, base, spread in KINDS]
    )


async def build(owner_dsn: str, districts: int) -> float:
    started = clock.perf_counter()
    kinds = kinds_json()
    conn = await asyncpg.connect(owner_dsn)
    try:
        async with conn.transaction():
            await conn.execute(BUILD_SQL[0], districts)
            await conn.execute(BUILD_SQL[1], SCHOOLS)
            await conn.execute(BUILD_SQL[2], list(SCHOOL_YEARS))
            await conn.execute(BUILD_SQL[3], MEASURES, len(KINDS), kinds)
            await conn.execute(BUILD_SQL[4], list(SCHOOL_YEARS), kinds)
            await conn.execute("CREATE TEMPORARY SEQUENCE bench_ids")
            await conn.execute(BUILD_SQL[5], FIRST_MONTH, kinds, MONTHS)
        # Dead rows counted as the nightly runs leave them (no vacuum between).
        await conn.execute("ALTER TABLE measure_statuses SET (autovacuum_enabled = off)")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return clock.perf_counter() - started


# Running jobs as the relay and the worker do -----------------------------------------------


async def claim(jobs_sm: Any, limit: int) -> list[Any]:
    """Claim pending jobs and mark them dispatched, as the relay does when it publishes."""
    async with jobs_sm() as session, session.begin():
        rows = (
            await session.execute(text("SELECT * FROM ppm_outbox_claim(:n)"), {"n": limit})
        ).all()
        if rows:
            await session.execute(
                text("SELECT ppm_outbox_mark_dispatched(CAST(:ids AS uuid[]))"),
                {"ids": [str(row.id) for row in rows]},
            )
    return rows


async def perform(app_sm: Any, row: Any) -> None:
    """What the job's actor does with the message (workers/actors.py)."""
    job = get_job(row.actor_name)
    await run_job(
        sessionmaker=app_sm,
        district_id=row.district_id,
        actor_name=job.name,
        message_id=str(row.id),
        body=functools.partial(job.handler, **row.payload),
    )


async def drain(
    jobs_sm: Any, app_sm: Any, workers: int, producing: asyncio.Task[Any] | None = None
) -> Counter[str]:
    """Run every pending job, and every job they queue, ``workers`` at once, until none is
    left (and ``producing``, the task still queueing jobs, is done); returns how many ran, by
    job."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    ran: Counter[str] = Counter()

    async def worker() -> None:
        while True:
            row = await queue.get()
            try:
                await perform(app_sm, row)
                ran[row.actor_name] += 1
            except Exception as error:  # noqa: BLE001 - counted and shown, as a worker logs it
                ran[f"FAILED {row.actor_name}: {error!r}"[:160]] += 1
            finally:
                queue.task_done()

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        while True:
            rows = await claim(jobs_sm, CLAIM_BATCH)
            if not rows and producing is not None and not producing.done():
                await asyncio.sleep(RELAY_POLL_SECONDS / 10)  # the scheduler is still queueing
                continue
            if not rows:
                await queue.join()  # the running jobs may queue others (their followers)
                if not (rows := await claim(jobs_sm, CLAIM_BATCH)):
                    return ran
            for row in rows:  # the relay publishes what it claims at once
                queue.put_nowait(row)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# Measuring -------------------------------------------------------------------------------


async def table_writes(owner_dsn: str) -> dict[str, tuple[int, int, int, int]]:
    """(inserted, updated, deleted, dead) rows by table, from the statistics collector."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        rows = await conn.fetch(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, n_dead_tup FROM pg_stat_user_tables"
        )
    finally:
        await conn.close()
    return {
        r["relname"]: (r["n_tup_ins"], r["n_tup_upd"], r["n_tup_del"], r["n_dead_tup"])
        for r in rows
    }


async def settled_writes(
    owner_dsn: str, engines: list[Any]
) -> dict[str, tuple[int, int, int, int]]:
    # A backend reports its counts when idle (at most once a second) or when it exits:
    # closing the pools' connections makes every count of the run visible.
    for engine in engines:
        await engine.dispose()
    await asyncio.sleep(1.2)
    return await table_writes(owner_dsn)


def writes_between(
    before: dict[str, tuple[int, int, int, int]], after: dict[str, tuple[int, int, int, int]]
) -> dict[str, tuple[int, int, int]]:
    found = {}
    for table, (ins, upd, dele, _) in after.items():
        b = before.get(table, (0, 0, 0, 0))
        delta = (ins - b[0], upd - b[1], dele - b[2])
        if any(delta):
            found[table] = delta
    return found


async def nightly(
    label: str,
    day: date,
    owner_dsn: str,
    settings: Any,
    workers: int,
    districts: int,
) -> tuple[float, Counter[str], dict[str, tuple[int, int, int]], int]:
    app_engine = create_app_engine(settings, pool_size=workers + 2)
    jobs_engine = create_jobs_engine(settings, pool_size=2)
    app_sm, jobs_sm = make_sessionmaker(app_engine), make_sessionmaker(jobs_engine)
    before = await table_writes(owner_dsn)
    started, cpu_started = clock.perf_counter(), clock.process_time()

    # As in the worker process: the relay and the actors work while the scheduler queues.
    async def schedule() -> tuple[int, float]:
        queued = await schedule_nightly(jobs_sm, app_sm, day)
        return queued, clock.perf_counter() - started

    scheduling = asyncio.create_task(schedule())
    ran = await drain(jobs_sm, app_sm, workers, producing=scheduling)
    queued, scheduled = await scheduling
    seconds, cpu = clock.perf_counter() - started, clock.process_time() - cpu_started
    after = await settled_writes(owner_dsn, [app_engine, jobs_engine])
    written = writes_between(before, after)
    dead = after["measure_statuses"][3]
    figures = sum(sum(v) for t, v in written.items() if t not in BOOKKEEPING)
    print(
        f"\n{label}: {seconds:.1f} s for {districts:,} districts, "
        f"{seconds / districts * 1000:.1f} ms per district "
        f"(the scheduler queued {queued:,} jobs in the first {scheduled:.1f} s); "
        f"this process's CPU: {cpu:.1f} s "
        f"({cpu / districts * 1000:.1f} ms per district)"
    )
    print("  jobs run: " + ", ".join(f"{name} {n:,}" for name, n in sorted(ran.items())))
    print(f"  rows written (inserted/updated/deleted), job bookkeeping apart: {figures:,}")
    for table, (ins, upd, dele) in sorted(written.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {table:<28}{ins:>10,}{upd:>10,}{dele:>10,}")
    live = after["measure_statuses"]
    print(
        f"  measure_statuses: {dead:,} dead rows after (autovacuum off; {live[0] - live[2]:,} rows)"
    )
    return seconds, ran, written, dead


async def empty_jobs_peer(
    settings: Any, district_ids: list[uuid.UUID], jobs: int, workers: int
) -> float:
    """Seconds for ``jobs`` runs of run_job with an empty body, ``workers`` at once."""
    app_engine = create_app_engine(settings, pool_size=workers + 2)
    app_sm = make_sessionmaker(app_engine)

    async def nothing(session: Any, district_id: uuid.UUID) -> None:
        return None

    semaphore = asyncio.Semaphore(workers)

    async def one(k: int) -> None:
        async with semaphore:
            await run_job(
                sessionmaker=app_sm,
                district_id=district_ids[k % len(district_ids)],
                actor_name="recount_schools",  # a declared job with no followers
                message_id=f"peer-{k}",
                body=nothing,
            )

    started = clock.perf_counter()
    await asyncio.gather(*(one(k) for k in range(jobs)))
    seconds = clock.perf_counter() - started
    await app_engine.dispose()
    return seconds


READ_FLOOR_SQL = [
    "SELECT measure_id, school_id, period_start, value, numerator, denominator "
    "FROM measurements ORDER BY district_id, measure_id, period_start",
    "SELECT district_id, measure_id, school_id, school_year, value, red_threshold "
    "FROM measure_targets",
    "SELECT * FROM measure_statuses",
    "SELECT * FROM school_enrollments",
]


async def read_floor(owner_dsn: str) -> float:
    conn = await asyncpg.connect(owner_dsn)
    try:
        samples = []
        for _ in range(3):
            started = clock.perf_counter()
            for sql in READ_FLOOR_SQL:
                await conn.fetch(sql)
            samples.append(clock.perf_counter() - started)
    finally:
        await conn.close()
    return statistics.median(samples)


# Onboarding --------------------------------------------------------------------------------


async def onboard(admin_sm: Any, app_sm: Any, slug: str) -> uuid.UUID:
    """A district set up as an onboarding client does it over the API: one call (one
    transaction) per school, per measure, per target and per measure's batch of values."""
    async with admin_sm() as session, session.begin():
        district = await tenancy.create_district(session=session, slug=slug, name=f"{slug} ISD")
    district_id = district.id
    today = date(2025, 8, 1)
    schools = []
    for s in range(SCHOOLS):
        async with tenant_transaction(app_sm, district_id) as session:
            school = await create_school(
                session=session,
                district_id=district_id,
                data=SchoolCreate(f"School {s}", SchoolLevel.ELEMENTARY, time(7, 45), None, 400),
                today=today,
            )
            schools.append(school.id)
            await session.commit()
    for k in range(MEASURES):
        unit, direction, aggregation, stage, base, spread = KINDS[k % len(KINDS)]
        async with tenant_transaction(app_sm, district_id) as session:
            measure = await create_measure(
                session=session,
                district_id=district_id,
                data=MeasureCreate(
                    code=f"M{k + 1:02d}",
                    name=f"Measure {k + 1}",
                    unit=unit,
                    direction=direction,
                    stage=stage,
                    frequency=Frequency.MONTHLY,
                    level=MeasureLevel.SCHOOL,
                    aggregation=aggregation,
                ),
            )
            await session.commit()
        better = 1 if direction is Direction.HIGHER_IS_BETTER else -1
        for year in SCHOOL_YEARS:
            async with tenant_transaction(app_sm, district_id) as session:
                await set_target(
                    session=session,
                    district_id=district_id,
                    data=TargetSet(measure.id, year, base, base - better * spread / 2),
                )
                await session.commit()
        values = [
            MeasurementValue(
                date(
                    FIRST_MONTH.year + (FIRST_MONTH.month - 1 + m) // 12,
                    (FIRST_MONTH.month - 1 + m) % 12 + 1,
                    1,
                ),
                round(base + spread * ((s * 7 + m * 3) % 10 - 5) / 20, 1),
                school,
            )
            for m in range(MONTHS)
            for s, school in enumerate(schools)
        ]
        async with tenant_transaction(app_sm, district_id) as session:
            await record_measurements(
                session=session,
                district_id=district_id,
                measure_id=measure.id,
                values=values,
                recorded_by="onboarding",
            )
            await session.commit()
    return district_id


async def refresh_jobs_of(owner_dsn: str, district_id: uuid.UUID) -> tuple[int, int]:
    """(status-refresh outbox rows written for the district, runs of that job logged)."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        queued = await conn.fetchval(
            "SELECT count(*) FROM outbox_messages WHERE district_id = $1 AND actor_name = $2",
            district_id,
            REFRESH,
        )
        ran = await conn.fetchval(
            "SELECT count(*) FROM job_runs WHERE district_id = $1 AND actor_name = $2",
            district_id,
            REFRESH,
        )
    finally:
        await conn.close()
    return queued, ran


async def onboarding(owner_dsn: str, settings: Any, workers: int) -> None:
    admin_engine = create_admin_engine(settings)
    app_engine = create_app_engine(settings, pool_size=workers + 2)
    jobs_engine = create_jobs_engine(settings, pool_size=2)
    admin_sm, app_sm = make_sessionmaker(admin_engine), make_sessionmaker(app_engine)
    jobs_sm = make_sessionmaker(jobs_engine)
    try:
        print(
            f"\nonboarding one district through the services ({SCHOOLS} schools; "
            f"{MEASURES} measures, each: create, {len(SCHOOL_YEARS)} targets, "
            f"{SCHOOLS * MONTHS} values; one transaction per call)"
        )
        idle = await onboard(admin_sm, app_sm, "onboard-idle")
        queued, _ = await refresh_jobs_of(owner_dsn, idle)
        await drain(jobs_sm, app_sm, workers)
        _, ran = await refresh_jobs_of(owner_dsn, idle)
        print(f"  worker idle meanwhile: {queued} status-refresh jobs queued, {ran} run after")

        stop = asyncio.Event()

        async def relay_and_worker() -> None:
            while not stop.is_set():
                await drain(jobs_sm, app_sm, workers)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RELAY_POLL_SECONDS)

        running = asyncio.create_task(relay_and_worker())
        started = clock.perf_counter()
        busy = await onboard(admin_sm, app_sm, "onboard-busy")
        seconds = clock.perf_counter() - started
        stop.set()
        await running
        await drain(jobs_sm, app_sm, workers)
        queued, ran = await refresh_jobs_of(owner_dsn, busy)
        print(
            f"  worker draining the outbox every {RELAY_POLL_SECONDS} s meanwhile "
            f"({seconds:.1f} s of onboarding): {queued} status-refresh jobs queued, {ran} run"
        )
        conn = await asyncpg.connect(owner_dsn)
        try:
            statuses = await conn.fetchval(
                "SELECT count(*) FROM measure_statuses WHERE district_id = $1", busy
            )
            followers = await conn.fetch(
                "SELECT actor_name, count(*) FROM job_runs WHERE district_id = $1 "
                "GROUP BY actor_name ORDER BY actor_name",
                busy,
            )
        finally:
            await conn.close()
        print(
            f"  that district's status rows after: {statuses}; every job run for it: "
            + ", ".join(f"{r['actor_name']} {r['count']}" for r in followers)
        )
    finally:
        await admin_engine.dispose()
        await app_engine.dispose()
        await jobs_engine.dispose()


# The purge ---------------------------------------------------------------------------------

PURGE_STATEMENTS = [
    "DELETE FROM outbox_messages WHERE dispatched_at IS NOT NULL "
    "AND dispatched_at < now() - interval '30 days'",
    "DELETE FROM job_runs WHERE finished_at < now() - interval '30 days'",
]


async def purge(owner_dsn: str, settings: Any) -> None:
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute("ANALYZE outbox_messages, job_runs")
        counts = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("outbox_messages", "job_runs")
        }
        print(
            f"\nthe nightly purge (ppm_purge_job_history, 30 days kept) over "
            f"{counts['outbox_messages']:,} outbox rows and {counts['job_runs']:,} job runs:"
        )
        for sql in PURGE_STATEMENTS:
            plan = await conn.fetch(f"EXPLAIN {sql}")
            scans = [r[0].strip() for r in plan if "Scan" in r[0]]
            print(f"  {sql.split(' WHERE')[0]}: {scans[0] if scans else plan[0][0]}")
    finally:
        await conn.close()
    jobs_engine = create_jobs_engine(settings)
    from workers.scheduler import purge_job_history

    started = clock.perf_counter()
    purged = await purge_job_history(make_sessionmaker(jobs_engine), keep_days=30)
    milliseconds = (clock.perf_counter() - started) * 1000
    print(f"  purge_job_history: {purged} rows purged in {milliseconds:.1f} ms")
    await jobs_engine.dispose()


# Main --------------------------------------------------------------------------------------


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


async def main(districts: int, workers: int) -> None:
    settings = get_settings()
    owner_dsn = settings.admin_url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    try:
        built = await build(owner_dsn, districts)
        conn = await asyncpg.connect(owner_dsn)
        try:
            measurements = await conn.fetchval("SELECT count(*) FROM measurements")
            district_ids = [
                r[0] for r in await conn.fetch("SELECT id FROM districts ORDER BY slug")
            ]
        finally:
            await conn.close()
        print(
            f"\ntenant-scale benchmark: {districts:,} districts x {SCHOOLS} schools x "
            f"{MEASURES} monthly measures x {MONTHS} months ({measurements:,} measurements), "
            f"built in {built:.1f} s (not timed below); jobs run {workers} at once.\n"
            f"2 cores shared with other engineers; load average at start: {load_average()}"
        )
        await nightly(
            "nightly #1 (no status rows yet)",
            date(2031, 1, 1),
            owner_dsn,
            settings,
            workers,
            districts,
        )
        second = await nightly(
            "nightly #2 (nothing changed since #1)",
            date(2031, 1, 2),
            owner_dsn,
            settings,
            workers,
            districts,
        )
        jobs_run = sum(second[1].values())
        peer = await empty_jobs_peer(settings, district_ids, jobs_run, workers)
        floor = await read_floor(owner_dsn)
        print(
            f"\npeers: {jobs_run:,} run_job calls with an empty body: {peer:.1f} s "
            f"(nightly #2 is {second[0] / peer:.2f}x that); everything the status refresh "
            f"reads, by 4 SELECTs over asyncpg: {floor:.1f} s "
            f"(nightly #2 is {second[0] / floor:.1f}x that)"
        )
        print("goal: the nightly run for 1,000 districts under 60 s")
        await onboarding(owner_dsn, settings, workers)
        await purge(owner_dsn, settings)
        print(f"load average at end: {load_average()}")
    finally:
        conn = await asyncpg.connect(BASE_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        finally:
            await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick smoke run (20 districts)")
    parser.add_argument("--districts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4, help="jobs run at once (worker threads)")
    arguments = parser.parse_args()
    migrate(get_settings())  # runs its own event loops, so before ours
    asyncio.run(main(20 if arguments.small else arguments.districts, arguments.workers))
