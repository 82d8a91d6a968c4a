"""Create the database, the API's and the job runner's roles, then migrate. Idempotent."""

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


async def ensure_roles(settings: Settings) -> None:
    """Create (or reset the password of) the API's role and the job runner's role.

    Two roles, not one: the relay and scheduler's functions work across districts (claim any
    district's jobs, list every district, purge history), so the role the API uses must not
    be able to call them.
    """
    app_role = _identifier(settings.app_db_role)
    jobs_role = _identifier(settings.jobs_db_role)
    if app_role == jobs_role:
        raise ValueError(
            "DISTRICT_PPM_JOBS_DB_ROLE must differ from DISTRICT_PPM_APP_DB_ROLE: "
            "the API's role must not reach the job runner's cross-district functions"
        )
    # Roles are cluster-wide: lock in one database every bootstrap shares, so that parallel
    # runs on different databases (parallel test runs) also wait for each other.
    conn = await asyncpg.connect(_dsn(settings, "postgres"))
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('district_ppm_bootstrap'))")
            await _ensure_role(conn, app_role, settings.app_db_password)
            await _ensure_role(conn, jobs_role, settings.jobs_db_password)
    finally:
        await conn.close()


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    quoted = password.replace("'", "''")
    existing = await conn.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", role
    )
    if existing is None:
        await conn.execute(
            f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
            f"PASSWORD '{quoted}'"
        )
        return
    # Only a superuser may write SUPERUSER or BYPASSRLS in ALTER ROLE, even to take them
    # away: name them only when the role has them, so that an operator without superuser
    # (CREATEROLE is enough) can run `migrate` again.
    lifted = "NOSUPERUSER NOBYPASSRLS " if existing["rolsuper"] or existing["rolbypassrls"] else ""
    await conn.execute(
        f"ALTER ROLE {role} LOGIN {lifted}NOCREATEDB NOCREATEROLE PASSWORD '{quoted}'"
    )


def alembic_config(settings: Settings) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["settings"] = settings
    return config


def migrate(settings: Settings) -> None:
    """Create what is missing and bring the schema to the newest revision."""
    asyncio.run(ensure_database(settings))
    asyncio.run(ensure_roles(settings))
    command.upgrade(alembic_config(settings), "heads")
