"""Benchmark of the measures area on a generated large district.

    python tests/benchmarks/bench_measures.py [--small]

Builds its own database (and drops it): 200 schools x 60 measures x 60 months = 720,000
measurements. Prints bulk-import rows/s over HTTP beside COPY of the very same rows, ids
resolved, into a table with measurements' columns, keys and indexes (``BASELINE``), and the
ratio import / COPY (medians of rounds, each import a first one); then the status refresh
time, scorecard and schoolComparison p50/p95 over HTTP against the app served by uvicorn in a
subprocess, and that process's peak RSS. Numbers, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import time as clock
from datetime import date, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ.get(
    "DISTRICT_PPM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = f"district_ppm_bench_measures_{os.getpid()}"
os.environ["DISTRICT_PPM_DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ.setdefault("DISTRICT_PPM_ENVIRONMENT", "test")
# Every request computed: the latencies are the reads', not the response cache's.
os.environ.setdefault("DISTRICT_PPM_RESPONSE_CACHE", "off")
sys.path.insert(0, str(ROOT / "src"))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from district_ppm.config import get_settings  # noqa: E402
from district_ppm.db.bootstrap import migrate  # noqa: E402
from district_ppm.db.engine import create_admin_engine, create_app_engine, make_sessionmaker  # noqa: E402
from district_ppm.db.tenancy import tenant_transaction  # noqa: E402
from district_ppm.measures.models import Direction, Frequency, MeasureLevel, Stage, Unit  # noqa: E402
from district_ppm.measures.refresh import refresh_measure_status  # noqa: E402
from district_ppm.measures.service import MeasureCreate, create_measure  # noqa: E402
from district_ppm.schools.models import SchoolLevel  # noqa: E402
from district_ppm.schools.service import SchoolCreate, create_school  # noqa: E402
from district_ppm.tenancy import service as tenancy  # noqa: E402
from district_ppm.tenancy.models import Role  # noqa: E402

SCORECARD = """query($y: Int!) { scorecard(view: DASHBOARD, schoolYear: $y) {
  rows { measure { code } latestValue target status trend } } }"""
COMPARISON = """query($m: ID!, $p: Date!) { schoolComparison(measureId: $m, periodStart: $p) {
  rows { school { name } value rank percentile peerMedian gapToBest } } }"""


def months(count: int) -> list[str]:
    return [f"{2021 + (6 + i) // 12}-{(6 + i) % 12 + 1:02d}-01" for i in range(count)]


async def build(settings, n_schools: int, n_measures: int, analyze: bool):
    admin = create_admin_engine(settings)
    app_engine = create_app_engine(settings, pool_size=2)
    try:
        async with make_sessionmaker(admin)() as session, session.begin():
            district = await tenancy.create_district(
                session=session, slug="bench", name="Bench ISD"
            )
            _, token = await tenancy.create_token(
                session=session,
                district_id=district.id,
                role=Role.DISTRICT_ADMIN,
                name="bench",
                ttl=timedelta(days=1),
            )
        district_id = district.id
        levels = [SchoolLevel.ELEMENTARY, SchoolLevel.MIDDLE, SchoolLevel.HIGH]
        stages = list(Stage)
        async with tenant_transaction(make_sessionmaker(app_engine), district_id) as session:
            schools = []
            for i in range(n_schools):
                school = await create_school(
                    session=session,
                    district_id=district_id,
                    data=SchoolCreate(
                        f"School {i:03d}",
                        levels[i % 3],
                        time(8, 0),
                        f"{480000000000 + i:012d}",
                        300 + 7 * i,
                    ),
                    today=date(2025, 9, 1),
                )
                schools.append(school.nces_id)
            measures = []
            for i in range(n_measures):
                measure = await create_measure(
                    session=session,
                    district_id=district_id,
                    data=MeasureCreate(
                        code=f"KPI-{i:02d}",
                        name=f"KPI {i}",
                        unit=Unit.COUNT if i % 4 == 0 else Unit.PERCENT,
                        direction=Direction.HIGHER_IS_BETTER
                        if i % 2
                        else Direction.LOWER_IS_BETTER,
                        stage=stages[i % len(stages)],
                        frequency=Frequency.MONTHLY,
                        level=MeasureLevel.SCHOOL,
                    ),
                )
                measures.append((measure.id, measure.code))
            await session.commit()
        if analyze:
            # What autovacuum does within a minute of the schools and measures arriving, long
            # before a real district's first import. Without statistics the planner's
            # foreign-key lookups tie onto the (district_id, nces_id) index and read every
            # school of the district for each measurement (--fresh shows that case).
            async with admin.begin() as connection:
                await connection.execute(text("ANALYZE"))
    finally:
        await admin.dispose()
        await app_engine.dispose()
    return district_id, token, schools, measures


def _values(schools, measures, periods):
    """(measure id, code, school, period, value cell) in file order; csv_body's and the
    baseline's rows alike, so both write the very same values."""
    rng = random.Random(7)
    for measure_id, code in measures:
        for school in schools:
            base = rng.uniform(50, 95)
            for period in periods:
                yield measure_id, code, school, period, f"{base + rng.gauss(0, 2):.3f}"


