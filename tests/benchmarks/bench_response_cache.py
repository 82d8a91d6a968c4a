"""The response cache's warm throughput beside the cold one, on bench_measures.py's district.

    .venv/bin/python tests/benchmarks/bench_response_cache.py            # the full district
    .venv/bin/python tests/benchmarks/bench_response_cache.py --small    # a quick smoke run
    .venv/bin/python tests/benchmarks/bench_response_cache.py --reuse NAME  # a kept database

The district is bench_measures.py's (200 schools x 60 measures x 60 months = 720,000
measurements imported over HTTP, every measure's statuses refreshed; ``--small``: 20 x 10 x
12), in a database of its own that is dropped at the end (unless ``--keep``; a database kept
by ``bench_peer.py --keep`` can be ``--reuse``d, and is never dropped).

Two API processes (``district-ppm serve``) on that database, alike but for the setting:
- cold: ``DISTRICT_PPM_RESPONSE_CACHE=off``, every request executed;
- warm: the cache on, filled by one request before the clock starts, so every timed request
  is a hit (checked: the ``x-cache`` header before, the hit counter of ``/metrics`` after).
Both pay the token lookup, the rate limiter's Redis call (budgets raised out of the way) and,
warm, the data version read and a Redis GET. Per read (``scorecard(view: DASHBOARD)``, then
``schoolComparison`` and ``schools(first: 200)``): ``--clients`` keep-alive connections
(peer_load.py) for ``--seconds``, ``--rounds`` alternating runs cold, warm, ...; then one
client alone for the single-request p50. CPU per request: utime+stime of the API process.
The machine is shared: read the warm / cold ratios, measured in the same minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time as clock
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# bench_measures points DISTRICT_PPM_DATABASE_URL at a database of its own when imported.
import asyncpg  # noqa: E402
import bench_measures  # noqa: E402
import httpx  # noqa: E402
from peer_load import (  # noqa: E402
    RunResult,
    cpu_snapshot,
    cpu_spent,
    encode_post,
    percentile,
    process_tree,
    run_load,
)

from district_ppm.config import Settings, get_settings  # noqa: E402
from district_ppm.db.bootstrap import migrate  # noqa: E402
from district_ppm.db.engine import (  # noqa: E402
    create_admin_engine,
    create_app_engine,
    make_sessionmaker,
)
from district_ppm.db.tenancy import tenant_transaction  # noqa: E402
from district_ppm.measures.refresh import refresh_measure_status  # noqa: E402
from district_ppm.tenancy import service as tenancy  # noqa: E402
from district_ppm.tenancy.models import Role  # noqa: E402

HOST = "127.0.0.1"
FULL, SMALL = (200, 60, 60), (20, 10, 12)
RAISED_RATE_LIMITS = {
    "DISTRICT_PPM_RATE_LIMIT_PER_MINUTE": "100000000",
    "DISTRICT_PPM_RATE_LIMIT_BURST": "10000000",
}
SCHOOLS = "query { schools(first: 200) { edges { node { name level firstBell enrollment } } } }"
HITS = re.compile(r'^district_ppm_response_cache_lookups_total\{result="hit"\} (\S+)$', re.M)


@dataclass
class District:
    district_id: uuid.UUID
    token: str
    measure_id: uuid.UUID
    period: Any
    school_year: int


def admin_dsn(settings: Settings, database: str) -> str:
    url = settings.admin_url.set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def drop_database(settings: Settings, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn(settings, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def build_district(settings: Settings, size: tuple[int, int, int], api: Server) -> None:
    """bench_measures' district, imported over HTTP through ``api``, statuses refreshed."""
    n_schools, n_measures, n_months = size
    district_id, token, schools, measures = await bench_measures.build(
        settings, n_schools, n_measures, analyze=True
    )
    body = bench_measures.csv_body(schools, measures, bench_measures.months(n_months))
    async with httpx.AsyncClient(base_url=api.url, timeout=900) as http:
        await api.wait_ready(http)
        response = await http.post(
            "/api/v1/imports/measurements",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        )
    if response.status_code != 200:
        raise SystemExit(f"the measurements import failed: {response.text[:500]}")
    engine = create_app_engine(settings, pool_size=1)
    try:
        async with tenant_transaction(make_sessionmaker(engine), district_id) as session:
            await refresh_measure_status(session=session, district_id=district_id)
            await session.commit()
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(admin_dsn(settings, settings.database_name))
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def find_district(settings: Settings) -> District:
    conn = await asyncpg.connect(admin_dsn(settings, settings.database_name))
    try:
        district_id = await conn.fetchval("SELECT id FROM districts WHERE slug = 'bench'")
        measure_id = await conn.fetchval(
            "SELECT id FROM measures WHERE district_id = $1 AND code = 'KPI-00'", district_id
        )
        period = await conn.fetchval(
            "SELECT max(period_start) FROM measurements WHERE measure_id = $1", measure_id
        )
        school_year = await conn.fetchval(
            "SELECT max(school_year) FROM measure_statuses WHERE district_id = $1", district_id
        )
    finally:
        await conn.close()
    if period is None or school_year is None:
        raise SystemExit(f"{settings.database_name} holds no finished bench district")
    engine = create_admin_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            _, token = await tenancy.create_token(
                session=session,
                district_id=district_id,
                role=Role.DISTRICT_ADMIN,
                name="bench-response-cache",
                ttl=timedelta(days=1),
            )
    finally:
        await engine.dispose()
    return District(district_id, token, measure_id, period, school_year)


