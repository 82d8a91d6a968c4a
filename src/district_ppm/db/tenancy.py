"""One transaction, one tenant: the only way application code opens a session."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Executable, Result, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from district_ppm.db.quick_pool import checkin_after_rollback, checkout

T = TypeVar("T")

SET_TENANT = text("SELECT set_config('app.district_id', :district_id, true)")

# How long the first statement of a transaction keeps trying while the server restarts.
# A fast restart (pg_ctl restart -m fast) takes about a second; failover takes longer.
RECONNECT_WINDOW_SECONDS = 15.0
# SQLSTATEs of a server that is going away or not yet back: admin_shutdown,
# crash_shutdown, cannot_connect_now.
_SERVER_AWAY_STATES = frozenset({"57P01", "57P02", "57P03"})


async def set_tenant(session: AsyncSession, district_id: uuid.UUID) -> None:
    # is_local=true: the setting dies with the transaction, so a pooled connection never
    # carries one district's id into another's request.
    await session.execute(SET_TENANT, {"district_id": str(district_id)})


def server_went_away(error: BaseException) -> bool:
    """True when ``error`` says the connection or the server is gone, not that SQL failed."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig or error
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError | ConnectionError):
            return True
        if getattr(cause, "sqlstate", None) in _SERVER_AWAY_STATES:
            return True
        cause = cause.__cause__ or cause.__context__
    return False


async def begin_with(
    sessionmaker: async_sessionmaker,
    first_statement: Executable,
    parameters: Mapping[str, Any],
    *,
    window_seconds: float = RECONNECT_WINDOW_SECONDS,
) -> tuple[AsyncSession, Result[Any]]:
    """A new session in a transaction, after running its first statement.

    No pre-ping: a pooled connection that the server dropped (a restart) is found dead by
    the first statement itself, which SQLAlchemy answers by invalidating the pool; nothing
    has happened in the transaction yet, so running it again on a fresh connection is safe.
    While the server is down the attempt repeats until ``window_seconds`` have passed.
    """
    deadline = time.monotonic() + window_seconds
    delay = 0.05
    while True:
        session: AsyncSession = sessionmaker()
        try:
            await session.begin()
            return session, await session.execute(first_statement, parameters)
        except (DBAPIError, OSError) as error:
            await session.close()
            if not server_went_away(error) or time.monotonic() + delay > deadline:
                raise
        except BaseException:
            await session.close()
            raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def connect_with(
    engine: AsyncEngine,
    first_statement: Executable,
    parameters: Mapping[str, Any],
    *,
    window_seconds: float = RECONNECT_WINDOW_SECONDS,
) -> tuple[AsyncConnection, Result[Any]]:
    """``begin_with`` on a bare connection, for a request that may read nothing more.

    No ORM session: a request answered from the first statement alone (its token lookup)
    pays for a pool checkout and one statement, not for a session's transaction
    bookkeeping. Readers bind a session to the connection if they need one
    (``api.request_transaction``); ``end_connection`` rolls back. Same retry as
    ``begin_with``: the statement finds a dropped connection, SQLAlchemy invalidates the
    pool, and it runs again on a fresh one while the server comes back.
    """
    return await _first_on_a_connection(
        engine, partial(_execute_first, first_statement, parameters), window_seconds
    )


async def connect_and_fetch_row(
    engine: AsyncEngine,
    sql: str,
    *arguments: Any,
    window_seconds: float = RECONNECT_WINDOW_SECONDS,
) -> tuple[AsyncConnection, Any]:
    """``connect_with`` for a first statement of SQL text run by the driver itself: the
    connection in a transaction and the statement's first row (an asyncpg ``Record``, or
    None).

    SQLAlchemy's execution of a one-row statement (its execution context, cursor and result,
    and the greenlet switches between them) cost more CPU than the driver's round trip; a
    request's token lookup runs on every request. The transaction is begun as SQLAlchemy
    begins it (the connection's and the driver adapter's), so a session bound to the
    connection joins it and ``end_connection`` rolls it back. The engine's
    ``before_cursor_execute`` listeners see the statement. asyncpg only (``$1`` parameters),
    the one driver the engines use.
    """
    return await _first_on_a_connection(
        engine, partial(_fetch_first_row, sql, arguments), window_seconds
    )


