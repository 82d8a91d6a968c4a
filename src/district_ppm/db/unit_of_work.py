"""The unit of work: one transaction of one district, its audit event, one commit at the end.

Every writer opens one, whatever the transport (a GraphQL mutation, a CSV import, a CLI
command); services receive its session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from district_ppm.audit.service import record_event
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.errors import Conflict
from district_ppm.tenancy.principal import Principal

UNIQUE_VIOLATION = "23505"


class UnitOfWork:
    """One write's transaction: its writes, its audit event, one commit at the end."""

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
