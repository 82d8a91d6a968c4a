"""The request context: principal resolved once at the edge, loaders cached per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import msgspec
from litestar.connection import ASGIConnection
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.litestar import BaseContext
from strawberry.types import Info

from district_ppm.api.request_transaction import RequestTransaction
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.db.unit_of_work import UnitOfWork, open_unit_of_work
from district_ppm.errors import DomainError, Unauthenticated
from district_ppm.tenancy.principal import Principal

L = TypeVar("L")
_TRANSACTION = "request_transaction"


class Context(BaseContext, kw_only=True):
    sessionmaker: async_sessionmaker
    principal: Principal | None
    transaction: RequestTransaction | None = None  # the request's reads, once authenticated
    # The server dropped a connection while executing (a restart): set by the error contract.
    connection_lost: bool = False
    # Set by ``api.schema.Schema.execute`` for the one replay: a failure then is final.
    replaying: bool = False
    request_id: str | None = None
    client_ip: str | None = None
    loaders: dict[type, Any] = msgspec.field(default_factory=dict)


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def load_principal(sessionmaker: async_sessionmaker, token: str | None) -> Principal | None:
    """The principal of ``token`` looked up in a transaction of its own (imports)."""
    if token is None:
        return None
    transaction = RequestTransaction(sessionmaker)
    try:
        return await transaction.authenticate(token)
    finally:
        await transaction.close()


async def request_principal(connection: ASGIConnection) -> Principal | None:
    """The caller of this request, looked up once however many hooks ask (rate limit, context).

    The lookup opens the request's transaction (``request_transaction``), which the request's
    reads then use; ``close_request_transaction`` ends it when the response is sent.
    """
    state = connection.scope.setdefault("state", {})
    if "principal" not in state:
        token = bearer_token(connection)
        principal = None
        if token is not None:
            transaction = RequestTransaction(connection.app.state.sessionmaker)
            state[_TRANSACTION] = transaction
            principal = await transaction.authenticate(token)
        state["principal"] = principal
    return state["principal"]


def request_transaction(connection: ASGIConnection) -> RequestTransaction | None:
    return connection.scope.get("state", {}).get(_TRANSACTION)


async def close_request_transaction(scope: Scope) -> None:
    transaction = scope.get("state", {}).pop(_TRANSACTION, None)
    if transaction is not None:
        await transaction.close()


def lost_connection(context: object) -> None:
    if isinstance(context, Context):
        context.connection_lost = True


def principal_of(info: Info) -> Principal:
    principal = info.context.principal
    if principal is None:
        raise Unauthenticated()
    return principal


def loader(info: Info, loader_class: type[L]) -> L:
    """The request's instance of ``loader_class``, created on first use."""
    loaders = info.context.loaders
    if loader_class not in loaders:
        loaders[loader_class] = loader_class(
            info.context.sessionmaker, principal_of(info).district_id
        )  # type: ignore[call-arg]
    return loaders[loader_class]  # type: ignore[no-any-return]


def read_session(info: Info) -> AbstractAsyncContextManager[AsyncSession]:
    """A read-only session of the caller's district: the request's transaction, in turns.

    Without one (a context built outside an HTTP request), a short transaction of its own.
    The manager is the transaction's own (no second one wrapped around it, on every read).
    """
    principal = principal_of(info)
    transaction = info.context.transaction
    if transaction is not None:
        return transaction.reads()
    return tenant_transaction(info.context.sessionmaker, principal.district_id)


@asynccontextmanager
async def unit_of_work(
    info: Info, action: str, *, input_name: str | None = "input"
) -> AsyncIterator[UnitOfWork]:
    """Run a mutation in one unit of work (see ``open_unit_of_work``).

    Services name fields relative to the input object (``ncesId``); errors leaving the block
    are re-rooted at the mutation's argument (``input.ncesId``), as the contract expects.
    """
    context: Context = info.context
    if context.transaction is not None:
        await context.transaction.release()
    async with open_unit_of_work(
        sessionmaker=context.sessionmaker,
        principal=principal_of(info),
        action=action,
        request_id=context.request_id,
        client_ip=context.client_ip,
    ) as uow:
        try:
            yield uow
        except DomainError as error:
            if input_name and error.field:
                raise error.at(input_name) from None
            raise
