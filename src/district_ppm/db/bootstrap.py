"""Create the database and the application role, then migrate. Idempotent."""

from __future__ import annotations

import asyncio
import contextlib
import re

import asyncpg
from alembic import command
from alembic.config import Config

from district_ppm.config import PROJECT_ROOT, Settings

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _dsn(settings: Settings, database: str) -> str:
    url = settings.admin_url.set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a safe PostgreSQL identifier: {name!r}")
    return name


async def ensure_database(settings: Settings) -> None:
    name = _identifier(settings.database_name)
    conn = await asyncpg.connect(_dsn(settings, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Another process (a parallel test run) may create it between check and create.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def ensure_app_role(settings: Settings) -> None:
    role = _identifier(settings.app_db_role)
    conn = await asyncpg.connect(_dsn(settings, settings.database_name))
    try:
        # Roles are cluster-wide; concurrent bootstraps (parallel test runs) race here.
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('district_ppm_bootstrap'))")
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            password = settings.app_db_password.replace("'", "''")
            verb = "ALTER" if exists else "CREATE"
            await conn.execute(
                f"{verb} ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
                f"PASSWORD '{password}'"
            )
    finally:
        await conn.close()


def alembic_config(settings: Settings) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["settings"] = settings
    return config


def migrate(settings: Settings) -> None:
    """Create what is missing and bring the schema to the newest revision."""
    asyncio.run(ensure_database(settings))
    asyncio.run(ensure_app_role(settings))
    command.upgrade(alembic_config(settings), "heads")
