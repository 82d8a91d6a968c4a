"""A connection the server drops, one at a time: what a restart does to every pooled connection.

The server ends one backend (``pg_terminate_backend``, the same FATAL a fast shutdown sends),
so these run on the shared test database without restarting anything; the whole restart under
load is ``test_database_restart.py``.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from district_ppm.db.engine import create_app_engine, make_sessionmaker
from district_ppm.db.tenancy import (
    begin_with,
    connect_and_fetch_row,
    connect_with,
    end_connection,
    end_reads,
    tenant_transaction,
)

BACKEND = text("SELECT pg_backend_pid()")


@pytest.fixture
async def one_connection(settings: Any) -> AsyncIterator[Any]:
    """An application sessionmaker whose pool holds a single connection."""
    engine = create_app_engine(settings, pool_size=1)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def terminate(admin_sessionmaker: Any, pid: int) -> None:
    async with admin_sessionmaker() as session:
        assert await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The backend is gone once the server no longer lists it.
        for _ in range(100):
            listed = await session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            if not listed:
                return
            await session.rollback()
        raise AssertionError(f"backend {pid} was not terminated")


async def test_a_first_statement_on_a_dropped_pooled_connection_runs_again_on_a_new_one(
    one_connection, admin_sessionmaker, factory
):
    district_id, _ = await factory.district()
    async with tenant_transaction(one_connection, district_id) as session:
        dropped = await session.scalar(BACKEND)
    await terminate(admin_sessionmaker, dropped)

    # The pool hands out the dead connection; begin_with finds out and runs the statement anew.
    session, result = await begin_with(one_connection, BACKEND, {})
    try:
        assert result.scalar() != dropped
    finally:
        await end_reads(session)


async def test_ending_a_transaction_whose_connection_was_dropped_does_not_raise(
    one_connection, admin_sessionmaker, factory
):
    district_id, _ = await factory.district()
    session, result = await begin_with(one_connection, BACKEND, {})
    dropped = result.scalar()
    await terminate(admin_sessionmaker, dropped)

    # Nothing to roll back: the transaction died with the connection. Raising here would
    # replace the caller's own error, or, at the end of a request, break its HTTP connection.
    await end_reads(session)

    # And the dead connection did not go back to the pool: the next checkout is a live one.
    async with one_connection() as fresh:
        assert await fresh.scalar(BACKEND) != dropped
    async with tenant_transaction(one_connection, district_id) as session:
        assert await session.scalar(text("SELECT current_setting('app.district_id')")) == str(
            district_id
        )


async def test_a_first_statement_on_a_bare_dropped_connection_runs_again_on_a_new_one(
    one_connection, admin_sessionmaker
):
    """``connect_with`` (a request's token lookup) retries as ``begin_with`` does."""
    engine = one_connection.kw["bind"]
    connection, result = await connect_with(engine, BACKEND, {})
    dropped = result.scalar()
    await end_connection(connection)
    await terminate(admin_sessionmaker, dropped)

    connection, result = await connect_with(engine, BACKEND, {})
    try:
        assert result.scalar() != dropped
        assert connection.in_transaction()
    finally:
        await end_connection(connection)


async def test_a_first_row_fetched_by_the_driver_on_a_dropped_connection_comes_from_a_new_one(
    one_connection, admin_sessionmaker, factory
):
    """``connect_and_fetch_row`` (every request's token lookup) retries as ``connect_with``
    does, and begins the transaction as SQLAlchemy would: a session bound to the connection
    joins it, and ending the connection rolls the tenant back."""
    district_id, _ = await factory.district()
    engine = one_connection.kw["bind"]
    connection, row = await connect_and_fetch_row(engine, "SELECT pg_backend_pid() AS pid")
    dropped = row["pid"]
    await end_connection(connection)
    await terminate(admin_sessionmaker, dropped)

    connection, row = await connect_and_fetch_row(
        engine,
        "SELECT pg_backend_pid() AS pid, set_config('app.district_id', $1, true) AS tenant",
        str(district_id),
    )
    assert row["pid"] != dropped
    assert connection.in_transaction()
    session = one_connection(bind=connection)
    tenant = text("SELECT current_setting('app.district_id', true)")
    assert await session.scalar(tenant) == str(district_id)
    await session.close()
    assert connection.in_transaction()  # closing the session left the transaction alone
    await end_connection(connection)
    async with one_connection() as later:  # the same pooled connection, rolled back
        assert await later.scalar(BACKEND) == row["pid"]
        assert await later.scalar(tenant) in ("", None)


async def test_a_driver_fetched_first_row_that_fails_as_sql_is_not_retried(one_connection):
    engine = one_connection.kw["bind"]
    with pytest.raises(Exception, match="division by zero"):
        await connect_and_fetch_row(engine, "SELECT 1 / 0")
    # The connection went back to the pool in a usable state.
    connection, row = await connect_and_fetch_row(engine, "SELECT 2 AS two")
    assert row["two"] == 2
    await end_connection(connection)


async def test_a_bare_connection_waits_for_a_server_that_does_not_answer(settings):
    """While the server is down the checkout itself fails: it is retried until the window
    ends, as a first statement is, rather than failing the request at once."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    nowhere = settings.model_copy(
        update={"database_url": f"postgresql://postgres@127.0.0.1:{port}/nothing"}
    )
    engine = create_app_engine(nowhere, pool_size=1)
    started = time.monotonic()
    try:
        with pytest.raises((OSError, DBAPIError)):
            await connect_with(engine, BACKEND, {}, window_seconds=0.4)
    finally:
        await engine.dispose()
    assert time.monotonic() - started >= 0.3


async def test_ending_a_bare_connection_that_was_dropped_does_not_raise(
    one_connection, admin_sessionmaker, factory, caplog
):
    district_id, _ = await factory.district()
    engine = one_connection.kw["bind"]
    connection, result = await connect_with(engine, BACKEND, {})
    dropped = result.scalar()
    await terminate(admin_sessionmaker, dropped)

    with caplog.at_level(logging.ERROR):
        await end_connection(connection)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

    # The dead connection did not go back to the pool.
    async with tenant_transaction(one_connection, district_id) as session:
        assert await session.scalar(BACKEND) != dropped


async def test_a_session_bound_to_a_request_connection_reads_its_tenant_until_it_ends(
    one_connection, factory
):
    """What ``RequestTransaction`` does: the session joins the connection's transaction, and
    ending the connection rolls back the tenant setting with it."""
    district_id, _ = await factory.district()
    engine = one_connection.kw["bind"]
    tenant = text("SELECT current_setting('app.district_id', true)")
    connection, _ = await connect_with(
        engine,
        text("SELECT set_config('app.district_id', :d, true)"),
        {"d": str(district_id)},
    )
    session = one_connection(bind=connection)
    assert await session.scalar(tenant) == str(district_id)
    await session.close()
    assert connection.in_transaction()  # closing the session left the transaction alone
    await end_connection(connection)

    async with one_connection() as later:  # the same pooled connection, rolled back
        assert await later.scalar(tenant) in ("", None)


async def test_a_query_whose_connection_is_dropped_mid_request_is_answered_from_a_new_one(
    gql, factory, admin_sessionmaker, monkeypatch
):
    """The token was looked up, then the server dropped the connection before the reads: the
    query runs again in a new transaction and answers as if nothing had happened."""
    from district_ppm.schools import service as schools
    from tests.support.schools import CREATE, school_input

    _, token = await factory.district()
    await gql(CREATE, {"input": school_input()}, token=token)
    list_schools = schools.list_schools
    dropped: list[int] = []

    async def list_after_a_drop(*, session: Any, **kwargs: Any) -> Any:
        if not dropped:  # the first attempt only
            dropped.append(await session.scalar(BACKEND))
            await terminate(admin_sessionmaker, dropped[0])
        return await list_schools(session=session, **kwargs)

    monkeypatch.setattr(schools, "list_schools", list_after_a_drop)
    result = await gql("{ schools(first: 5) { totalCount } }", token=token)

    assert dropped, "the connection was never dropped"
    assert result == {"data": {"schools": {"totalCount": 1}}}


async def test_a_read_the_driver_runs_on_a_dropped_connection_is_answered_from_a_new_one(
    gql, factory, admin_sessionmaker, monkeypatch
):
    """``db.plain_rows.fetch_records`` reads on asyncpg's connection directly: the server
    dropping it mid-request is replayed like a drop under SQLAlchemy."""
    from district_ppm.measures import comparison
    from tests.support.measures import create_measure, create_school, record

    _, token = await factory.district()
    measure = await create_measure(gql, token, code="ADA")
    school = await create_school(gql, token, "Adams")
    await record(
        gql, token, measure, [{"schoolId": school, "periodStart": "2025-09-01", "value": 91.5}]
    )
    fetch_records = comparison.fetch_records
    dropped: list[int] = []

    async def fetch_after_a_drop(session: Any, *args: Any) -> Any:
        if not dropped:
            dropped.append(await session.scalar(BACKEND))
            await terminate(admin_sessionmaker, dropped[0])
        return await fetch_records(session, *args)

    monkeypatch.setattr(comparison, "fetch_records", fetch_after_a_drop)
    result = await gql(
        'query($m: ID!) { schoolComparison(measureId: $m, periodStart: "2025-09-01") '
        "{ rows { school { name } value rank } } }",
        {"m": measure},
        token=token,
    )

    assert dropped, "the connection was never dropped"
    assert result == {
        "data": {
            "schoolComparison": {"rows": [{"school": {"name": "Adams"}, "value": 91.5, "rank": 1}]}
        }
    }


async def test_a_mutation_whose_connection_is_dropped_is_not_run_twice(
    gql, factory, admin_sessionmaker, monkeypatch
):
    """A write may have committed before the drop, so it fails instead of running again."""
    from district_ppm.schools import service as schools
    from tests.support.schools import CREATE, school_input

    _, token = await factory.district()
    create_school = schools.create_school
    calls: list[int] = []

    async def create_after_a_drop(*, session: Any, **kwargs: Any) -> Any:
        calls.append(await session.scalar(BACKEND))
        await terminate(admin_sessionmaker, calls[-1])
        return await create_school(session=session, **kwargs)

    monkeypatch.setattr(schools, "create_school", create_after_a_drop)
    result = await gql(CREATE, {"input": school_input()}, token=token)

    assert len(calls) == 1
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL"


class RecordedLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def error(self, event: str, **_: Any) -> None:
        self.events.append(("error", event))

    def warning(self, event: str, **_: Any) -> None:
        self.events.append(("warning", event))


async def test_a_query_dropped_again_on_its_replay_is_logged_as_an_internal_error(
    gql, factory, admin_sessionmaker, monkeypatch
):
    """The replay runs once: if it loses its connection too, that failure is an internal
    error and is logged as one."""
    from district_ppm.api import error_contract
    from district_ppm.schools import service as schools

    _, token = await factory.district()
    list_schools = schools.list_schools
    dropped: list[int] = []

    async def always_dropped(*, session: Any, **kwargs: Any) -> Any:
        dropped.append(await session.scalar(BACKEND))
        await terminate(admin_sessionmaker, dropped[-1])
        return await list_schools(session=session, **kwargs)

    # A recorder, not structlog's capture: structlog caches a logger on its first use, so
    # capturing through its configuration would depend on which test ran first.
    recorded = RecordedLog()
    monkeypatch.setattr(error_contract, "log", recorded)
    monkeypatch.setattr(schools, "list_schools", always_dropped)
    result = await gql("{ schools(first: 5) { totalCount } }", token=token)

    assert len(dropped) == 2, "run once, replayed once"
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert recorded.events == [
        ("warning", "graphql.connection_lost_replaying"),
        ("error", "graphql.internal_error"),
    ]
