"""Per-request loaders for what a project shows beside its own row (one query per page)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.api.loaders import TenantLoader
from district_ppm.improvement import phases, projects
from district_ppm.improvement.models import ProjectTollgate


class TollgatesByProjectLoader(TenantLoader[uuid.UUID, list[ProjectTollgate]]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[list[ProjectTollgate]]:
        found = await phases.tollgates_of(
            session=session, district_id=self.district_id, project_ids=keys
        )
        return [found[key] for key in keys]


class SchoolIdsByProjectLoader(TenantLoader[uuid.UUID, list[uuid.UUID]]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[list[uuid.UUID]]:
        found = await projects.school_ids_of(
            session=session, district_id=self.district_id, project_ids=keys
        )
        return [found[key] for key in keys]


class OpportunityIdByProjectLoader(TenantLoader[uuid.UUID, uuid.UUID | None]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[uuid.UUID | None]:
        found = await projects.opportunity_ids_of(
            session=session, district_id=self.district_id, project_ids=keys
        )
        return [found.get(key) for key in keys]
