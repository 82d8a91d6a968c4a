"""Districts and tokens, made the way a platform operator makes them (the owner role)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from district_ppm.tenancy import service as tenancy
from district_ppm.tenancy.models import Role


class DistrictFactory:
    """Creates districts and tokens the way a platform operator does (owner role)."""

    def __init__(self, admin_sessionmaker: Any) -> None:
        self.admin_sessionmaker = admin_sessionmaker

    async def district(self, **fields: Any) -> tuple[uuid.UUID, str]:
        """A new district and a DISTRICT_ADMIN token for it."""
        slug = fields.pop("slug", f"d-{uuid.uuid4().hex[:12]}")
        async with self.admin_sessionmaker() as session, session.begin():
            district = await tenancy.create_district(
                session=session, slug=slug, name=fields.pop("name", f"District {slug}"), **fields
            )
            _, token = await tenancy.create_token(
                session=session,
                district_id=district.id,
                role=Role.DISTRICT_ADMIN,
                name="test admin",
                ttl=timedelta(days=1),
            )
            return district.id, token

    async def token(
        self,
        district_id: uuid.UUID,
        role: Role,
        *,
        school_ids: list[uuid.UUID] | None = None,
        ttl: timedelta = timedelta(days=1),
    ) -> str:
        async with self.admin_sessionmaker() as session, session.begin():
            _, token = await tenancy.create_token(
                session=session,
                district_id=district_id,
                role=role,
                name=f"test {role.value}",
                ttl=ttl,
                school_ids=school_ids or [],
            )
            return token
