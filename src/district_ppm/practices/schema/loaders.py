"""Per-request loaders for what practices and adoptions show beside their own rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.api.loaders import TenantLoader
from district_ppm.practices import service
from district_ppm.practices.models import Adoption, AdoptionGain
from district_ppm.savings.rollup import adoption_savings_usd
from district_ppm.schools.models import School


class MeasureIdsByPracticeLoader(TenantLoader[uuid.UUID, list[uuid.UUID]]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[list[uuid.UUID]]:
        found = await service.measure_ids_of(
            session=session, district_id=self.district_id, practice_ids=keys
        )
        return [found.get(key, []) for key in keys]


class AdoptionsByPracticeLoader(TenantLoader[uuid.UUID, list[tuple[Adoption, School]]]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[list[tuple[Adoption, School]]]:
        found = await service.adoptions_of(
            session=session, district_id=self.district_id, practice_ids=keys
        )
        return [found.get(key, []) for key in keys]


class GainsByAdoptionLoader(TenantLoader[uuid.UUID, list[AdoptionGain]]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[list[AdoptionGain]]:
        found = await service.gains_of(
            session=session, district_id=self.district_id, adoption_ids=keys
        )
        return [found.get(key, []) for key in keys]


class SavingsUsdByAdoptionLoader(TenantLoader[uuid.UUID, Decimal]):
    async def fetch(self, session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[Decimal]:
        found = await adoption_savings_usd(
            session=session, district_id=self.district_id, adoption_ids=list(keys)
        )
        return [found[key] for key in keys]
