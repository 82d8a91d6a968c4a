"""The demo district that `make run` loads: enough data for a first query to show something."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from district_ppm.config import Settings
from district_ppm.db.engine import create_admin_engine, create_app_engine, make_sessionmaker
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.demo import seed_measures_demo
from district_ppm.schools.models import School, SchoolLevel
from district_ppm.schools.service import SchoolCreate, create_school
from district_ppm.tenancy import service as tenancy
from district_ppm.tenancy.models import District, Role
from district_ppm.transportation.demo import seed_transportation_demo

DEMO_SLUG = "demo"
DEMO_SCHOOLS = [
    SchoolCreate("Lincoln Elementary", SchoolLevel.ELEMENTARY, time(7, 50), "480000100001", 512),
    SchoolCreate("Washington Elementary", SchoolLevel.ELEMENTARY, time(7, 50), "480000100002", 468),
    SchoolCreate("Roosevelt Elementary", SchoolLevel.ELEMENTARY, time(8, 0), "480000100003", 601),
    SchoolCreate("Jefferson Middle", SchoolLevel.MIDDLE, time(8, 15), "480000100004", 842),
    SchoolCreate("Madison Middle", SchoolLevel.MIDDLE, time(8, 15), "480000100005", 779),
    SchoolCreate("Central High", SchoolLevel.HIGH, time(8, 30), "480000100006", 1630),
]


async def seed_demo(settings: Settings) -> dict[str, Any]:
    """Create the demo district once (idempotent) and issue a fresh admin token for it."""
    admin_engine = create_admin_engine(settings)
    app_engine = create_app_engine(settings, pool_size=2)
    try:
        async with make_sessionmaker(admin_engine)() as session, session.begin():
            district = await session.scalar(select(District).where(District.slug == DEMO_SLUG))
            if district is None:
                district = await tenancy.create_district(
                    session=session,
                    slug=DEMO_SLUG,
                    name="Demo Independent School District",
                    timezone="America/Chicago",
                )
                district.late_bus_grace_minutes = 2
            _, token = await tenancy.create_token(
                session=session,
                district_id=district.id,
                role=Role.DISTRICT_ADMIN,
                name="demo admin",
                ttl=timedelta(days=30),
            )
            district_id: uuid.UUID = district.id
        # Tenant data is written as the application role, through the same services as the API.
        async with tenant_transaction(make_sessionmaker(app_engine), district_id) as session:
            have = set(await session.scalars(select(School.nces_id)))
            today = datetime.now(UTC).date()
            for school in DEMO_SCHOOLS:
                if school.nces_id not in have:
                    await create_school(
                        session=session, district_id=district_id, data=school, today=today
                    )
            await seed_measures_demo(session=session, district_id=district_id, today=today)
            await seed_transportation_demo(session=session, district_id=district_id, today=today)
            await session.commit()
    finally:
        await admin_engine.dispose()
        await app_engine.dispose()
    return {"district_id": district_id, "slug": DEMO_SLUG, "token": token}
