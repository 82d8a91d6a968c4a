"""Row-level security, checked as the application role against the real catalog and data."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from tests.api.test_schools import CREATE, school_input

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
