"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from district_ppm.db.models import metadata


async def test_migrated_database_matches_the_models(admin_sessionmaker):
    async with admin_sessionmaker() as session:
        connection = await session.connection()
        differences = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), metadata
            )
        )

    assert differences == []
