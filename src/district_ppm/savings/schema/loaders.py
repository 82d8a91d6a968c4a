"""Per-request loaders for what an entry or a project shows of the ledger (one query a page)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.api.loaders import TenantLoader
from district_ppm.savings import claims, entries
from district_ppm.savings.models import SavingsEntry


class SavingsByProjectLoader(TenantLoader[uuid.UUID, list[SavingsEntry]]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[list[SavingsEntry]]:
        found = await entries.entries_of_projects(
            session=session, district_id=self.district_id, project_ids=keys
        )
        return [found[key] for key in keys]


class ReversalIdLoader(TenantLoader[uuid.UUID, uuid.UUID | None]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[uuid.UUID | None]:
        found = await entries.reversal_ids(
            session=session, district_id=self.district_id, entry_ids=keys
        )
        return [found.get(key) for key in keys]


class ClaimCheckLoader(TenantLoader[uuid.UUID, claims.ClaimCheck | None]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[claims.ClaimCheck | None]:
        entries = list(
            await session.scalars(
                select(SavingsEntry).where(
                    SavingsEntry.district_id == self.district_id, SavingsEntry.id.in_(keys)
                )
            )
        )
        found = await claims.claim_checks(
            session=session, district_id=self.district_id, entries=entries
        )
        return [found.get(key) for key in keys]
