"""Alembic environment: runs as the owner role from DISTRICT_PPM_DATABASE_URL."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from district_ppm.config import Settings, asyncpg_url, get_settings
from district_ppm.db.models import metadata

config = context.config
if config.config_file_name and not config.attributes.get("settings"):
    fileConfig(config.config_file_name)
settings: Settings = config.attributes.get("settings") or get_settings()
# Every migration's upgrade/downgrade takes exactly one keyword, app_role; a role added later
# is read from here instead (``context.config.attributes``), so no signature has to change.
config.attributes["jobs_role"] = settings.jobs_db_role


def run_sync(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations(app_role=settings.app_db_role)


async def run_async() -> None:
    engine = create_async_engine(asyncpg_url(settings.admin_url))
    async with engine.connect() as connection:
        await connection.run_sync(run_sync)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `district-ppm migrate`")
asyncio.run(run_async())
