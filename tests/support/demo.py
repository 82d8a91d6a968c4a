"""One demo district per test run, seeded as `make run` seeds it, shared by the demo tests."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.demo import (
    DEMO_GRACE_MINUTES,
    DEMO_TIMEZONE,
    add_demo_members,
    populate_demo,
)
from district_ppm.tenancy import service as tenancy
from district_ppm.tenancy.models import Role

# A Wednesday in the fall: the story's "this year" is 2026-27, its routing change January 5th,
# 2026, its baseline bus year 2024-25. Yesterday (Tuesday 17th) was the last school day.
TODAY = date(2026, 11, 18)
LAST_SCHOOL_DAY = date(2026, 11, 17)
_seeded: dict[date, tuple[uuid.UUID, str]] = {}


async def demo_district(admin_sessionmaker: Any, app_sessionmaker: Any) -> tuple[uuid.UUID, str]:
    """The demo district of ``TODAY`` and an admin token (seeded once per test run)."""
    if TODAY not in _seeded:
        async with admin_sessionmaker() as session, session.begin():
            district = await tenancy.create_district(
                session=session,
                slug=f"demo-{uuid.uuid4().hex[:8]}",
                name="Demo Independent School District",
                timezone=DEMO_TIMEZONE,
                late_bus_grace_minutes=DEMO_GRACE_MINUTES,
            )
            _, token = await tenancy.create_token(
                session=session,
                district_id=district.id,
                role=Role.DISTRICT_ADMIN,
                name="demo test",
                ttl=timedelta(days=1),
            )
            await add_demo_members(session=session, district_id=district.id)
            district_id = district.id
        assert await populate_demo(app_sessionmaker, district_id, today=TODAY)
        _seeded[TODAY] = (district_id, token)
    return _seeded[TODAY]


async def tenant_tables(app_sessionmaker: Any, district_id: uuid.UUID) -> list[str]:
    """Every table with a district_id column (the application role sees only its rows)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = 'district_id' "
                "ORDER BY table_name"
            )
        )
        return [name for (name,) in rows]


async def snapshot(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[str, tuple[int, str]]:
    """Each tenant table's row count and a digest of every row of the district."""
    tables = await tenant_tables(app_sessionmaker, district_id)
    found = {}
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for table in tables:
            count, digest = (
                await session.execute(
                    text(
                        f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' "
                        f"ORDER BY t::text), '')) FROM {table} t "
                        "WHERE t.district_id = :district_id"
                    ),
                    {"district_id": district_id},
                )
            ).one()
            found[table] = (count, digest)
    return found
