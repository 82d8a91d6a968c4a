"""A PostgreSQL restart under load: the API and the worker reconnect by themselves.

The application engine has no pool pre-ping: every transaction opens through
``db.tenancy.begin_with``, whose first statement finds a connection the server dropped and is
retried on a fresh one, with backoff while the server is down. Here a real server is
restarted (``pg_ctl stop -m fast``, a pause, ``pg_ctl start``: what ``pg_ctl restart -m fast``
does, the pause making sure requests arrive while nothing listens) under a real
``district-ppm serve`` and ``district-ppm worker``, and:

- every request sent after the server stopped succeeds: those sent while it is down wait for
  it, those sent after it is back meet the pool's dead connections and retry on fresh ones;
- after a restart with no traffic at all (every pooled connection dead and none found out
  yet), the first read and the first write succeed, and the worker runs the next job.

What a restart does cost: with ``-m fast`` PostgreSQL terminates every backend at once, so a
request whose transaction was open at that instant (its first statement had run, later ones
had not) loses its connection mid-transaction. A query is then executed again, whole, on a
new connection (``api.schema.Schema.execute``): it only read. A write may have reached
COMMIT, so whether it committed is unknown and only the client can decide to send it again.
The pre-ping never covered that case either (it tests a connection at checkout, not during
use). So the precise property is: the only failed requests are writes in flight while the
server was shutting down, at most one per client, each answered as an INTERNAL error whose
logged cause is the terminated connection, never a first statement that gave up (begin_with's
job). The test prints how many failed.

The machine's shared PostgreSQL is never touched: the server restarted here is a private
cluster in a temporary directory (``tests.support.private_postgres``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from district_ppm.config import Settings
from district_ppm.db.bootstrap import migrate
from district_ppm.db.engine import create_admin_engine, make_sessionmaker
from tests.support.factories import DistrictFactory
from tests.support.graphql import GraphQL
from tests.support.live_server import serving
from tests.support.load_clients import (
    KINDS,
    SCHOOLS,
    SCORECARD,
    Load,
    LoadTarget,
    Outcome,
)
from tests.support.measures import RECORD, SET_TARGET, create_measure, create_school, monthly
from tests.support.private_postgres import PrivateCluster, private_cluster, why_no_private_server
from tests.support.waiting import eventually

CLI = Path(sys.executable).parent / "district-ppm"
DATABASE = "district_ppm_restart"
CLIENTS = 6
LOAD_BEFORE_SECONDS = 2.0
DOWN_SECONDS = 1.0
LOAD_AFTER_SECONDS = 3.0
# Longer than begin_with's reconnect window: a request waiting for the server is not cut off.
CLIENT_TIMEOUT_SECONDS = 40.0
# The logged cause of an INTERNAL error when PostgreSQL terminated the connection under a
# transaction (asyncpg's wordings: the server's FATAL, a connection found closed, and the
# protocol state a connection is left in when the FATAL arrives between two statements).
TERMINATED_CONNECTION = (
    "terminating connection due to administrator command",
    "connection was closed in the middle of operation",
    "connection is closed",
    "another operation (2) is in progress",
)

pytestmark = pytest.mark.skipif(
    why_no_private_server() is not None, reason=f"no private PostgreSQL: {why_no_private_server()}"
)


@dataclass
class Stack:
    cluster: PrivateCluster
    base_url: str
    api_log: Path
    worker_log: Path
    worker: subprocess.Popen[str]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=CLIENT_TIMEOUT_SECONDS,
            limits=httpx.Limits(max_connections=CLIENTS + 4),
        )


@dataclass
class Restart:
    stopping: float  # pg_ctl stop -m fast called (the event loop's clock)
    stopped: float  # the postmaster has exited: every backend is gone
    starting: float  # pg_ctl start called
    started: float  # the server accepts connections again


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A private cluster, migrated, with the API and the worker running against it."""
    logs = tmp_path_factory.mktemp("database-restart")
    with private_cluster() as cluster:
        settings = Settings(
            database_url=cluster.url(DATABASE),
            queue_namespace=f"{os.environ['DISTRICT_PPM_QUEUE_NAMESPACE']}-restart",
        )
        migrate(settings)
        env = {
            **os.environ,
            "DISTRICT_PPM_DATABASE_URL": settings.database_url,
            "DISTRICT_PPM_QUEUE_NAMESPACE": settings.queue_namespace,
            "DISTRICT_PPM_OUTBOX_POLL_SECONDS": "0.2",
            "DISTRICT_PPM_LOG_LEVEL": "WARNING",
        }
        with (logs / "worker.log").open("w") as sink:
            worker = subprocess.Popen(
                [str(CLI), "worker"], env=env, stdout=sink, stderr=subprocess.STDOUT, text=True
            )
        try:
            with serving(env, log_path=logs / "api.log") as base_url:
                yield Stack(cluster, base_url, logs / "api.log", logs / "worker.log", worker)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


