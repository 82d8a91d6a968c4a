"""Row-level security, checked as the application role against the real catalog and data."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from tests.support.schools import CREATE, school_input

PLATFORM_TABLES = {"districts", "users"}  # the tenants themselves and people across tenants
NOT_DATA = {"alembic_version"}


async def tables(session: Any) -> list[str]:
    rows = await session.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    )
    return [name for (name,) in rows if name not in NOT_DATA]


async def test_every_table_has_forced_rls_and_tenant_led_keys(admin_sessionmaker):
    async with admin_sessionmaker() as session:
        names = await tables(session)
        flags = dict(
            (name, (enabled, forced))
            for name, enabled, forced in await session.execute(
                text(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
                )
            )
        )
        constraints = (
            await session.execute(
                text(
                    """
                    SELECT c.conrelid::regclass::text, c.conname, c.contype,
                           (SELECT array_agg(a.attname ORDER BY k.ord)
                              FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                              JOIN pg_attribute a
                                ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
                           c.confrelid::regclass::text
                    FROM pg_constraint c
                    WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p','u','f')
                    """
                )
            )
        ).all()

    assert len(names) >= 9
    problems = [name for name in names if flags[name] != (True, True)]
    for table, name, kind, columns, referenced in constraints:
        if table in PLATFORM_TABLES | NOT_DATA:
            continue
        if kind == "p" and columns[0] != "district_id":
            problems.append(f"{table}: primary key {columns} is not led by district_id")
        if kind == "u" and "district_id" not in columns:
            problems.append(f"{table}: unique {name} {columns} lacks district_id")
        if kind == "f" and referenced not in PLATFORM_TABLES and "district_id" not in columns:
            problems.append(f"{table}: foreign key {name} {columns} lacks district_id")
    assert problems == []


async def test_the_app_role_cannot_bypass_rls(app_sessionmaker):
    async with app_sessionmaker() as session:
        role = (
            await session.execute(
                text(
                    "SELECT rolsuper, rolbypassrls, "
                    "(SELECT count(*) FROM pg_tables WHERE tableowner = current_user) "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            )
        ).one()
    assert tuple(role) == (False, False, 0)


async def test_without_a_tenant_the_app_role_sees_and_writes_nothing(
    gql, factory, app_sessionmaker, admin_sessionmaker
):
    for _ in range(2):
        _, token = await factory.district()
        result = await gql(CREATE, {"input": school_input()}, token=token)
        assert "errors" not in result
    async with admin_sessionmaker() as session:
        names = await tables(session)

    async with app_sessionmaker() as session:
        visible = {
            name: await session.scalar(text(f'SELECT count(*) FROM "{name}"')) for name in names
        }
        assert visible == {name: 0 for name in names}
        with pytest.raises(Exception, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO schools (district_id, id, name, level, first_bell, created_at) "
                    "SELECT id, gen_random_uuid(), 'X', 'OTHER', '08:00'::time, now()"
                    " FROM (SELECT gen_random_uuid() AS id) AS any_district"
                )
            )


async def test_a_tenant_sees_only_its_own_rows(gql, factory, app_sessionmaker):
    _a_id, a_token = await factory.district()
    b_id, b_token = await factory.district()
    await gql(CREATE, {"input": school_input(name="A school")}, token=a_token)
    await gql(CREATE, {"input": school_input(name="B school")}, token=b_token)

    async with tenant_transaction(app_sessionmaker, b_id) as session:
        names = list(await session.scalars(text("SELECT name FROM schools")))
        districts = list(await session.scalars(text("SELECT id FROM districts")))

    assert names == ["B school"]
    assert districts == [b_id]


async def test_district_b_cannot_see_or_detect_district_a_objects(gql, factory):
    _, a_token = await factory.district()
    _, b_token = await factory.district()
    a_school = (await gql(CREATE, {"input": school_input()}, token=a_token))["data"][
        "createSchool"
    ]["school"]

    fetched = await gql(
        "query($id: ID!) { school(id: $id) { id } }", {"id": a_school["id"]}, token=b_token
    )
    listed = await gql("{ schools { totalCount } }", token=b_token)
    # The same NCES id is free in B: A's school is not even detectable through a conflict.
    created = await gql(CREATE, {"input": school_input()}, token=b_token)

    assert fetched == {"data": {"school": None}}
    assert listed["data"]["schools"]["totalCount"] == 0
    assert "errors" not in created


TENANT_KEYS = """
SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, c.confdeltype::text,
       (SELECT array_agg(a.attname ORDER BY k.ord)
          FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)
FROM pg_constraint c
WHERE c.connamespace = 'public'::regnamespace AND c.contype = 'f'
"""


async def test_every_tenant_row_belongs_to_a_district_and_goes_with_it(admin_sessionmaker):
    # Given each foreign key of the schema
    async with admin_sessionmaker() as session:
        names = await tables(session)
        keys = (await session.execute(text(TENANT_KEYS))).all()

    # Then every tenant table references its district, either directly or through a parent
    # of the same district ((district_id, parent_id), so the parent is the row's district's)
    # that does; and each link cascades, so deleting a district leaves none of its rows.
    tied = {"districts"}
    links = [
        (table, parent)
        for table, parent, on_delete, columns in keys
        if on_delete == "c" and "district_id" in columns and parent not in {"users"}
    ]
    for _ in names:
        tied |= {table for table, parent in links if parent in tied}
    # bus_runs has no foreign key at all, on purpose (see BusRun): removing a district
    # deletes its runs explicitly.
    assert sorted(set(names) - PLATFORM_TABLES - tied) == ["bus_runs"]


async def test_a_measurement_write_checks_its_measure_and_school_only(admin_sessionmaker):
    # The measure's key (district_id, measure_id) already proves the district: a third
    # foreign-key check on every imported measurement would prove nothing more.
    async with admin_sessionmaker() as session:
        keys = (await session.execute(text(TENANT_KEYS))).all()

    parents = sorted(parent for table, parent, _, _ in keys if table == "measurements")
    assert parents == ["measures", "schools"]


async def test_a_measurement_cannot_leave_its_measures_district(gql, factory, admin_sessionmaker):
    from tests.support.measures import create_measure, record

    a_id, a_token = await factory.district()
    b_id, _ = await factory.district()
    measure = await create_measure(gql, a_token, code="FIN", level="DISTRICT")
    written = await record(gql, a_token, measure, [{"periodStart": "2025-09-01", "value": 1.0}])
    assert "errors" not in written

    # Even the owner, whom no policy stops, cannot file a measurement of A's measure under B:
    # no measure of B has that id.
    async with admin_sessionmaker() as session:
        with pytest.raises(Exception, match="foreign key"):
            await session.execute(
                text(
                    "INSERT INTO measurements (district_id, id, measure_id, period_start, value,"
                    " source, recorded_by, recorded_at) VALUES (:b, gen_random_uuid(), :m,"
                    " '2025-10-01', 2.0, 'MANUAL', 'x', now())"
                ),
                {"b": b_id, "m": measure},
            )
    # And deleting A takes its measurements with its measures.
    async with admin_sessionmaker() as session, session.begin():
        await session.execute(text("DELETE FROM districts WHERE id = :a"), {"a": a_id})
    async with admin_sessionmaker() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM measurements WHERE district_id = :a"), {"a": a_id}
        )
    assert left == 0
