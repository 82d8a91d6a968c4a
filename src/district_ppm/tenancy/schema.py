"""GraphQL: me, Principal, District."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ANY_ROLE
from district_ppm.jobs.models import DistrictStats
from district_ppm.tenancy import models, service

Role = strawberry.enum(models.Role)


@strawberry.type
class District:
    id: strawberry.ID
    slug: str
    name: str
    timezone: str
    fiscal_year_start_month: int
    late_bus_grace_minutes: int = strawberry.field(
        description="A bus run is late when it arrives more than this many minutes late."
    )
    school_count: int | None = strawberry.field(
        description="Schools in the district, as last counted by the worker."
    )
    computed_at: datetime | None = strawberry.field(
        description="When the worker last counted; null before its first run."
    )


@strawberry.type
class Principal:
    role: Role  # type: ignore[valid-type]
    district: District


@strawberry.type
class TenancyQueries:
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def me(self, info: Info) -> Principal:
        principal = principal_of(info)
        async with read_session(info) as session:
            district = await service.get_district(
                session=session, district_id=principal.district_id
            )
            stats = await session.scalar(
                select(DistrictStats).where(DistrictStats.district_id == principal.district_id)
            )
        return Principal(
            role=principal.role,
            district=District(
                id=strawberry.ID(str(district.id)),
                slug=district.slug,
                name=district.name,
                timezone=district.timezone,
                fiscal_year_start_month=district.fiscal_year_start_month,
                late_bus_grace_minutes=district.late_bus_grace_minutes,
                school_count=stats.school_count if stats else None,
                computed_at=stats.computed_at if stats else None,
            ),
        )