def csv_body(schools, measures, periods) -> bytes:
    out = io.StringIO()
    out.write("measure_code,school,period_start,value\n")
    for _, code, school, period, value in _values(schools, measures, periods):
        out.write(f"{code},{school},{period},{value}\n")
    return out.getvalue().encode()


# The peer the import is held to: COPY of the very same rows, ids resolved, into a table with
# measurements' columns, defaults, NOT NULLs, primary key, unique key and index (LIKE ...
# INCLUDING ALL) and its two foreign keys (LIKE copies no foreign key, so they are added: the
# import pays their checks on every row, and a foreign key is one of the table's keys). Left
# out: row-level security (the app role's policy, nothing a COPY as the owner checks) and the
# history trigger, which fires on UPDATE only and so never on a first import. Rows go in the
# order the import writes them, with the same kind of time-ordered ids: the best case for the
# indexes, so the import's ratio is not flattered.
BASELINE = "bench_measurements_baseline"
RECORDED_BY = "token:bench"


async def resolved_rows(settings, district_id, schools, measures, periods) -> bytes:
    """The import's rows as they end up in measurements, as CSV for COPY."""
    dsn = settings.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        school_ids = dict(
            await conn.fetch("SELECT nces_id, id FROM schools WHERE district_id = $1", district_id)
        )
    finally:
        await conn.close()
    rows = sorted(
        (str(measure_id), period, str(school_ids[school]), value)
        for measure_id, _, school, period, value in _values(schools, measures, periods)
    )
    stamp = "2025-09-01 00:00:00+00"
    millis = f"{int(clock.time() * 1000):012x}"
    id_prefix = f"{millis[:8]}-{millis[8:]}-7000-8000-"
    out = io.StringIO()
    for n, (measure_id, period, school_id, value) in enumerate(rows):
        out.write(
            f"{district_id},{id_prefix}{n:012x},{measure_id},{school_id},{period},{value},,,"
            f"IMPORT,{RECORDED_BY},{stamp},{stamp}\n"
        )
    return out.getvalue().encode()


async def identical_copy(settings, rows: bytes, *, foreign_keys: bool) -> float:
    """Seconds to COPY ``rows`` into a fresh copy of measurements (see ``BASELINE``)."""
    dsn = settings.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {BASELINE}")
        await conn.execute(f"CREATE TABLE {BASELINE} (LIKE measurements INCLUDING ALL)")
        if foreign_keys:
            await conn.execute(
                f"ALTER TABLE {BASELINE} "
                "ADD FOREIGN KEY (district_id, measure_id) REFERENCES measures (district_id, id) "
                "ON DELETE CASCADE, "
                "ADD FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id) "
                "ON DELETE CASCADE"
            )
        started = clock.perf_counter()
        await conn.copy_to_table(BASELINE, source=io.BytesIO(rows), format="csv")
        elapsed = clock.perf_counter() - started
        await conn.execute(f"DROP TABLE {BASELINE}")
        return elapsed
    finally:
        await conn.close()


ROUNDS = 3


async def clear_measurements(settings, district_id) -> None:
    """Delete the district's measurements, so that the next import is a first one again."""
    dsn = settings.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM measurements WHERE district_id = $1", district_id)
        await conn.execute("VACUUM measurements")
    finally:
        await conn.close()


def median(values) -> float:
    return statistics.median(values)


def spread(ratios: list[float]) -> str:
    return "(rounds: " + ", ".join(f"{ratio:.2f}" for ratio in ratios) + ")"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


async def latency(http: httpx.AsyncClient, token: str, query: str, variables, n: int):
    headers = {"Authorization": f"Bearer {token}"}
    samples = []
    for _ in range(n):
        started = clock.perf_counter()
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        samples.append(clock.perf_counter() - started)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
    return percentiles(samples)


