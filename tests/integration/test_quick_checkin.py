"""Giving a request's connection back without a greenlet (``db.quick_checkin``): it goes back
rolled back and idle, and the cases that need I/O are left to SQLAlchemy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from district_ppm.db.engine import create_app_engine
from district_ppm.db.quick_checkin import checkin_after_rollback
from district_ppm.db.tenancy import connect_and_fetch_row, end_connection

FIRST_ROW = "SELECT pg_backend_pid() AS pid, set_config('app.district_id', $1, true) AS tenant"


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
