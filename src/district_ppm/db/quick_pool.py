"""Taking a request's connection from the pool and giving it back without a greenlet, when the
pool needs no I/O to do it.

SQLAlchemy's asyncio layer runs every checkout and every close in a new greenlet, in case the
pool has to open or close a connection (I/O awaited from its sync code). Each greenlet also
gets a fresh 16 KiB Python frame stack, mapped and unmapped by the kernel. A request's
connection almost never needs the I/O: an idle connection is taken from the pool's queue, and
given back, rolled back, into it. So the pool's sync code is called directly when it has
nothing to await, and SQLAlchemy's asyncio path does the work otherwise:

- checkout: the queue is empty (a connection must be opened), or the connection taken must be
  reopened (the pool was invalidated since it opened, after a restart). That second case is
  only found by trying: the pool's attempt to connect raises ``MissingGreenlet`` before any
  I/O, the pool puts the connection back invalidated, and the asyncio path reopens it. The
  engine's driver connect is started only when awaited (``connect_when_awaited``), so that a
  refused attempt leaves no coroutine behind never awaited;
- checkin: the connection is closed or invalidated, or the queue is full (an overflow
  connection must be closed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any

from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import QueuePool


class _ConnectWhenAwaited:
    __slots__ = ("_arguments", "_connect", "_keywords")

    def __init__(
        self, connect: Callable[..., Awaitable[Any]], arguments: Any, keywords: Any
    ) -> None:
        self._connect, self._arguments, self._keywords = connect, arguments, keywords

    def __await__(self) -> Generator[Any, None, Any]:
        return self._connect(*self._arguments, **self._keywords).__await__()


def connect_when_awaited(connect: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """The driver's ``connect``, started only when its result is awaited (the engine's
    ``async_creator_fn``): a connect the pool's sync code refuses outside a greenlet is then
    never started, instead of left as a coroutine never awaited."""

    def connecting(*arguments: Any, **keywords: Any) -> _ConnectWhenAwaited:
        return _ConnectWhenAwaited(connect, arguments, keywords)

    return connecting


async def checkout(engine: AsyncEngine) -> AsyncConnection:
    """A pooled connection: an idle one taken without a greenlet, or SQLAlchemy's
    ``AsyncEngine.connect`` when taking one needs I/O."""
    if isinstance(engine.sync_engine.pool, QueuePool) and engine.sync_engine.pool.checkedin():
        try:
            return AsyncConnection(engine, engine.sync_engine.connect())
        except MissingGreenlet:
            pass  # the connection taken must be reopened: the pool put it back, invalidated
    return await engine.connect()


async def checkin_after_rollback(connection: AsyncConnection) -> bool:
    """Roll ``connection``'s transaction back on the driver and give it back to the pool,
    without a greenlet; False when giving it back needs I/O, which is then left to
    SQLAlchemy's close (the transaction may already be rolled back: it then sends nothing).

    A rollback that fails leaves the connection's state unknown: it is thrown away
    (invalidated), and the error raised unless the connection was gone, as
    ``db.tenancy.end_connection`` does.
    """
    sync = connection.sync_connection
    pool = connection.sync_engine.pool
    if sync is None or sync.closed or sync.invalidated or not isinstance(pool, QueuePool):
        return False
    adapter = sync.connection.dbapi_connection
    driver = adapter.driver_connection  # type: ignore[union-attr]
    transaction = adapter._transaction  # type: ignore[union-attr]  # the driver's, begun with ours
    if transaction is not None:
        # SQLAlchemy's own rollback, in the close below, then finds no driver transaction and
        # sends nothing.
        adapter._transaction = None  # type: ignore[union-attr]
        try:
            await transaction.rollback()
        except BaseException:
            await connection.invalidate()
            if driver.is_closed():
                return True
            raise
    if pool.checkedin() >= pool.size():
        # A full queue closes the connection given back (I/O): checked now, after the await,
        # since other requests give theirs back meanwhile. SQLAlchemy's close does it.
        return False
    sync.close()  # SQLAlchemy's rollback (its events run) and the checkin: no I/O left
    return True