@pytest.fixture(scope="module")
async def target(stack: Stack) -> LoadTarget:
    """A district with three schools and a school-level measure, its admin token."""
    admin = create_admin_engine(Settings(database_url=stack.cluster.url(DATABASE)))
    try:
        _, token = await DistrictFactory(make_sessionmaker(admin)).district()
    finally:
        await admin.dispose()
    async with stack.client() as http:
        gql = GraphQL(http)
        schools = [await create_school(gql, token, f"Restart School {n}") for n in range(3)]
        measure_id = await create_measure(gql, token, code="ADA")
    return LoadTarget(token=token, school_ids=schools, measure_id=measure_id)


async def restart(
    cluster: PrivateCluster, *, down_seconds: float, when_stopped: Callable[[], None] | None = None
) -> Restart:
    """Stop the server (``-m fast``), leave it down for ``down_seconds``, start it again."""
    loop = asyncio.get_running_loop()
    stopping = loop.time()
    await asyncio.to_thread(cluster.stop, "fast")
    stopped = loop.time()
    if when_stopped is not None:
        when_stopped()
    await asyncio.sleep(down_seconds)
    starting = loop.time()
    await asyncio.to_thread(cluster.start)
    return Restart(stopping, stopped, starting, loop.time())


def timeline(outcomes: list[Outcome], restarted: Restart) -> str:
    """The requests around the restart, times relative to the stop (for failure messages)."""
    zero = restarted.stopping
    lines = [
        f"stop called +0.000, stopped {restarted.stopped - zero:+.3f}, "
        f"start called {restarted.starting - zero:+.3f}, "
        f"accepting {restarted.started - zero:+.3f}"
    ]
    for o in sorted(outcomes, key=lambda o: o.sent):
        if not o.ok or (o.answered > zero - 0.5 and o.sent < restarted.started + 0.5):
            lines.append(
                f"  {o.client:>8} {o.kind:<9} sent {o.sent - zero:+.3f} "
                f"answered {o.answered - zero:+.3f} {'ok' if o.ok else 'FAILED ' + o.detail}"
            )
    return "\n".join(lines)


def logged_errors(log: Path) -> list[dict[str, str]]:
    """The API's error-level log events (its JSON lines)."""
    events = []
    for line in log.read_text().splitlines():
        if line.startswith("{") and '"level":"error"' in line:
            events.append(json.loads(line))
    return events


