"""Sustainability plans and reviews: keyword-only services that never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.sustainability.models import SustainabilityPlan


async def get_plan_for_project(
    *, session: AsyncSession, district_id: uuid.UUID, project_id: uuid.UUID
) -> SustainabilityPlan | None:
    """The project's sustainability plan (a project has at most one), or None."""
    plan: SustainabilityPlan | None = await session.scalar(
        select(SustainabilityPlan).where(
            SustainabilityPlan.district_id == district_id,
            SustainabilityPlan.project_id == project_id,
        )
    )
    return plan
