"""The relay and scheduler's cross-district functions belong to their own role, not the API's.

``ppm_outbox_claim``, ``ppm_outbox_mark_dispatched``, ``ppm_district_ids`` and
``ppm_purge_job_history`` are SECURITY DEFINER and see every district. Called as the API's
role with district B set, they used to return A's jobs and payloads, mark A's jobs done (so
they never ran), list every tenant and, given a negative retention, delete every district's
job history. Each is now refused to the API's role and works for the job runner's role, which
itself reads no tenant table.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from district_ppm.config import Settings
from district_ppm.db.bootstrap import alembic_config, ensure_database, ensure_roles
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import JobRun, OutboxMessage
from district_ppm.jobs.service import enqueue_job
from workers.scheduler import purge_job_history

JOB_FUNCTIONS = {
    "ppm_outbox_claim",
    "ppm_outbox_mark_dispatched",
    "ppm_district_ids",
    "ppm_purge_job_history",
}

# What an attacker holding the API's credentials would run, and what the relay runs.
CALLS = {
    "ppm_outbox_claim": "SELECT * FROM ppm_outbox_claim(100000)",
    "ppm_outbox_mark_dispatched": "SELECT ppm_outbox_mark_dispatched(CAST(:ids AS uuid[]))",
    "ppm_district_ids": "SELECT ppm_district_ids()",
    "ppm_purge_job_history": "SELECT ppm_purge_job_history(CAST('-1 day' AS interval))",
}


def _postgres_error(error: DBAPIError) -> BaseException | None:
    """The asyncpg exception under SQLAlchemy's wrapping (``orig`` is the DBAPI adapter's)."""
    return error.orig.__cause__ if error.orig is not None else None


async def _district_with_history(factory: Any, app_sessionmaker: Any, admin_sessionmaker: Any):
    """A district with one job waiting and one recent job run and dispatched job behind it."""
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await enqueue_job(
            session=session,
            district_id=district_id,
            actor_name="recount_schools",
            payload={"secret": "district A's payload"},
        )
        await session.commit()
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    async with admin_sessionmaker() as session, session.begin():
        session.add(
            JobRun(
                district_id=district_id,
                actor_name="recount_schools",
                message_id="an hour ago",
                status="succeeded",
                started_at=an_hour_ago,
                finished_at=an_hour_ago,
            )
        )
        session.add(
            OutboxMessage(
                district_id=district_id,
                actor_name="recount_schools",
                payload={},
                dedupe_key="an hour ago",
                attempts=1,
                dispatched_at=an_hour_ago,
            )
        )
    return district_id


async def _history(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[str, Any]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        outbox = (
            await session.execute(
                select(OutboxMessage.dedupe_key, OutboxMessage.dispatched_at.is_not(None)).order_by(
                    OutboxMessage.dedupe_key
                )
            )
        ).all()
        runs = list(await session.scalars(select(JobRun.message_id)))
    return {"outbox": [tuple(row) for row in outbox], "runs": runs}


@pytest.mark.parametrize("function", sorted(CALLS))
async def test_the_api_role_is_refused_every_job_function(
    function, factory, app_sessionmaker, admin_sessionmaker
):
    # Given district A with a job waiting and some job history
    a = await _district_with_history(factory, app_sessionmaker, admin_sessionmaker)
    before = await _history(app_sessionmaker, a)
    async with tenant_transaction(app_sessionmaker, a) as session:
        a_jobs = [str(job.id) for job in await session.scalars(select(OutboxMessage))]
    b, _ = await factory.district()

    # When the API's role, with district B set, calls the function
    async with tenant_transaction(app_sessionmaker, b) as session:
        with pytest.raises(DBAPIError) as raised:
            await session.execute(text(CALLS[function]), {"ids": a_jobs})

    # Then PostgreSQL refuses it, and A's jobs and history are as they were
    refusal = _postgres_error(raised.value)
    assert isinstance(refusal, asyncpg.exceptions.InsufficientPrivilegeError)
    assert f"permission denied for function {function}" in str(refusal)
    assert await _history(app_sessionmaker, a) == before
    assert before["outbox"] == [("an hour ago", True), ("district", False)]


async def test_the_job_role_claims_marks_and_lists_every_district(
    factory, app_sessionmaker, jobs_sessionmaker, admin_sessionmaker
):
    a = await _district_with_history(factory, app_sessionmaker, admin_sessionmaker)

    async with jobs_sessionmaker() as session, session.begin():
        districts = list(await session.scalars(text("SELECT ppm_district_ids()")))
        claimed = (await session.execute(text(CALLS["ppm_outbox_claim"]))).all()
        a_jobs = [row for row in claimed if row.district_id == a]
        marked = await session.scalar(
            text(CALLS["ppm_outbox_mark_dispatched"]), {"ids": [str(row.id) for row in a_jobs]}
        )

    assert a in districts
    assert [(row.actor_name, row.payload) for row in a_jobs] == [
        ("recount_schools", {"secret": "district A's payload"})
    ]
    assert marked == 1
    assert (await _history(app_sessionmaker, a))["outbox"] == [
        ("an hour ago", True),
        ("district", True),
    ]


async def test_the_job_role_purges_history_older_than_the_retention(
    factory, app_sessionmaker, jobs_sessionmaker, admin_sessionmaker
):
    a = await _district_with_history(factory, app_sessionmaker, admin_sessionmaker)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    async with admin_sessionmaker() as session, session.begin():
        session.add(
            JobRun(
                district_id=a,
                actor_name="recount_schools",
                message_id="two days ago",
                status="succeeded",
                started_at=two_days_ago,
                finished_at=two_days_ago,
            )
        )

    purged = await purge_job_history(jobs_sessionmaker, keep_days=1)

    assert purged >= 1
    assert await _history(app_sessionmaker, a) == {
        "outbox": [("an hour ago", True), ("district", False)],
        "runs": ["an hour ago"],
    }


@pytest.mark.parametrize("keep", ["-1 day", "0", "23 hours 59 minutes", "1 month -30 days", None])
async def test_a_retention_under_a_day_is_refused_and_purges_nothing(
    keep, factory, app_sessionmaker, jobs_sessionmaker, admin_sessionmaker
):
    a = await _district_with_history(factory, app_sessionmaker, admin_sessionmaker)
    before = await _history(app_sessionmaker, a)

    async with jobs_sessionmaker() as session, session.begin():
        with pytest.raises(DBAPIError) as raised:
            await session.execute(
                text("SELECT ppm_purge_job_history(CAST(CAST(:keep AS text) AS interval))"),
                {"keep": keep},
            )

    refusal = _postgres_error(raised.value)
    assert isinstance(refusal, asyncpg.exceptions.InvalidParameterValueError)
    assert "retention must be at least 1 day" in str(refusal)
    assert await _history(app_sessionmaker, a) == before


async def test_the_scheduler_purge_refuses_zero_days(jobs_sessionmaker):
    with pytest.raises(DBAPIError) as raised:
        await purge_job_history(jobs_sessionmaker, keep_days=0)

    assert isinstance(_postgres_error(raised.value), asyncpg.exceptions.InvalidParameterValueError)


async def test_the_job_role_reads_no_tenant_table(jobs_sessionmaker):
    async with jobs_sessionmaker() as session:
        with pytest.raises(DBAPIError) as raised:
            await session.execute(text("SELECT count(*) FROM measurements"))

    refusal = _postgres_error(raised.value)
    assert isinstance(refusal, asyncpg.exceptions.InsufficientPrivilegeError)
    assert "permission denied for table measurements" in str(refusal)


async def test_the_job_role_is_restricted_and_owns_nothing(settings, admin_sessionmaker):
    role = settings.jobs_db_role
    async with admin_sessionmaker() as session:
        attributes = (
            await session.execute(
                text(
                    "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole "
                    "FROM pg_roles WHERE rolname = :role"
                ),
                {"role": role},
            )
        ).one()
        memberships = await session.scalar(
            text(
                "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                "WHERE r.rolname = :role"
            ),
            {"role": role},
        )
        owned = await session.scalar(
            text("SELECT count(*) FROM pg_class c WHERE pg_get_userbyid(c.relowner) = :role"),
            {"role": role},
        )
        # Any privilege on any table or view of the schema, tenant or not.
        readable = list(
            await session.scalars(
                text(
                    "SELECT c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') "
                    "AND has_table_privilege(:role, c.oid, "
                    "'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')"
                ),
                {"role": role},
            )
        )

    assert tuple(attributes) == (True, False, False, False, False)
    assert (memberships, owned, readable) == (0, 0, [])


async def test_each_role_may_run_exactly_its_own_security_definer_functions(
    settings, admin_sessionmaker
):
    # A SECURITY DEFINER function added later is reachable by neither role until granted.
    query = text(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prosecdef "
        "AND has_function_privilege(:role, p.oid, 'EXECUTE') ORDER BY p.proname"
    )
    async with admin_sessionmaker() as session:
        api = set(await session.scalars(query, {"role": settings.app_db_role}))
        jobs = set(await session.scalars(query, {"role": settings.jobs_db_role}))

    assert api == {"ppm_authenticate"}
    assert jobs == JOB_FUNCTIONS


def test_bootstrap_refuses_one_role_for_the_api_and_the_jobs(settings: Settings):
    same = settings.model_copy(update={"jobs_db_role": settings.app_db_role})

    with pytest.raises(ValueError, match="must differ"):
        asyncio.run(ensure_roles(same))


def _executable_by(dsn: str, role: str) -> set[str]:
    async def run() -> set[str]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' AND p.prosecdef "
                "AND has_function_privilege($1, p.oid, 'EXECUTE')",
                role,
            )
            return {row["proname"] for row in rows}
        finally:
            await conn.close()

    return asyncio.run(run())


def test_downgrade_gives_the_functions_back_to_the_app_role(settings: Settings):
    name = f"dppm_jobrole_{uuid.uuid4().hex[:10]}"
    url = settings.admin_url.set(database=name)
    scratch = settings.model_copy(
        update={"database_url": url.render_as_string(hide_password=False)}
    )
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(ensure_database(scratch))
    asyncio.run(ensure_roles(scratch))
    try:
        command.upgrade(alembic_config(scratch), "0011")
        upgraded = (
            _executable_by(dsn, scratch.app_db_role),
            _executable_by(dsn, scratch.jobs_db_role),
        )
        command.downgrade(alembic_config(scratch), "0010")
        downgraded = (
            _executable_by(dsn, scratch.app_db_role),
            _executable_by(dsn, scratch.jobs_db_role),
        )
        command.upgrade(alembic_config(scratch), "0011")
        again = _executable_by(dsn, scratch.app_db_role)
    finally:

        async def drop() -> None:
            admin = settings.admin_url.set(drivername="postgresql", database="postgres")
            conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(drop())

    assert upgraded == ({"ppm_authenticate"}, JOB_FUNCTIONS)
    assert downgraded == ({"ppm_authenticate"} | JOB_FUNCTIONS, set())
    assert again == {"ppm_authenticate"}
