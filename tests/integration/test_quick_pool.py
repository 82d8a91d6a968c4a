"""Taking a request's connection and giving it back without a greenlet (``db.quick_pool``): it
goes back rolled back and idle, and the cases that need I/O are left to SQLAlchemy (warnings
are errors here: a connect left never awaited would fail a test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from district_ppm.db.engine import create_app_engine
from district_ppm.db.quick_pool import checkin_after_rollback, checkout
from district_ppm.db.tenancy import connect_and_fetch_row, end_connection

FIRST_ROW = "SELECT pg_backend_pid() AS pid, set_config('app.district_id', $1, true) AS tenant"
BACKEND = text("SELECT pg_backend_pid()")


@pytest.fixture
async def engine(settings: Any) -> AsyncIterator[Any]:
    engine = create_app_engine(settings, pool_size=1)
    yield engine
    await engine.dispose()


async def backend_state(admin_sessionmaker: Any, pid: int) -> str | None:
    async with admin_sessionmaker() as session:
        return await session.scalar(  # type: ignore[no-any-return]
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        )


async def test_a_connection_goes_back_to_the_pool_rolled_back_and_idle(
    engine, admin_sessionmaker, factory
):
    district_id, _ = await factory.district()
    connection, row = await connect_and_fetch_row(engine, FIRST_ROW, str(district_id))
    assert await backend_state(admin_sessionmaker, row["pid"]) == "idle in transaction"

    assert await checkin_after_rollback(connection) is True

    assert connection.sync_connection is None or connection.sync_connection.closed
    assert engine.sync_engine.pool.checkedin() == 1
    assert await backend_state(admin_sessionmaker, row["pid"]) == "idle"
    # The same connection, in a new transaction with no tenant left from the last one.
    again, row_again = await connect_and_fetch_row(
        engine, "SELECT pg_backend_pid() AS pid, current_setting('app.district_id', true) AS t"
    )
    try:
        assert row_again["pid"] == row["pid"]
        assert row_again["t"] in ("", None)
    finally:
        await end_connection(again)


async def test_a_connection_the_full_pool_must_close_is_left_to_sqlalchemy(
    engine, admin_sessionmaker, factory
):
    """With the pool's one place taken, a second (overflow) connection given back must be
    closed, which is I/O: nothing is done here, and ``end_connection`` closes it."""
    district_id, _ = await factory.district()
    first, first_row = await connect_and_fetch_row(engine, FIRST_ROW, str(district_id))
    overflow, overflow_row = await connect_and_fetch_row(engine, FIRST_ROW, str(district_id))
    assert overflow_row["pid"] != first_row["pid"]
    await end_connection(first)  # the pool's one place, now taken

    assert await checkin_after_rollback(overflow) is False
    assert await backend_state(admin_sessionmaker, overflow_row["pid"]) == "idle"  # rolled back
    assert not overflow.sync_connection.closed  # not given back: the pool has no room

    await end_connection(overflow)
    assert engine.sync_engine.pool.checkedin() == 1
    for _ in range(100):  # closed: the server ends the backend as the socket closes
        if await backend_state(admin_sessionmaker, overflow_row["pid"]) is None:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the overflow connection was not closed")
    assert await backend_state(admin_sessionmaker, first_row["pid"]) == "idle"


async def backend_of(connection: Any) -> int:
    return await connection.scalar(BACKEND)  # type: ignore[no-any-return]


async def test_an_idle_connection_is_taken_as_it_is(engine):
    first = await checkout(engine)
    pid = await backend_of(first)
    await first.close()

    again = await checkout(engine)
    try:
        assert await backend_of(again) == pid
    finally:
        await again.close()


async def test_a_connection_the_pool_must_reopen_is_reopened_by_sqlalchemy(engine):
    """An invalidated connection goes back to the pool without its driver connection: taking
    it needs a connect, which the sync checkout refuses before starting it."""
    first = await checkout(engine)
    pid = await backend_of(first)
    await first.invalidate()
    await first.close()
    assert engine.sync_engine.pool.checkedin() == 1

    reopened = await checkout(engine)
    try:
        assert await backend_of(reopened) != pid
    finally:
        await reopened.close()


async def test_connections_older_than_an_invalidated_pool_are_reopened(engine, admin_sessionmaker):
    """What a restart leaves: the pool invalidated by one dropped connection, another idle
    in it, which is reopened when taken (its driver connection ended without I/O)."""
    busy, idle = await checkout(engine), await checkout(engine)  # the second an overflow
    idle_pid = await backend_of(idle)
    await idle.close()  # back into the pool's one place
    async with admin_sessionmaker() as admin:
        await admin.execute(
            text("SELECT pg_terminate_backend(:pid)"), {"pid": await backend_of(busy)}
        )
    with pytest.raises(DBAPIError):
        await busy.execute(BACKEND)  # the disconnect invalidates the whole pool
    await busy.close()

    reopened = await checkout(engine)
    try:
        assert await backend_of(reopened) != idle_pid
    finally:
        await reopened.close()
