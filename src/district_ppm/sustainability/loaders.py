"""Per-request loaders for what a plan shows beside its own row (one query per page)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.api.loaders import TenantLoader
from district_ppm.sustainability import service


class PlanByProjectLoader(TenantLoader[uuid.UUID, service.PlanView | None]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[service.PlanView | None]:
        plans = await service.plans_for_projects(
            session=session, district_id=self.district_id, project_ids=keys
        )
        views = {
            view.plan.project_id: view
            for view in await service.plan_views(
                session=session, district_id=self.district_id, plans=list(plans.values())
            )
        }
        return [views.get(key) for key in keys]


class ReviewsByPlanLoader(TenantLoader[uuid.UUID, list[service.ReviewRow]]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[list[service.ReviewRow]]:
        found = await service.reviews_of(
            session=session, district_id=self.district_id, plan_ids=keys
        )
        return [found[key] for key in keys]
