"""The request context: principal resolved once at the edge, loaders cached per request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import msgspec
from litestar.connection import ASGIConnection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.litestar import BaseContext
from strawberry.types import Info

from district_ppm.api.errors import Conflict, DomainError, Unauthenticated
from district_ppm.audit.service import record_event
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.tenancy.principal import Principal
from district_ppm.tenancy.service import authenticate

L = TypeVar("L")
UNIQUE_VIOLATION = "23505"


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


class UnitOfWork:
    """One mutation's transaction: its writes, its audit event, one commit at the end."""

    def __init__(self, session: AsyncSession, principal: Principal, action: str) -> None:
        self.session = session
        self.principal = principal
        self.district_id = principal.district_id
        self.action = action
        self.entity_type: str | None = None
        self.entity_id: str | None = None
        self.details: dict[str, Any] = {}

    def audit(self, entity_type: str, entity_id: uuid.UUID | str | None, **details: Any) -> None:
        self.entity_type = entity_type
        self.entity_id = str(entity_id) if entity_id is not None else None
        self.details.update(details)


@asynccontextmanager
async def open_unit_of_work(
    *,
    sessionmaker: async_sessionmaker,
    principal: Principal,
    action: str,
    request_id: str | None,
    client_ip: str | None,
) -> AsyncIterator[UnitOfWork]:
    """One transaction of the principal's district; on success, its audit event and commit.

    A unique violation that the services' own checks could not see coming (a concurrent
    writer committed the same key first) is a CONFLICT, not an internal error.
    """
    async with tenant_transaction(sessionmaker, principal.district_id) as session:
        uow = UnitOfWork(session, principal, action)
        with _unique_violation_is_conflict():
            yield uow
            await _finish(uow, request_id=request_id, client_ip=client_ip)


@contextmanager
def _unique_violation_is_conflict() -> Iterator[None]:
    try:
        yield
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            raise Conflict(None, "another request wrote the same record first; retry") from None
        raise


async def _finish(uow: UnitOfWork, *, request_id: str | None, client_ip: str | None) -> None:
    session, principal = uow.session, uow.principal
    await record_event(
        session=session,
        district_id=principal.district_id,
        actor=principal.actor,
        token_id=principal.token_id,
        action=uow.action,
        entity_type=uow.entity_type,
        entity_id=uow.entity_id,
        details=uow.details,
        request_id=request_id,
        client_ip=client_ip,
    )
    await session.commit()


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
