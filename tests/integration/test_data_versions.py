"""Each district's data version moves on with every committed write of its data, and only then.

Versions are read as the owner (which sees every district's row); writes go through the real
paths: GraphQL mutations, CSV imports, the job runner, the operator's CLI, raw SQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from district_ppm.db.data_version import (
    OPERATOR_TABLES,
    UNVERSIONED_TABLES,
    read_data_version,
)
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.service import run_job
from district_ppm.schools.jobs import recount_schools_job
from district_ppm.tenancy.models import Role
from tests.support.schools import CREATE, school_input

CLI = Path(sys.executable).parent / "district-ppm"
ORGS = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
RENAME = text("UPDATE schools SET name = name || '!'")

# Bits of pg_trigger.tgtype.
ROW, INSERT, DELETE, UPDATE = 1, 4, 8, 16
EVENTS = {"INSERT": INSERT, "UPDATE": UPDATE, "DELETE": DELETE}

_MARKING_TRIGGERS = """
SELECT c.relname, coalesce(bit_or(t.tgtype::int), 0),
       coalesce(bool_and(t.tgtype::int & 1 = 1), false)
FROM pg_class c
LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
     AND t.tgfoid = 'ppm_mark_district_write'::regproc
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relrowsecurity
GROUP BY c.relname ORDER BY 1
"""


async def unmarked_writes(session: Any) -> list[str]:
    """Every table under RLS whose writes would not move a data version, with the writes.

    A new table's migration runs ``data_version.data_version_trigger_sql(table)``, or the
    table is listed in ``data_version.UNVERSIONED_TABLES`` with the reason."""
    problems = []
    for table, events, per_row in await session.execute(text(_MARKING_TRIGGERS)):
        if table in UNVERSIONED_TABLES:
            continue
        needed = {"UPDATE", "DELETE"} if table == "users" else {"INSERT", "UPDATE", "DELETE"}
        missing = sorted(name for name in needed if not events & EVENTS[name])
        if missing:
            problems.append(f"{table}: {', '.join(missing)} not marked")
        if table in OPERATOR_TABLES and events and not per_row:
            problems.append(f"{table}: written without a tenant, must be marked per row")
    return problems


async def versions(admin_sessionmaker: Any, *district_ids: uuid.UUID) -> list[int]:
    async with admin_sessionmaker() as session:
        rows = dict(
            (
                await session.execute(
                    text(
                        "SELECT district_id, version FROM district_data_versions "
                        "WHERE district_id = ANY(:ids)"
                    ),
                    {"ids": list(district_ids)},
                )
            ).all()
        )
    return [rows[district_id] for district_id in district_ids]


async def test_every_table_users_read_marks_its_writes(admin_sessionmaker):
    async with admin_sessionmaker() as session:
        assert await unmarked_writes(session) == []


async def test_a_new_tenant_table_without_the_trigger_is_caught(admin_sessionmaker):
    async with admin_sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "CREATE TABLE forgotten (district_id uuid, id uuid, PRIMARY KEY (district_id, id))"
            )
        )
        await session.execute(text("ALTER TABLE forgotten ENABLE ROW LEVEL SECURITY"))

        assert await unmarked_writes(session) == ["forgotten: DELETE, INSERT, UPDATE not marked"]
        await session.rollback()


async def test_a_new_district_starts_with_its_own_version_row(factory, app_sessionmaker):
    district_id, _ = await factory.district()

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        version = await read_data_version(session, district_id)

    assert version is not None and version.number >= 0


async def test_a_mutation_moves_its_district_only(gql, factory, admin_sessionmaker):
    a_id, a_token = await factory.district()
    b_id, _ = await factory.district()
    before = await versions(admin_sessionmaker, a_id, b_id)

    result = await gql(CREATE, {"input": school_input()}, token=a_token)

    assert "errors" not in result
    assert await versions(admin_sessionmaker, a_id, b_id) == [before[0] + 1, before[1]]


async def test_raw_sql_in_a_tenant_transaction_moves_it_and_reads_and_rollbacks_do_not(
    gql, factory, app_sessionmaker, admin_sessionmaker
):
    district_id, token = await factory.district()
    await gql(CREATE, {"input": school_input()}, token=token)
    start = (await versions(admin_sessionmaker, district_id))[0]

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(text("SELECT count(*) FROM schools"))
        await session.commit()  # a read-only transaction that commits
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(RENAME)  # a write that rolls back
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(text("UPDATE schools SET name = name WHERE false"))
        savepoint = await session.begin_nested()
        await session.execute(RENAME)
        await savepoint.rollback()  # the savepoint's write is gone
        await session.commit()
    after_reads = (await versions(admin_sessionmaker, district_id))[0]
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(RENAME)
        await session.commit()

    # The statement that matched no row still counts as a write: the trigger fires per statement.
    assert after_reads == start + 1
    assert await versions(admin_sessionmaker, district_id) == [start + 2]


async def test_a_csv_import_moves_it(client, factory, admin_sessionmaker):
    district_id, token = await factory.district()
    before = await versions(admin_sessionmaker, district_id)

    response = await client.post(
        "/api/v1/imports/oneroster-orgs",
        content=(ORGS + "s1,active,2026-08-01,Oak,school,480000100009,d1\n").encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert await versions(admin_sessionmaker, district_id) == [before[0] + 1]


async def test_a_job_run_moves_it(gql, factory, app_sessionmaker, admin_sessionmaker):
    district_id, token = await factory.district()
    await gql(CREATE, {"input": school_input()}, token=token)
    before = await versions(admin_sessionmaker, district_id)

    await run_job(
        sessionmaker=app_sessionmaker,
        district_id=district_id,
        actor_name=recount_schools_job.name,
        message_id="test",
        body=recount_schools_job.handler,
    )

    assert await versions(admin_sessionmaker, district_id) == [before[0] + 1]


async def test_an_operator_write_moves_only_the_districts_of_its_rows(factory, admin_sessionmaker):
    a_id, _ = await factory.district()
    b_id, _ = await factory.district()
    before = await versions(admin_sessionmaker, a_id, b_id)

    await factory.token(a_id, Role.VIEWER)  # the owner's role, no tenant set

    assert await versions(admin_sessionmaker, a_id, b_id) == [before[0] + 1, before[1]]


async def test_an_operator_write_of_unknown_districts_moves_every_district(
    gql, factory, admin_sessionmaker
):
    a_id, a_token = await factory.district()
    b_id, _ = await factory.district()
    await gql(CREATE, {"input": school_input()}, token=a_token)
    before = await versions(admin_sessionmaker, a_id, b_id)

    async with admin_sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE schools SET name = name || '!' WHERE district_id = :id"), {"id": a_id}
        )

    assert await versions(admin_sessionmaker, a_id, b_id) == [before[0] + 1, before[1] + 1]


def test_an_operator_command_moves_the_district_it_names(settings, factory, admin_sessionmaker):
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    created = subprocess.run(
        [str(CLI), "create-district", "--slug", slug, "--name", "CLI District"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=True,
    )
    district_id = uuid.UUID(json.loads(created.stdout)["district_id"])
    before = asyncio.run(_versions_now(settings, district_id))

    subprocess.run(
        [str(CLI), "token", "create", "--district", slug, "--role", "VIEWER"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=True,
    )

    assert asyncio.run(_versions_now(settings, district_id)) == before + 1


async def _versions_now(settings: Any, district_id: uuid.UUID) -> int:
    from district_ppm.db.engine import create_admin_engine, make_sessionmaker

    engine = create_admin_engine(settings)
    try:
        return (await versions(make_sessionmaker(engine), district_id))[0]
    finally:
        await engine.dispose()


async def test_the_version_moves_last_after_the_outbox_write(gql, factory, app):
    _, token = await factory.district()
    statements: list[tuple[int, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((id(conn), statement))

    def committed(conn):
        statements.append((id(conn), "COMMIT"))

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", committed)
    try:
        result = await gql(CREATE, {"input": school_input()}, token=token)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", committed)

    assert "errors" not in result
    outbox = next(i for i, (_, s) in enumerate(statements) if s.startswith("INSERT INTO outbox_"))
    writer = statements[outbox][0]
    # The writer's transaction up to its commit: a later read may take the same pooled
    # connection (or a new one at the same id) and must not count.
    commit = next(i for i in range(outbox, len(statements)) if statements[i] == (writer, "COMMIT"))
    written = [s.split(" ", 3)[:3] for conn, s in statements[:commit] if conn == writer]
    # the school, its enrollment, the audit event, the outbox (the job), then the version
    assert written[-4:] == [
        ["INSERT", "INTO", "school_enrollments"],
        ["INSERT", "INTO", "audit_events"],
        ["INSERT", "INTO", "outbox_messages"],
        ["SELECT", "ppm_advance_data_version()"],
    ]


async def test_racing_writers_of_one_district_each_move_it_once(gql, factory, admin_sessionmaker):
    district_id, token = await factory.district()
    before = await versions(admin_sessionmaker, district_id)

    results = await asyncio.gather(
        *(
            gql(
                CREATE,
                {"input": school_input(name=f"S{n}", ncesId=f"4800001001{n:02d}")},
                token=token,
            )
            for n in range(12)
        )
    )

    assert [r.get("errors") for r in results] == [None] * 12
    assert await versions(admin_sessionmaker, district_id) == [before[0] + 12]
