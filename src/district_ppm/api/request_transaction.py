"""One database transaction per GraphQL request: the token lookup and every read after it.

The token is looked up by the statement that opens the transaction (run by the driver,
``db.tenancy.connect_and_fetch_row``), which also sets the tenant from the token's district,
so an authenticated read costs one round trip for both.
Strawberry resolves sibling fields concurrently and one connection runs one statement at a
time, so readers take turns on the session; a reader that reads again inside its turn (a
service calling another) keeps its turn instead of waiting for itself.

Writes do not use it: a mutation runs in its own unit of work (``api.context.unit_of_work``),
which first releases this transaction, so that a request never holds two connections (under
load, requests each holding one while waiting for a second would drain the pool). Reads
after a release run in short transactions of their own and see what the write committed.

The transaction is held on a bare connection (``db.tenancy.connect_with``): the first reader
binds the request's one ORM session to it. A request that reads nothing more (``{ __typename
}``, an answer from the response cache, a refusal) never builds a session, and its rollback
is the connection's own.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AbstractAsyncContextManager
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from district_ppm.db.tenancy import (
    SET_TENANT,
    connect_and_fetch_row,
    connect_with,
    end_connection,
    tenant_transaction,
)
from district_ppm.tenancy.principal import Principal
from district_ppm.tenancy.service import principal_from_row
from district_ppm.tenancy.tokens import hash_token

_AUTHENTICATE_AND_SET_TENANT = (
    "SELECT t.*, set_config('app.district_id', t.district_id::text, true) AS tenant "
    "FROM ppm_authenticate($1) AS t"
)


class RequestTransaction:
    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self._sessionmaker = sessionmaker
        self._engine: AsyncEngine = sessionmaker.kw["bind"]
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None  # on the connection, once a reader asks
        self._district_id: uuid.UUID | None = None
        self._turn = asyncio.Lock()
        self._turn_holder: asyncio.Task[object] | None = None

    async def authenticate(self, token: str) -> Principal | None:
        """The token's principal, the transaction scoped to its district; None if unknown."""
        if self._connection is not None:
            raise RuntimeError("a request authenticates once")
        self._connection, row = await connect_and_fetch_row(
            self._engine, _AUTHENTICATE_AND_SET_TENANT, hash_token(token)
        )
        if row is None:
            await self.close()
            return None
        principal = principal_from_row(row)
        self._district_id = principal.district_id
        return principal

    def reads(self) -> AbstractAsyncContextManager[AsyncSession]:
        """The request's session, for the caller's turn (after a release, a session of its own)."""
        return _Reads(self)

    async def begin_again(self) -> None:
        """Roll back and begin anew on a fresh connection, same tenant: for replaying a
        query whose connection the server dropped mid-request (``api.schema``)."""
        if self._district_id is None:
            raise RuntimeError("no authenticated transaction in this request")
        async with self._turn:
            await self.close()
            self._connection, _ = await connect_with(
                self._engine, SET_TENANT, {"district_id": str(self._district_id)}
            )

    async def release(self) -> None:
        """End the transaction now, once no reader holds it (a caller inside its own turn
        keeps it: it is using it)."""
        if self._connection is None or self._turn_holder is asyncio.current_task():
            return
        async with self._turn:
            await self.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        connection, self._connection = self._connection, None
        try:
            if session is not None and _used(session):
                # It joined the connection's transaction: closing it detaches the loaded
                # objects (resolvers map them after the transaction ends) and leaves the
                # rollback to the connection.
                await session.close()
        finally:
            if connection is not None:
                await end_connection(connection)

    def _bound_session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessionmaker(bind=self._connection)
        return self._session


class _Reads:
    """One reader's ``async with transaction.reads()``. A class rather than an
    ``asynccontextmanager``: every read of every request enters it, and the generator and its
    wrapper cost more than taking the turn itself."""

    __slots__ = ("_own", "_takes_turn", "_transaction")

    def __init__(self, transaction: RequestTransaction) -> None:
        self._transaction = transaction
        self._own: AbstractAsyncContextManager[AsyncSession] | None = None  # after a release
        self._takes_turn = False  # it waited for the turn, and gives it back on leaving

    async def __aenter__(self) -> AsyncSession:
        transaction = self._transaction
        if transaction._district_id is None:
            raise RuntimeError("no authenticated transaction in this request")
        if transaction._connection is None:
            return await self._own_transaction()
        task = asyncio.current_task()
        if transaction._turn_holder is task:  # it reads again inside its turn: it keeps it
            return transaction._bound_session()
        turn = transaction._turn
        await turn.acquire()
        try:
            if transaction._connection is None:  # released while this reader waited
                session = await self._own_transaction()
            else:
                session = transaction._bound_session()
                transaction._turn_holder = task
        except BaseException:
            turn.release()
            raise
        self._takes_turn = True
        return session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        own = self._own
        if not self._takes_turn:
            return None if own is None else await own.__aexit__(exc_type, exc, traceback)
        transaction = self._transaction
        try:
            if own is not None:
                return await own.__aexit__(exc_type, exc, traceback)
            transaction._turn_holder = None
            return None
        finally:
            transaction._turn.release()

    async def _own_transaction(self) -> AsyncSession:
        transaction = self._transaction
        assert transaction._district_id is not None
        own = tenant_transaction(transaction._sessionmaker, transaction._district_id)
        session = await own.__aenter__()
        self._own = own
        return session


def _used(session: AsyncSession) -> bool:
    """The session began its transaction or holds objects: closing it has work to do. One
    whose readers only ran statements on its connection (``db.plain_rows``) has none, and
    closing it anyway cost 16 us of a request (the close runs in a greenlet)."""
    return bool(session.in_transaction() or session.identity_map or session.new or session.deleted)