class Server:
    def __init__(self, name: str, settings: Settings, *, cache: bool) -> None:
        self.name = name
        self.port = bench_measures.free_port()
        self.url = f"http://{HOST}:{self.port}"
        env = {
            **os.environ,
            "DISTRICT_PPM_DATABASE_URL": settings.database_url,
            "DISTRICT_PPM_ENVIRONMENT": "production",
            "DISTRICT_PPM_RESPONSE_CACHE": "on" if cache else "off",
            "DISTRICT_PPM_QUEUE_NAMESPACE": f"bench-response-cache-{os.getpid()}",
            **RAISED_RATE_LIMITS,
        }
        command = Path(sys.executable).parent / "district-ppm"
        self.process = subprocess.Popen(
            [str(command), "serve", "--host", HOST, "--port", str(self.port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    async def wait_ready(self, http: httpx.AsyncClient, seconds: float = 90.0) -> None:
        deadline = clock.monotonic() + seconds
        while clock.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the {self.name} API exited at start")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{self.url}/health/live")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
        raise SystemExit(f"the {self.name} API never answered")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


@dataclass
class Figures:
    per_second: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    requests: int = 0
    failures: int = 0
    p50_one_client: float = float("nan")

    def add(self, run: RunResult, cpu_seconds: float) -> None:
        self.per_second.append(run.per_second)
        self.cpu_ms.append(cpu_seconds / max(run.requests, 1) * 1000)
        self.requests += run.requests
        self.failures += run.failures


async def timed_run(
    server: Server, request: bytes, clients: int, seconds: float
) -> tuple[RunResult, float]:
    pids = process_tree(server.process.pid)
    before = cpu_snapshot(pids)
    run = await run_load(HOST, server.port, request, clients, seconds)
    return run, cpu_spent(before, cpu_snapshot(pids))


async def hits(http: httpx.AsyncClient, server: Server) -> float:
    match = HITS.search((await http.get(f"{server.url}/metrics")).text)
    return float(match.group(1)) if match else 0.0


async def compare(
    body: dict[str, Any], token: str, cold: Server, warm: Server, args: argparse.Namespace
) -> tuple[Figures, Figures, float]:
    """Both servers under the same load, alternating; the share of warm requests that hit."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=120) as http:
        first, _, cached = [
            await http.post(f"{server.url}/graphql", json=body, headers=headers)
            for server in (cold, warm, warm)
        ]
        for answer in (first, cached):
            if answer.status_code != 200 or "errors" in answer.json():
                raise SystemExit(f"{answer.status_code}: {answer.text[:300]}")
        if cached.json() != first.json() or cached.headers.get("x-cache") != "hit":
            raise SystemExit("the warm server's answer differs from the cold one, or is no hit")
        figures = {cold.name: Figures(), warm.name: Figures()}
        requests = {
            server.name: encode_post(
                HOST, server.port, "/graphql", json.dumps(body).encode(), headers
            )
            for server in (cold, warm)
        }
        for server in (cold, warm):  # a warm-up of each, not counted
            await run_load(HOST, server.port, requests[server.name], args.clients, 1.0)
        hits_before = await hits(http, warm)
        for _ in range(args.rounds):
            for server in (cold, warm):
                figures[server.name].add(
                    *await timed_run(server, requests[server.name], args.clients, args.seconds)
                )
        for server in (cold, warm):
            alone, _ = await timed_run(server, requests[server.name], 1, min(args.seconds, 5.0))
            figures[server.name].p50_one_client = percentile(alone.latencies, 0.5)
            figures[server.name].requests += alone.requests
            figures[server.name].failures += alone.failures
        hit_share = (await hits(http, warm) - hits_before) / max(1, figures[warm.name].requests)
    return figures[cold.name], figures[warm.name], hit_share


def report(name: str, cold: Figures, warm: Figures, hit_share: float, clients: int) -> None:
    cold_rate, warm_rate = statistics.median(cold.per_second), statistics.median(warm.per_second)
    print(f"\n{name}")
    print(f"  {'':<34}{'cold':>10}{'warm':>10}{'warm/cold':>11}")
    print(
        f"  {f'req/s, {clients} clients (median)':<34}{cold_rate:>10.1f}{warm_rate:>10.1f}"
        f"{warm_rate / cold_rate:>10.1f}x"
    )
    for side, figures in (("cold", cold), ("warm", warm)):
        runs = " / ".join(f"{rate:.1f}" for rate in figures.per_second)
        print(f"  {f'  runs, {side}':<34}{runs}")
    cold_cpu, warm_cpu = statistics.median(cold.cpu_ms), statistics.median(warm.cpu_ms)
    print(
        f"  {'API CPU per request (ms)':<34}{cold_cpu:>10.2f}{warm_cpu:>10.2f}"
        f"{warm_cpu / cold_cpu:>10.2f}x"
    )
    print(
        f"  {'p50, one client (ms)':<34}{cold.p50_one_client:>10.2f}{warm.p50_one_client:>10.2f}"
        f"{warm.p50_one_client / cold.p50_one_client:>10.2f}x"
    )
    print(f"  {'warm requests answered by a hit':<34}{'':>10}{hit_share:>10.1%}")
    if cold.failures or warm.failures:
        print(f"  FAILED requests: cold {cold.failures}, warm {warm.failures}")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    cold = warm = None
    try:
        if not args.reuse:
            cold = Server("cold", settings, cache=False)
            await build_district(settings, SMALL if args.small else FULL, cold)
        district = await find_district(settings)
        cold = cold or Server("cold", settings, cache=False)
        warm = Server("warm", settings, cache=True)
        async with httpx.AsyncClient() as http:
            for server in (cold, warm):
                await server.wait_ready(http)
        reads = {
            "scorecard(view: DASHBOARD)": {
                "query": bench_measures.SCORECARD,
                "variables": {"y": district.school_year},
            },
            "schoolComparison": {
                "query": bench_measures.COMPARISON,
                "variables": {"m": str(district.measure_id), "p": district.period.isoformat()},
            },
            "schools(first: 200)": {"query": SCHOOLS, "variables": {}},
        }
        print(
            f"response cache benchmark ({'small' if args.small else 'full'} district, "
            f"database {settings.database_name}): {args.clients} clients, {args.rounds} "
            f"alternating runs of {args.seconds:.0f} s per server and read"
        )
        failed = False
        for name, body in reads.items():
            cold_figures, warm_figures, hit_share = await compare(
                body, district.token, cold, warm, args
            )
            report(name, cold_figures, warm_figures, hit_share, args.clients)
            failed = failed or bool(cold_figures.failures or warm_figures.failures)
        return 1 if failed else 0
    finally:
        for server in (cold, warm):
            if server is not None:
                server.stop()
        if not args.reuse and not args.keep:
            await drop_database(settings, settings.database_name)
        elif not args.reuse:
            print(f"kept database {settings.database_name} (--reuse it)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick smoke run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="per run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per server")
    parser.add_argument("--keep", action="store_true", help="keep the built database")
    parser.add_argument("--reuse", metavar="NAME", help="measure a kept database (never dropped)")
    args = parser.parse_args()
    if args.small:
        args.seconds, args.rounds = min(args.seconds, 3.0), min(args.rounds, 2)
    if args.reuse:
        url = get_settings().admin_url.set(database=args.reuse)
        os.environ["DISTRICT_PPM_DATABASE_URL"] = url.render_as_string(hide_password=False)
        get_settings.cache_clear()
    settings = get_settings()
    if not args.reuse:
        migrate(settings)  # runs its own event loop
    return asyncio.run(run(args, settings))


if __name__ == "__main__":
    sys.exit(main())
