"""createSchool, schools, school over HTTP: roles, errors, pagination."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from district_ppm.audit.models import AuditEvent
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.schools.models import SchoolLevel
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.schools import CREATE, count_schools, school_input

LIST = """
query List($first: Int, $after: String) {
  schools(first: $first, after: $after) {
    totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_admin_creates_a_school_and_reads_it_back(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()

    created = await gql(CREATE, {"input": school_input()}, token=token)

    school = created["data"]["createSchool"]["school"]
    assert school["name"] == "Lincoln Elementary"
    assert school["firstBell"] == "07:55:00"
    assert school["enrollment"] == 500
    fetched = await gql(
        "query($id: ID!) { school(id: $id) { name level } }", {"id": school["id"]}, token=token
    )
    assert fetched["data"]["school"] == {"name": "Lincoln Elementary", "level": "ELEMENTARY"}
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "createSchool"))
    assert event is not None and event.entity_id == school["id"] and event.actor == "test admin"


async def test_viewer_may_read_but_not_create(gql, factory, app_sessionmaker):
    district_id, _ = await factory.district()
    viewer = await factory.token(district_id, Role.VIEWER)

    result = await gql(CREATE, {"input": school_input()}, token=viewer)

    assert error_codes(result) == ["FORBIDDEN"]
    assert await count_schools(app_sessionmaker, district_id) == 0
    listed = await gql(LIST, token=viewer)
    assert listed["data"]["schools"]["totalCount"] == 0


async def test_bad_nces_id_is_bad_input_naming_the_field_and_writes_nothing(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()

    result = await gql(CREATE, {"input": school_input(ncesId="12345")}, token=token)

    assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.ncesId"}
    assert await count_schools(app_sessionmaker, district_id) == 0


async def test_unknown_enum_value_names_the_field_as_variable_and_as_literal(gql, factory):
    _, token = await factory.district()

    by_variable = await gql(CREATE, {"input": school_input(level="KINDERGARTEN")}, token=token)
    by_literal = await gql(
        'mutation { createSchool(input: {name: "A", level: KINDERGARTEN, firstBell: "08:00"})'
        " { school { id } } }",
        token=token,
    )

    assert by_variable["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.level"}
    assert by_literal["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.level"}


async def test_malformed_time_is_bad_input(gql, factory):
    _, token = await factory.district()

    result = await gql(CREATE, {"input": school_input(firstBell="25:61")}, token=token)

    assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.firstBell"}


async def test_duplicate_nces_id_is_a_conflict(gql, factory):
    _, token = await factory.district()
    await gql(CREATE, {"input": school_input()}, token=token)

    again = await gql(CREATE, {"input": school_input(name="Other")}, token=token)

    assert again["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "input.ncesId"}


async def test_schools_pages_by_name_with_keyset_cursors(gql, factory):
    _, token = await factory.district()
    for index, name in enumerate(["Cedar", "Alder", "Birch", "Dogwood", "Elm"]):
        await gql(
            CREATE, {"input": school_input(name=name, ncesId=f"48000010000{index}")}, token=token
        )

    first = (await gql(LIST, {"first": 2}, token=token))["data"]["schools"]
    second = (await gql(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=token))[
        "data"
    ]["schools"]
    last = (await gql(LIST, {"first": 2, "after": second["pageInfo"]["endCursor"]}, token=token))[
        "data"
    ]["schools"]

    names = [e["node"]["name"] for page in (first, second, last) for e in page["edges"]]
    assert names == ["Alder", "Birch", "Cedar", "Dogwood", "Elm"]
    assert first["totalCount"] == 5
    assert [first["pageInfo"]["hasNextPage"], last["pageInfo"]["hasNextPage"]] == [True, False]
    # Each edge's cursor (encoded only when asked for) continues right after its node.
    assert first["edges"][-1]["cursor"] == first["pageInfo"]["endCursor"]
    after_alder = await gql(LIST, {"first": 1, "after": first["edges"][0]["cursor"]}, token=token)
    assert [e["node"]["name"] for e in after_alder["data"]["schools"]["edges"]] == ["Birch"]
    past_the_end = await gql(LIST, {"after": last["pageInfo"]["endCursor"]}, token=token)
    assert past_the_end["data"]["schools"]["edges"] == []
    assert past_the_end["data"]["schools"]["totalCount"] == 5


async def test_page_size_over_500_and_garbage_cursor_are_bad_input(gql, factory):
    _, token = await factory.district()

    too_big = await gql(LIST, {"first": 501}, token=token)
    garbage = await gql(LIST, {"after": "not-a-cursor"}, token=token)

    assert too_big["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "first"}
    assert garbage["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "after"}


async def test_a_concurrent_duplicate_is_a_conflict_not_an_internal_error(
    gql, factory, app_sessionmaker
):
    import asyncio

    from district_ppm.schools.service import SchoolCreate, create_school

    district_id, token = await factory.district()
    # Another writer holds an uncommitted school with the same NCES id: the API's own
    # duplicate check cannot see it, and its insert waits on the unique index.
    async with tenant_transaction(app_sessionmaker, district_id) as other:
        await create_school(
            session=other,
            district_id=district_id,
            data=SchoolCreate("Rival", SchoolLevel.OTHER, time(8), "480000100001"),
            today=date(2026, 9, 1),
        )
        request = asyncio.create_task(gql(CREATE, {"input": school_input()}, token=token))
        await asyncio.sleep(0.5)
        await other.commit()
    result = await request

    assert result["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await count_schools(app_sessionmaker, district_id) == 1
