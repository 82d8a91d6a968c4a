"""Revision 0021: tenant tables check writes against the tenant read once per statement."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from alembic import command
from sqlalchemy import text

from district_ppm.config import Settings
from district_ppm.db.bootstrap import alembic_config, ensure_database, ensure_roles
from district_ppm.db.tenancy import tenant_transaction

# Each form of the check, as PostgreSQL renders it, and how many tenant tables use it.
CHECKS = """
SELECT pg_get_expr(p.polwithcheck, p.polrelid) AS check, count(*) AS tables
FROM pg_policy p WHERE p.polname = 'tenant_isolation' AND p.polwithcheck IS NOT NULL
GROUP BY 1
"""
TENANT = "(NULLIF(current_setting('app.district_id'::text, true), ''::text))::uuid"
ONCE = f'(district_id = ( SELECT {TENANT} AS "nullif"))'
PER_ROW = f"(district_id = {TENANT})"


def _checks(dsn: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        conn = await asyncpg.connect(dsn)
        try:
            return {row["check"]: row["tables"] for row in await conn.fetch(CHECKS)}
        finally:
            await conn.close()

    return asyncio.run(read())


def test_the_check_reads_the_tenant_once_and_a_downgrade_restores_the_per_row_form(
    settings: Settings,
):
    name = f"dppm_mig_{uuid.uuid4().hex[:10]}"
    url = settings.admin_url.set(database=name)
    scratch = settings.model_copy(
        update={"database_url": url.render_as_string(hide_password=False)}
    )
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(ensure_database(scratch))
    asyncio.run(ensure_roles(scratch))
    try:
        command.upgrade(alembic_config(scratch), "0021")
        at_0021 = _checks(dsn)
        command.upgrade(alembic_config(scratch), "heads")
        at_head = _checks(dsn)
        command.downgrade(alembic_config(scratch), "0020")
        at_0020 = _checks(dsn)
        command.upgrade(alembic_config(scratch), "heads")

        # Tables created after 0021 have the same check; a downgrade drops them first.
        assert set(at_0021) == set(at_head) == {ONCE} and at_0021[ONCE] > 50
        assert at_0020 == {PER_ROW: at_0021[ONCE]}
        assert _checks(dsn) == at_head
    finally:
        postgres = settings.admin_url.set(drivername="postgresql", database="postgres")

        async def drop() -> None:
            conn = await asyncpg.connect(postgres.render_as_string(hide_password=False))
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(drop())


async def test_a_tenant_still_cannot_write_a_row_of_another_district(
    factory: Any, app_sessionmaker: Any
):
    own, _ = await factory.district()
    other, _ = await factory.district()

    async with tenant_transaction(app_sessionmaker, own) as session:
        with pytest.raises(Exception, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO schools (district_id, id, name, level, first_bell, created_at) "
                    "VALUES (:other, gen_random_uuid(), 'X', 'OTHER', '08:00', now())"
                ),
                {"other": other},
            )
