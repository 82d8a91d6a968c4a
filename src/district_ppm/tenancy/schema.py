"""GraphQL: me, Principal, District."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from sqlalchemy import bindparam, select
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ANY_ROLE
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.errors import NotFound
from district_ppm.jobs.models import DistrictStats
from district_ppm.tenancy import models

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


# The caller's district with the worker's count: built once, fetched by the driver
# (db.plain_rows); two ORM reads cost 2 ms of CPU on a request that often asks only its role.
_DISTRICT_WITH_STATS = (
    select(
        models.District.id,
        models.District.slug,
        models.District.name,
        models.District.timezone,
        models.District.fiscal_year_start_month,
        models.District.late_bus_grace_minutes,
        DistrictStats.school_count,
        DistrictStats.computed_at,
    )
    .outerjoin(DistrictStats, DistrictStats.district_id == models.District.id)
    .where(models.District.id == bindparam("district_id"))
)


@strawberry.type
class Principal:
    role: Role  # type: ignore[valid-type]
    district_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def district(self, info: Info) -> District:
        async with read_session(info) as session:
            rows = await fetch_tuples(
                session, _DISTRICT_WITH_STATS, {"district_id": self.district_id}
            )
        if not rows:
            raise NotFound("district", "no such district")
        district_id, slug, name, timezone, fy_month, grace, school_count, computed_at = rows[0]
        return District(
            id=strawberry.ID(str(district_id)),
            slug=slug,
            name=name,
            timezone=timezone,
            fiscal_year_start_month=fy_month,
            late_bus_grace_minutes=grace,
            school_count=school_count,
            computed_at=computed_at,
        )


@strawberry.type
class TenancyQueries:
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def me(self, info: Info) -> Principal:
        """The caller: its role, and its district (read only when selected)."""
        principal = principal_of(info)
        return Principal(role=principal.role, district_id=principal.district_id)
