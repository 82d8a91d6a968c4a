"""The platform operator's role need not be a superuser (managed PostgreSQL gives none).

DISTRICT_PPM_DATABASE_URL names "a user allowed to migrate": one that may create the
database and roles. Every tenant table forces row-level security on its owner too, so unless
a policy admits it, such an operator could migrate but never create a district, issue a
token or add a member. The test suite's own owner is a superuser, which bypasses RLS and
proves nothing here; this test makes a plain CREATEDB CREATEROLE role and uses the CLI as it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from district_ppm.config import Settings

CLI = str(Path(sys.executable).parent / "district-ppm")


def _superuser(settings: Settings, sql: list[str]) -> None:
    import asyncio

    async def run() -> None:
        url = settings.admin_url.set(drivername="postgresql", database="postgres")
        conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            for statement in sql:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def operator_env(settings: Settings) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    owner, app, database = f"dppm_op_{suffix}", f"dppm_op_app_{suffix}", f"dppm_op_{suffix}"
    jobs = f"dppm_op_jobs_{suffix}"
    _superuser(
        settings,
        [
            f"CREATE ROLE {owner} LOGIN CREATEDB CREATEROLE NOSUPERUSER NOBYPASSRLS "
            "PASSWORD 'operator'"
        ],
    )
    url = settings.admin_url.set(username=owner, password="operator", database=database)
    env = {
        **os.environ,
        "DISTRICT_PPM_DATABASE_URL": url.render_as_string(hide_password=False),
        "DISTRICT_PPM_APP_DB_ROLE": app,
        "DISTRICT_PPM_APP_DB_PASSWORD": "app",
        "DISTRICT_PPM_JOBS_DB_ROLE": jobs,
        "DISTRICT_PPM_JOBS_DB_PASSWORD": "jobs",
    }
    try:
        yield env
    finally:
        _superuser(
            settings,
            [
                f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
                f"DROP ROLE IF EXISTS {app}",
                f"DROP ROLE IF EXISTS {jobs}",
                f"DROP ROLE IF EXISTS {owner}",
            ],
        )


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_a_non_superuser_operator_migrates_creates_districts_tokens_and_members(operator_env):
    migrated = cli(operator_env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    # Again, as every deploy does: the roles exist now and are only brought up to date.
    again = cli(operator_env, "migrate")
    assert again.returncode == 0, again.stderr[-2000:]

    created = cli(operator_env, "create-district", "--slug", "op", "--name", "Operator USD")
    token = cli(operator_env, "token", "create", "--district", "op", "--role", "VIEWER")
    member = cli(
        operator_env,
        "member",
        "add",
        "--district",
        "op",
        "--email",
        "ana@example.org",
        "--role",
        "PROCESS_OWNER",
    )
    revoked = cli(
        operator_env,
        "token",
        "revoke",
        "--district",
        "op",
        "--token-id",
        json.loads(token.stdout)["token_id"] if token.returncode == 0 else "x",
    )

    assert created.returncode == 0, created.stderr[-2000:]
    assert token.returncode == 0, token.stderr[-2000:]
    assert member.returncode == 0, member.stderr[-2000:]
    assert revoked.returncode == 0, revoked.stderr[-2000:]
