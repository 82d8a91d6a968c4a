"""``db.plain_rows.fetch_as``: the driver's rows are what SQLAlchemy's execution gives, under
the application role with its tenant (row-level security applies), and statements stay
visible to the engine's listeners."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

import pytest
from sqlalchemy import bindparam, literal_column, select

from district_ppm.db.plain_rows import execute_plain, fetch_as, fetch_records
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.schools.models import School, SchoolEnrollment, SchoolLevel
from district_ppm.schools.service import SCHOOL_COLUMNS
from tests.support.measures import count_statements
from tests.support.schools import CREATE, school_input


class SchoolRow(NamedTuple):
    id: uuid.UUID
    name: str
    nces_id: str | None
    level: SchoolLevel
    first_bell: Any


SCHOOLS = select(*SCHOOL_COLUMNS).where(School.district_id == bindparam("district_id"))
# A value the statement carries itself (LIMIT 1), beside the caller's parameters.
LATEST_ENROLLMENT = (
    select(SchoolEnrollment.school_year, SchoolEnrollment.enrollment)
    .where(SchoolEnrollment.school_id == bindparam("school_id"))
    .order_by(SchoolEnrollment.school_year.desc())
    .limit(1)
)


class Enrollment(NamedTuple):
    school_year: int
    enrollment: int


async def district_with_schools(gql: Any, factory: Any, names: list[str]) -> uuid.UUID:
    district_id, token = await factory.district()
    for index, name in enumerate(names):
        level = ("ELEMENTARY", "MIDDLE", "HIGH")[index % 3]
        school = school_input(name=name, level=level, ncesId=None if index else "480000100009")
        result = await gql(CREATE, {"input": school}, token=token)
        assert "errors" not in result, result
    return district_id


async def test_the_drivers_rows_are_the_ones_sqlalchemy_gives(gql, factory, app_sessionmaker):
    mine = await district_with_schools(gql, factory, ["Adams", "Burr", "Clay", "Dewey"])
    other = await district_with_schools(gql, factory, ["Other"])

    async with tenant_transaction(app_sessionmaker, mine) as session:
        driven = await fetch_as(session, SchoolRow, SCHOOLS, {"district_id": mine})
        result = await execute_plain(session, SCHOOLS, {"district_id": mine})
        expected = [SchoolRow._make(row) for row in result]
        # Row-level security holds on the driver's connection: asking for another
        # district's schools inside this tenant's transaction finds none.
        foreign = await fetch_as(session, SchoolRow, SCHOOLS, {"district_id": other})

    assert sorted(driven) == sorted(expected)
    assert sorted(row.name for row in driven) == ["Adams", "Burr", "Clay", "Dewey"]
    assert {type(row.level) for row in driven} == {SchoolLevel}
    assert foreign == []


async def test_a_value_the_statement_carries_is_sent_with_the_callers(
    gql, factory, app_sessionmaker
):
    district_id = await district_with_schools(gql, factory, ["Adams"])
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        (school,) = await fetch_as(session, SchoolRow, SCHOOLS, {"district_id": district_id})
        latest = await fetch_as(session, Enrollment, LATEST_ENROLLMENT, {"school_id": school.id})
        none = await fetch_as(session, Enrollment, LATEST_ENROLLMENT, {"school_id": uuid.uuid4()})

    assert len(latest) == 1 and latest[0].enrollment == school_input()["enrollment"]
    assert none == []


async def test_outside_a_begun_transaction_it_reads_through_sqlalchemy(
    gql, factory, admin_sessionmaker
):
    """The driver's connection has no transaction until a first statement: fetch_as then
    goes through SQLAlchemy, which begins one, rather than read outside it."""
    district_id = await district_with_schools(gql, factory, ["Adams", "Burr"])
    async with admin_sessionmaker() as session, session.begin():
        connection = await session.connection()
        driver = connection.sync_connection.connection.driver_connection
        assert not driver.is_in_transaction()
        rows = await fetch_as(session, SchoolRow, SCHOOLS, {"district_id": district_id})
        assert driver.is_in_transaction()  # the read ran inside the transaction it began

    assert sorted(row.name for row in rows) == ["Adams", "Burr"]


async def test_the_engines_listeners_see_the_drivers_statements(app, gql, factory):
    district_id = await district_with_schools(gql, factory, ["Adams"])
    sessionmaker = app.state.sessionmaker
    with count_statements(app) as statements:
        async with tenant_transaction(sessionmaker, district_id) as session:
            await fetch_as(session, SchoolRow, SCHOOLS, {"district_id": district_id})

    assert any("FROM schools" in statement for statement in statements)


async def test_a_row_type_that_is_not_the_statements_columns_is_refused(
    gql, factory, app_sessionmaker
):
    district_id = await district_with_schools(gql, factory, ["Adams"])
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        with pytest.raises(TypeError, match="fields"):
            await fetch_as(session, Enrollment, SCHOOLS, {"district_id": district_id})


class Level(NamedTuple):
    level: SchoolLevel


async def test_an_enum_column_gives_members_and_refuses_a_value_it_lacks(
    gql, factory, app_sessionmaker
):
    """An enum's text is looked up in C; a value the enum lacks raises SQLAlchemy's error."""
    district_id = await district_with_schools(gql, factory, ["Adams"])
    level_type = School.__table__.c.level.type

    def level_of(text: str) -> Any:
        return select(literal_column(f"'{text}'::varchar", type_=level_type).label("level"))

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        (known,) = await fetch_as(session, Level, level_of("HIGH"), {})
        with pytest.raises(LookupError, match="is not among the defined enum values"):
            await fetch_as(session, Level, level_of("NURSERY"), {})

    assert known.level is SchoolLevel.HIGH


def by_name(row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, field) for field in SchoolRow._fields)


async def test_records_read_by_name_as_the_row_type_and_by_position_as_stored(
    gql, factory, app_sessionmaker
):
    """``fetch_records`` gives asyncpg's records: a field read by name is the row type's (an
    enum's member), by position the value as stored (the enum's text)."""
    mine = await district_with_schools(gql, factory, ["Adams", "Burr", "Clay"])
    other = await district_with_schools(gql, factory, ["Other"])

    async with tenant_transaction(app_sessionmaker, mine) as session:
        records = await fetch_records(session, SchoolRow, SCHOOLS, {"district_id": mine})
        rows = await fetch_as(session, SchoolRow, SCHOOLS, {"district_id": mine})
        foreign = await fetch_records(session, SchoolRow, SCHOOLS, {"district_id": other})

    assert sorted(map(by_name, records)) == sorted(rows)
    assert {type(record.level) for record in records} == {SchoolLevel}
    level = SchoolRow._fields.index("level")
    assert sorted(record[level] for record in records) == ["ELEMENTARY", "HIGH", "MIDDLE"]
    assert foreign == []


async def test_records_outside_a_begun_transaction_are_the_row_types_sqlalchemy_reads(
    gql, factory, admin_sessionmaker
):
    district_id = await district_with_schools(gql, factory, ["Adams", "Burr"])
    async with admin_sessionmaker() as session, session.begin():
        rows = await fetch_records(session, SchoolRow, SCHOOLS, {"district_id": district_id})

    assert {type(row) for row in rows} == {SchoolRow}
    assert sorted(row.name for row in rows) == ["Adams", "Burr"]


async def test_a_records_enum_field_refuses_a_value_the_enum_lacks_when_read(
    gql, factory, app_sessionmaker
):
    district_id = await district_with_schools(gql, factory, ["Adams"])
    level_type = School.__table__.c.level.type
    statement = select(literal_column("'NURSERY'::varchar", type_=level_type).label("level"))

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        (record,) = await fetch_records(session, Level, statement, {})

    assert record[0] == "NURSERY"
    with pytest.raises(LookupError, match="is not among the defined enum values"):
        record.level  # noqa: B018 - the read is what raises
