"""One transaction, one tenant: the only way application code opens a session."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_SET_TENANT = text("SELECT set_config('app.district_id', :district_id, true)")


async def set_tenant(session: AsyncSession, district_id: uuid.UUID) -> None:
    # is_local=true: the setting dies with the transaction, so a pooled connection never
    # carries one district's id into another's request.
    await session.execute(_SET_TENANT, {"district_id": str(district_id)})


@asynccontextmanager
async def tenant_transaction(
    sessionmaker: async_sessionmaker, district_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction scoped to ``district_id``.

    The caller commits explicitly (``await session.commit()``); leaving the block without a
    commit, or with an exception, rolls everything back.
    """
    async with sessionmaker() as session:
        await session.begin()
        await set_tenant(session, district_id)
        try:
            yield session
        finally:
            if session.in_transaction():
                # Detach first: a rollback would expire every loaded object, and read
                # resolvers map their rows to GraphQL types after the transaction ends.
                session.expunge_all()
                await session.rollback()