async def _execute_first(
    statement: Executable, parameters: Mapping[str, Any], connection: AsyncConnection
) -> Result[Any]:
    return await connection.execute(statement, parameters)


async def _fetch_first_row(
    sql: str, arguments: tuple[Any, ...], connection: AsyncConnection
) -> Any:
    sync: Any = connection.sync_connection
    # SQLAlchemy's begin does no I/O (the driver begins below, with the statement):
    # called directly, not in a greenlet as AsyncConnection.begin calls it (that
    # greenlet was 1.5% of a { __typename } request).
    sync.begin()
    adapter = sync.connection.dbapi_connection
    driver = adapter.driver_connection
    try:
        if adapter._transaction is None:  # as the adapter's first execute begins
            await adapter._start_transaction()
        for listener in sync.dispatch.before_cursor_execute:
            listener(sync, None, sql, arguments, None, False)
        return await driver.fetchrow(sql, *arguments)
    except Exception as error:
        if driver.is_closed():
            await connection.invalidate()
            raise ConnectionResetError("the database closed the connection") from error
        raise


async def _first_on_a_connection(
    engine: AsyncEngine,
    first: Callable[[AsyncConnection], Awaitable[T]],
    window_seconds: float,
) -> tuple[AsyncConnection, T]:
    """A pooled connection and what ``first`` ran on it, retried on a fresh connection while
    the server is away (``connect_with``'s rule)."""
    deadline = time.monotonic() + window_seconds
    delay = 0.05
    while True:
        connection: AsyncConnection | None = None
        try:
            # Inside the retry: while the server is down, the checkout's connect fails too.
            connection = await checkout(engine)
            return connection, await first(connection)
        except (DBAPIError, OSError) as error:
            if connection is not None:
                await connection.close()
            if not server_went_away(error) or time.monotonic() + delay > deadline:
                raise
        except BaseException:
            if connection is not None:
                await connection.close()
            raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def end_connection(connection: AsyncConnection) -> None:
    """Roll back ``connection``'s transaction and return it to the pool; a connection the
    server dropped is thrown away instead, without raising (as ``end_reads``).

    ``close`` releases the connection even when its rollback fails, and a rollback that
    finds the connection gone has SQLAlchemy invalidate it, so it never goes back to the pool.
    The common case, a live connection and room for it in the pool, is done without a
    greenlet (``db.quick_pool``).
    """
    if await checkin_after_rollback(connection):
        return
    try:
        await connection.close()
    except (DBAPIError, OSError) as error:
        if not server_went_away(error):
            raise


async def end_reads(session: AsyncSession) -> None:
    """Roll back what ``session`` holds and return its connection to the pool.

    A connection the server dropped (a restart) lost its transaction with it: it is thrown
    away, not rolled back. The failed rollback must not raise: it would replace the caller's
    own error, make a mutation fail in ``RequestTransaction.release`` although its unit of
    work would reconnect, and, at the end of a request, escape after the answer was sent, so
    that the server closes the HTTP connection and the client's next request on it fails.
    """
    try:
        if session.in_transaction():
            # Detach first: a rollback would expire every loaded object, and read
            # resolvers map their rows to GraphQL types after the transaction ends.
            session.expunge_all()
            await session.rollback()
    except (DBAPIError, OSError) as error:
        if not server_went_away(error):
            raise
        await session.invalidate()
    finally:
        await session.close()


async def begin_tenant(sessionmaker: async_sessionmaker, district_id: uuid.UUID) -> AsyncSession:
    """A new session in a transaction scoped to ``district_id`` (see ``begin_with``)."""
    session, _ = await begin_with(sessionmaker, SET_TENANT, {"district_id": str(district_id)})
    return session


@asynccontextmanager
async def tenant_transaction(
    sessionmaker: async_sessionmaker, district_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction scoped to ``district_id``.

    The caller commits explicitly (``await session.commit()``); leaving the block without a
    commit, or with an exception, rolls everything back.
    """
    session = await begin_tenant(sessionmaker, district_id)
    try:
        yield session
    finally:
        await end_reads(session)