async def main(small: bool, fresh: bool) -> None:
    settings = get_settings()
    n_schools, n_measures, n_months = (20, 10, 12) if small else (200, 60, 60)
    server = None
    try:
        district_id, token, schools, measures = await build(
            settings, n_schools, n_measures, analyze=not fresh
        )
        periods = months(n_months)
        body = csv_body(schools, measures, periods)
        rows = n_schools * n_measures * n_months
        resolved = await resolved_rows(settings, district_id, schools, measures, periods)

        port = free_port()
        # Started once before any timing; blocking here costs nothing measured.
        server = subprocess.Popen(  # noqa: ASYNC220
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "district_ppm.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
            for _ in range(100):
                try:
                    await http.get("/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            # Rounds of COPY (with and without the foreign keys) then the import, each import a
            # first one (the previous round's rows deleted): the median of each round's ratio
            # stands against the noise of this shared machine.
            rounds: list[tuple[float, float, float]] = []
            for round_number in range(2 if small else ROUNDS):
                if round_number:
                    await clear_measurements(settings, district_id)
                copy_fk = await identical_copy(settings, resolved, foreign_keys=True)
                copy_no_fk = await identical_copy(settings, resolved, foreign_keys=False)
                started = clock.perf_counter()
                response = await http.post(
                    "/api/v1/imports/measurements",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
                )
                import_seconds = clock.perf_counter() - started
                assert response.json() == {"written": rows}, response.text[:500]
                rounds.append((import_seconds, copy_fk, copy_no_fk))

            engine = create_app_engine(settings, pool_size=1)
            started = clock.perf_counter()
            async with tenant_transaction(make_sessionmaker(engine), district_id) as session:
                await refresh_measure_status(session=session, district_id=district_id)
                await session.commit()
            refresh_seconds = clock.perf_counter() - started
            await engine.dispose()

            year = 2026 if not small else 2022
            n = 30 if small else 100
            await latency(http, token, SCORECARD, {"y": year}, 3)  # warm caches
            score = await latency(http, token, SCORECARD, {"y": year}, n)
            compare_vars = {"m": str(measures[0][0]), "p": periods[-1]}
            await latency(http, token, COMPARISON, compare_vars, 3)
            comparison = await latency(http, token, COMPARISON, compare_vars, n)
            rss = peak_rss_mb(server.pid)

        print(
            f"\nmeasures benchmark ({'small' if small else 'full'}): {n_schools} schools, "
            f"{n_measures} measures, {n_months} months = {rows:,} measurements, "
            f"CSV {len(body) / 1e6:.1f} MB{', never analyzed' if fresh else ''}"
        )
        print(f"{'figure':<44}{'value':>16}")
        imports, copies_fk, copies_no_fk = zip(*rounds, strict=True)
        fk_ratios = [fk / imported for imported, fk, _ in rounds]
        no_fk_ratios = [no_fk / imported for imported, _, no_fk in rounds]
        print(f"{'rounds (medians below)':<44}{len(rounds):>16}")
        print(f"{'COPY, identical table and FKs (rows/s)':<44}{rows / median(copies_fk):>16,.0f}")
        print(
            f"{'COPY, identical table, no FKs (rows/s)':<44}{rows / median(copies_no_fk):>16,.0f}"
        )
        print(f"{'bulk import over HTTP (rows/s)':<44}{rows / median(imports):>16,.0f}")
        print(f"{'  import / COPY with FKs':<44}{median(fk_ratios):>16.2f}  {spread(fk_ratios)}")
        print(
            f"{'  import / COPY without FKs':<44}{median(no_fk_ratios):>16.2f}  "
            f"{spread(no_fk_ratios)}"
        )
        print(f"{'status refresh, all measures (s)':<44}{refresh_seconds:>16.2f}")
        print(f"{'scorecard p50 / p95 (ms)':<44}{score[0]:>8.1f}{score[1]:>8.1f}")
        print(f"{'schoolComparison p50 / p95 (ms)':<44}{comparison[0]:>8.1f}{comparison[1]:>8.1f}")
        print(f"{'API process peak RSS (MB)':<44}{rss:>16.1f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        dsn = settings.admin_url.set(drivername="postgresql", database="postgres")
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        finally:
            await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick smoke run")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="import before the new tables have any planner statistics",
    )
    arguments = parser.parse_args()
    migrate(get_settings())  # runs its own event loops, so before ours
    asyncio.run(main(arguments.small, arguments.fresh))
