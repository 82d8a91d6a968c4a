"""Base for per-request DataLoaders that read in their own short tenant transactions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from district_ppm.db.tenancy import tenant_transaction

K = TypeVar("K")
V = TypeVar("V")


class TenantLoader(DataLoader[K, V], Generic[K, V]):
    """Subclasses implement ``fetch``; batching and per-request caching come from DataLoader."""

    def __init__(self, sessionmaker: async_sessionmaker, district_id: uuid.UUID) -> None:
        super().__init__(load_fn=self._load)
        self.sessionmaker = sessionmaker
        self.district_id = district_id

    async def _load(self, keys: Sequence[K]) -> list[V]:
        async with tenant_transaction(self.sessionmaker, self.district_id) as session:
            return await self.fetch(session, keys)

    async def fetch(self, session: AsyncSession, keys: Sequence[K]) -> list[V]:
        raise NotImplementedError
