"""The API's memory during a 100 MiB bus-runs upload: imports stream, so RSS must stay flat.

    python tests/benchmarks/bench_import_memory.py            # 100 MiB, about 3.2 million runs
    python tests/benchmarks/bench_import_memory.py --small    # 5 MiB, a quick smoke run

Makes (and drops) its own database; needs the PostgreSQL and Redis of DISTRICT_PPM_* settings.
Starts the real server (`district-ppm serve` on a loopback port), uploads a generated bus-runs
CSV twice — as the request body, then as a multipart file (a re-send: it changes nothing) —
and samples the server process's resident memory every 10 ms meanwhile. Prints the RSS
before, the highest sample during each upload, and the kernel's high-water mark. Reports
numbers; it passes or fails nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time as clock
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ.get(
    "DISTRICT_PPM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = f"district_ppm_bench_memory_{os.getpid()}"
os.environ["DISTRICT_PPM_DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ["DISTRICT_PPM_QUEUE_NAMESPACE"] = f"dppm-bench-{os.getpid()}"
os.environ.setdefault("DISTRICT_PPM_ENVIRONMENT", "test")
sys.path.insert(0, str(ROOT / "src"))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from district_ppm.config import get_settings  # noqa: E402
from district_ppm.db.bootstrap import migrate  # noqa: E402
from district_ppm.db.engine import (  # noqa: E402
    create_admin_engine,
    create_app_engine,
    make_sessionmaker,
)
from district_ppm.db.tenancy import tenant_transaction  # noqa: E402
from district_ppm.tenancy import service as tenancy  # noqa: E402
from district_ppm.tenancy.models import Role  # noqa: E402

HEADER = b"route_code,service_date,scheduled_arrival,actual_arrival,riders\n"
ROUTES = 4_000
MIB = 1024 * 1024
SAMPLE_SECONDS = 0.01
READ_BYTES = 1 * MIB  # the client's upload chunks


def write_csv(path: Path, target_bytes: int) -> int:
    """Bus runs, route by route for each weekday, until the file holds ``target_bytes``."""
    rng = random.Random(7)
    rows, size, day = 0, len(HEADER), date(2018, 8, 1)
    with path.open("wb") as out:
        out.write(HEADER)
        while size < target_bytes:
            if day.weekday() < 5:
                iso = day.isoformat()
                lines = []
                for route in range(ROUTES):
                    scheduled = 440 + route % 40
                    actual = scheduled * 60 + rng.randint(-300, 1200)
                    riders = "" if route % 3 else str(rng.randint(10, 60))
                    lines.append(
                        f"R{route:05d},{iso},{scheduled // 60:02d}:{scheduled % 60:02d},"
                        f"{actual // 3600:02d}:{actual // 60 % 60:02d}:{actual % 60:02d},"
                        f"{riders}\n"
                    )
                chunk = "".join(lines).encode()
                out.write(chunk)
                size += len(chunk)
                rows += ROUTES
            day += timedelta(days=1)
    return rows


async def make_district() -> str:
    """A district with ``ROUTES`` bus routes; returns a DISTRICT_ADMIN token."""
    settings = get_settings()
    admin_engine, app_engine = create_admin_engine(settings), create_app_engine(settings)
    try:
        async with make_sessionmaker(admin_engine)() as session, session.begin():
            district = await tenancy.create_district(
                session=session, slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench ISD"
            )
            _, token = await tenancy.create_token(
                session=session,
                district_id=district.id,
                role=Role.DISTRICT_ADMIN,
                name="bench",
                ttl=timedelta(days=1),
            )
        async with tenant_transaction(make_sessionmaker(app_engine), district.id) as session:
            await session.execute(
                text(
                    "INSERT INTO schools (district_id, id, name, level, first_bell) "
                    "SELECT :d, gen_random_uuid(), 'School ' || n, 'OTHER', time '07:50' "
                    "FROM generate_series(1, 100) n"
                ),
                {"d": district.id},
            )
            await session.execute(
                text(
                    "INSERT INTO bus_routes (district_id, id, code, school_id, riders) "
                    "SELECT :d, gen_random_uuid(), 'R' || lpad(n::text, 5, '0'), s.id, 30 "
                    "FROM generate_series(0, :n - 1) n JOIN (SELECT id, row_number() OVER "
                    "(ORDER BY id) - 1 AS k FROM schools WHERE district_id = :d) s "
                    "ON s.k = n % 100"
                ),
                {"d": district.id, "n": ROUTES},
            )
            await session.commit()
    finally:
        await admin_engine.dispose()
        await app_engine.dispose()
    return token


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(READ_BYTES):
            yield chunk


async def sampled(pid: int, upload: Callable[[], Awaitable[Any]]) -> tuple[Any, float, float]:
    """(the upload's response, its seconds, the highest RSS sampled meanwhile in MB)."""
    peak = rss_mb(pid)
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(SAMPLE_SECONDS)

    sampler = asyncio.create_task(sample())
    started = clock.perf_counter()
    try:
        response = await upload()
    finally:
        done.set()
        await sampler
    return response, clock.perf_counter() - started, max(peak, rss_mb(pid))


async def main(small: bool, path: Path) -> None:
    token = await make_district()
    rows = write_csv(path, (5 if small else 100) * MIB)
    size = path.stat().st_size  # noqa: ASYNC240 - before anything is measured
    port = free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is measured
        [sys.executable, "-m", "district_ppm.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = "/api/v1/imports/bus-runs"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=httpx.Timeout(3600)
        ) as http:
            for _ in range(300):
                try:
                    await http.get("/health/live")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            # Load every import module once, as any server that has served an import has.
            warm = await http.post(
                url,
                content=HEADER + b"R00000,2018-08-01,07:20,07:21,\n",
                headers={**headers, "Content-Type": "text/csv"},
            )
            assert warm.status_code == 200, warm.text[:500]
            baseline = rss_mb(server.pid)

            body, body_seconds, body_peak = await sampled(
                server.pid,
                lambda: http.post(
                    url,
                    content=file_chunks(path),
                    headers={**headers, "Content-Type": "text/csv"},
                ),
            )
            assert body.json() == {"written": rows}, body.text[:500]

            with path.open("rb") as upload:
                multipart, multipart_seconds, multipart_peak = await sampled(
                    server.pid,
                    lambda: http.post(
                        url, files={"file": ("runs.csv", upload, "text/csv")}, headers=headers
                    ),
                )
            assert multipart.json() == {"written": rows}, multipart.text[:500]
            high_water = rss_mb(server.pid, "VmHWM")

        print(
            f"\nimport memory ({'small' if small else 'full'}): bus-runs CSV of {size:,} bytes "
            f"({size / MIB:.1f} MiB), {rows:,} runs on {ROUTES:,} routes"
        )
        print(f"{'figure':<58}{'value':>14}")
        print(f"{'API RSS before the uploads (MB)':<58}{baseline:>14.1f}")
        print(f"{'peak RSS, upload as the body, writes every run (MB)':<58}{body_peak:>14.1f}")
        print(f"{'  its time (s)':<58}{body_seconds:>14.1f}")
        print(f"{'  runs per second':<58}{rows / body_seconds:>14,.0f}")
        print(
            f"{'peak RSS, same file as multipart, changes nothing (MB)':<58}{multipart_peak:>14.1f}"
        )
        print(f"{'  its time (s)':<58}{multipart_seconds:>14.1f}")
        print(
            f"{'peak RSS - RSS before, worst of the two (MB)':<58}"
            f"{max(body_peak, multipart_peak) - baseline:>14.1f}"
        )
        print(f"{'kernel high-water mark of the API process, VmHWM (MB)':<58}{high_water:>14.1f}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        conn = await asyncpg.connect(BASE_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        finally:
            await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick smoke run")
    arguments = parser.parse_args()
    migrate(get_settings())  # runs its own event loops, so before ours
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        asyncio.run(main(arguments.small, Path(folder) / "runs.csv"))