async def test_a_restart_under_load_fails_no_request_sent_after_the_server_stopped(
    stack: Stack, target: LoadTarget
):
    async with stack.client() as http:
        load = Load(http, target)
        clients = [
            asyncio.create_task(load.client(f"client{n}", KINDS[n % 3 :] + KINDS[: n % 3]))
            for n in range(CLIENTS)
        ]
        await asyncio.sleep(LOAD_BEFORE_SECONDS)
        probes: list[asyncio.Task[Outcome]] = []

        def probe() -> None:
            # Requests that certainly arrive while nothing listens: each must wait for it.
            for serial, kind in enumerate(KINDS):
                probes.append(asyncio.create_task(load.send(f"probe{serial}", kind, serial)))

        restarted = await restart(stack.cluster, down_seconds=DOWN_SECONDS, when_stopped=probe)
        probed = await asyncio.gather(*probes)
        await asyncio.sleep(LOAD_AFTER_SECONDS)
        load.stop.set()
        await asyncio.gather(*clients)

    outcomes = load.outcomes
    story = timeline(outcomes, restarted)
    failed = [o for o in outcomes if not o.ok]
    print(
        f"\n{len(outcomes)} requests, {len(failed)} failed "
        f"({', '.join(sorted(o.kind for o in failed)) or 'none'}); "
        f"{sum(o.sent >= restarted.stopped for o in outcomes)} sent after the server stopped\n"
        f"{story}"
    )

    # The load ran on both sides of the restart, reads and writes alike.
    answered_before = {o.kind for o in outcomes if o.ok and o.answered < restarted.stopping}
    sent_after = {o.kind for o in outcomes if o.ok and o.sent > restarted.started}
    assert answered_before == sent_after == set(KINDS), story
    # Sent while nothing listened: they waited for the server and succeeded.
    assert all(p.ok and p.answered > restarted.starting for p in probed), story
    # Every request sent after the server stopped succeeded, however long it had to wait.
    assert [o for o in failed if o.sent >= restarted.stopped] == [], story
    # The only failures: requests in flight while the server shut down, one per client at
    # most, answered as INTERNAL errors...
    assert all(o.sent < restarted.stopped and o.answered > restarted.stopping for o in failed)
    assert len({o.client for o in failed}) == len(failed) <= CLIENTS, story
    assert all('"code": "INTERNAL"' in o.detail for o in failed), story
    # ...and writes only: a read that lost its connection ran again on a new one.
    assert {o.kind for o in failed} <= {"record"}, story
    # ...whose logged cause is the terminated connection, and never a first statement that
    # gave up (begin_with retries those); nothing else went wrong in the API.
    errors = logged_errors(stack.api_log)
    assert len({e["request_id"] for e in errors}) == len(failed), errors
    for error in errors:
        assert error["event"] == "graphql.internal_error", error
        assert any(cause in error["exception"] for cause in TERMINATED_CONNECTION), error
        assert "in begin_with" not in error["exception"], error
    # (uvicorn's own report of an exception that escaped the app after the answer was sent)
    assert "Exception in ASGI application" not in stack.api_log.read_text()
    assert "in begin_with" not in stack.worker_log.read_text()
    assert stack.worker.poll() is None, stack.worker_log.read_text()[-3000:]


async def test_after_a_quiet_restart_the_first_requests_and_the_next_job_succeed(
    stack: Stack, target: LoadTarget
):
    token = target.token
    async with stack.client() as http:
        gql = GraphQL(http)
        # A district-level measure: after each write the worker computes its status.
        code = f"W{uuid.uuid4().hex[:6].upper()}"
        measure_id = await create_measure(gql, token, code=code, level="DISTRICT")
        goal = {"measureId": measure_id, "schoolYear": 2026, "value": 90, "redThreshold": 80}
        assert "errors" not in await gql(SET_TARGET, {"input": goal}, token=token)

        def status_is(period: str, status: str) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                rows = (await gql(SCORECARD, token=token))["data"]["scorecard"]["rows"]
                mine = [
                    (r["latestPeriod"], r["status"]) for r in rows if r["measure"]["code"] == code
                ]
                return mine == [(period, status)]

            return check

        def one_value(month: int, value: float) -> dict[str, object]:
            return {
                "input": {"measureId": measure_id, "values": monthly(None, 2025, month, [value])}
            }

        assert "errors" not in await gql(RECORD, one_value(7, 95), token=token)
        # The worker has run a job, and the API has answered: both pools hold connections.
        assert await eventually(status_is("2025-07-01", "GREEN"), seconds=30)
        assert await app_connections(stack.cluster) > 0

        await restart(stack.cluster, down_seconds=0)

        # Nothing has used either pool since: the first read and write meet dead connections.
        first_read = await gql(SCHOOLS, token=token)
        assert first_read == {"data": {"schools": first_read["data"]["schools"]}}
        assert first_read["data"]["schools"]["totalCount"] == len(target.school_ids)
        first_write = await gql(RECORD, one_value(8, 70), token=token)
        assert first_write == {"data": {"recordMeasurements": {"written": 1}}}
        # The relay sends the job; the worker runs it on its dead pool and writes the status.
        assert await eventually(status_is("2025-08-01", "RED"), seconds=30)
    assert stack.worker.poll() is None, stack.worker_log.read_text()[-3000:]


async def app_connections(cluster: PrivateCluster) -> int:
    """Connections the API and the worker hold open as the application role."""
    connection = await asyncpg.connect(cluster.url(DATABASE))
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'district_ppm_app'"
            )
        )
    finally:
        await connection.close()
