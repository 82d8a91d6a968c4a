"""Revision 0008 brings existing districts' transportation KPIs to the template's definition."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
from alembic import command

from district_ppm.config import Settings
from district_ppm.db.bootstrap import alembic_config, ensure_database, ensure_roles
from district_ppm.processes.template import MEASURES

MEASURE = """
INSERT INTO measures (district_id, id, code, name, definition, unit, direction, stage,
                      frequency, level, aggregation, created_at)
VALUES ($1, gen_random_uuid(), $2, $2, $3, 'MINUTES', 'LOWER_IS_BETTER', 'OUTPUT', 'MONTHLY',
        'SCHOOL', $4, now())
"""


def _sql(dsn: str, work: Any) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(dsn)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_old_districts_get_the_pooled_average_and_the_definitions(settings: Settings):
    # Given a database at revision 0007 with two districts' transportation KPIs, created
    # before the template defined them: one as the template made them, one changed by hand
    name = f"dppm_mig_{uuid.uuid4().hex[:10]}"
    url = settings.admin_url.set(database=name)
    scratch = settings.model_copy(
        update={"database_url": url.render_as_string(hide_password=False)}
    )
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(ensure_database(scratch))
    asyncio.run(ensure_roles(scratch))
    try:
        command.upgrade(alembic_config(scratch), "0007")
        old, chosen = uuid.uuid4(), uuid.uuid4()

        async def seed(conn: asyncpg.Connection) -> None:
            for district in (old, chosen):
                await conn.execute(
                    "INSERT INTO districts (id, slug, name, timezone, fiscal_year_start_month,"
                    " late_bus_grace_minutes) VALUES ($1, $2, 'D', 'America/Chicago', 7, 0)",
                    district,
                    district.hex,
                )
            await conn.execute(MEASURE, old, "TRN-AVG-LATE-MIN", None, "MEAN")
            await conn.execute(MEASURE, old, "TRN-INSTR-HOURS-LOST", None, "SUM")
            await conn.execute(
                MEASURE, chosen, "TRN-AVG-LATE-MIN", "Ours.", "ENROLLMENT_WEIGHTED_MEAN"
            )

        _sql(dsn, seed)

        # When the database is migrated to the newest revision
        command.upgrade(alembic_config(scratch), "heads")

        # Then the template's KPI pools late minutes over late runs and says so; what a
        # district chose or wrote itself stays.
        rows = _sql(
            dsn,
            lambda conn: conn.fetch(
                "SELECT district_id, code, aggregation, definition FROM measures"
            ),
        )
        template = {spec.code: spec.definition for spec in MEASURES}
        assert {
            (r["district_id"], r["code"]): (r["aggregation"], r["definition"]) for r in rows
        } == {
            (old, "TRN-AVG-LATE-MIN"): ("RATIO", template["TRN-AVG-LATE-MIN"]),
            (old, "TRN-INSTR-HOURS-LOST"): ("SUM", template["TRN-INSTR-HOURS-LOST"]),
            (chosen, "TRN-AVG-LATE-MIN"): ("ENROLLMENT_WEIGHTED_MEAN", "Ours."),
        }
    finally:
        postgres = settings.admin_url.set(drivername="postgresql", database="postgres")
        _sql(
            postgres.render_as_string(hide_password=False),
            lambda conn: conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
        )
