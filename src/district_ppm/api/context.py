"""The request context: principal resolved once at the edge, loaders cached per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import msgspec
from litestar.connection import ASGIConnection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.litestar import BaseContext
from strawberry.types import Info

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.db.unit_of_work import UnitOfWork, open_unit_of_work
from district_ppm.errors import DomainError, Unauthenticated
from district_ppm.tenancy.principal import Principal
from district_ppm.tenancy.service import authenticate

L = TypeVar("L")


class Context(BaseContext, kw_only=True):
    sessionmaker: async_sessionmaker
    principal: Principal | None
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
    if token is None:
        return None
    async with sessionmaker() as session:
        return await authenticate(session=session, token=token)


async def request_principal(connection: ASGIConnection) -> Principal | None:
    """The caller of this request, looked up once however many hooks ask (rate limit, context)."""
    state = connection.scope.setdefault("state", {})
    if "principal" not in state:
        state["principal"] = await load_principal(
            connection.app.state.sessionmaker, bearer_token(connection)
        )
    return state["principal"]


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


@asynccontextmanager
async def read_session(info: Info) -> AsyncIterator[AsyncSession]:
    """A short read-only transaction of the caller's district, private to one resolver.

    Strawberry resolves sibling fields concurrently, so no session is ever shared between
    resolvers.
    """
    principal = principal_of(info)
    async with tenant_transaction(info.context.sessionmaker, principal.district_id) as session:
        yield session


@asynccontextmanager
async def unit_of_work(
    info: Info, action: str, *, input_name: str | None = "input"
) -> AsyncIterator[UnitOfWork]:
    """Run a mutation in one unit of work (see ``open_unit_of_work``).

    Services name fields relative to the input object (``ncesId``); errors leaving the block
    are re-rooted at the mutation's argument (``input.ncesId``), as the contract expects.
    """
    context: Context = info.context
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
