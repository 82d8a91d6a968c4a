"""The per-request floor: what an authenticated ``{ __typename }`` POST costs the API.

Every GraphQL request pays for it whatever it asks: HTTP, the request id, metrics and the
access log line, the token lookup that opens the request's transaction, the rate limit's
Redis call, Strawberry's view, and the transaction's rollback. The script builds a district
and a token in a database of its own, serves this tree with ``district-ppm serve`` (one
process, INFO logging as in production, the response cache off, budgets too high to refuse),
and sends the query from eight keep-alive clients for a few rounds; it prints the medians of
req/s and of the server's CPU per request (from /proc). On a shared machine req/s moves with
everything else running, the CPU per request much less.

    .venv/bin/python tests/benchmarks/bench_request_floor.py [--seconds 5] [--rounds 5]
        [--clients 8] [--keep] [--small]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import bench_measures  # puts src/ on the path
import httpx
from peer_load import cpu_snapshot, cpu_spent, encode_post, process_tree, run_load

from district_ppm.config import Settings
from district_ppm.db.bootstrap import migrate
from district_ppm.db.engine import create_admin_engine, make_sessionmaker
from district_ppm.tenancy import service as tenancy
from district_ppm.tenancy.models import Role

DATABASE = "district_ppm_bench_floor"
QUERY = "{ __typename }"
HOST = "127.0.0.1"


def database_url() -> str:
    return bench_measures.BASE_URL.rsplit("/", 1)[0] + "/" + DATABASE


async def district_token(settings: Settings) -> str:
    engine = create_admin_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            slug = f"floor-{os.getpid()}-{time.time_ns()}"
            district = await tenancy.create_district(session=session, slug=slug, name=slug)
            _, token = await tenancy.create_token(
                session=session,
                district_id=district.id,
                role=Role.DISTRICT_ADMIN,
                name="floor benchmark",
                ttl=timedelta(days=1),
            )
    finally:
        await engine.dispose()
    return str(token)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    rounds: list[tuple[float, float]] = field(default_factory=list)  # (req/s, CPU ms/req)


def serve(name: str, root: Path) -> Served:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{root / 'src'}:{root}",
        "DISTRICT_PPM_DATABASE_URL": database_url(),
        "DISTRICT_PPM_RESPONSE_CACHE": "false",
        "DISTRICT_PPM_RATE_LIMIT_PER_MINUTE": "100000000",
        "DISTRICT_PPM_RATE_LIMIT_BURST": "100000000",
    }
    argv = [sys.executable, "-m", "district_ppm.cli", "serve", "--host", HOST]
    argv += ["--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        argv, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return Served(name, process, port)


async def wait_up(server: Served, token: str) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(600):
            try:
                answer = await http.post(
                    f"http://{HOST}:{server.port}/graphql",
                    json={"query": QUERY},
                    headers={"Authorization": f"Bearer {token}"},
                )
                if answer.json() == {"data": {"__typename": "Query"}}:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{server.name} did not answer")


async def measure(server: Served, token: str, clients: int, seconds: float) -> None:
    body = json.dumps({"query": QUERY}).encode()
    request = encode_post(HOST, server.port, "/graphql", body, {"Authorization": f"Bearer {token}"})
    pids = process_tree(server.process.pid)
    before = cpu_snapshot(pids)
    result = await run_load(HOST, server.port, request, clients, seconds)
    spent = cpu_spent(before, cpu_snapshot(pids))
    if result.failures:
        raise SystemExit(f"{server.name}: {result.failures} failed, {result.first_failure}")
    server.rounds.append((result.per_second, spent / result.requests * 1000))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--small", action="store_true", help="a smoke run: 2 rounds of 1 s")
    args = parser.parse_args()
    if args.small:
        args.rounds, args.seconds = 2, 1.0

    settings = Settings(database_url=database_url())
    await asyncio.to_thread(migrate, settings)  # creates the database when missing
    token = await district_token(settings)
    server = serve("this tree", bench_measures.ROOT)
    try:
        await wait_up(server, token)
        await measure(server, token, args.clients, 1.0)  # warm up
        server.rounds.clear()
        for _ in range(args.rounds):
            await measure(server, token, args.clients, args.seconds)
    finally:
        server.process.send_signal(signal.SIGINT)
        server.process.wait(timeout=30)
        if not args.keep:
            import asyncpg

            conn = await asyncpg.connect(bench_measures.BASE_URL)
            await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            await conn.close()

    print(
        f"{QUERY} POST with a bearer token, {args.clients} clients, "
        f"{args.rounds} x {args.seconds:g} s; load average {os.getloadavg()[0]:.1f}"
    )
    rates = [rate for rate, _ in server.rounds]
    cpus = [cpu for _, cpu in server.rounds]
    print(
        f"{statistics.median(rates):.1f} req/s, {statistics.median(cpus):.3f} ms CPU per "
        f"request (medians; rounds {', '.join(f'{r:.0f}' for r in rates)} req/s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
