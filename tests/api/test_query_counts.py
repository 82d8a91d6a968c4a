"""List queries run a fixed number of SQL statements, however many rows they return."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.support.schools import CREATE, school_input

SCHOOLS_WITH_ENROLLMENT = (
    "{ schools(first: 50) { totalCount edges { node { id name enrollment } } } }"
)


@contextmanager
def counting_statements(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_schools_page_with_enrollment_runs_two_statements_for_any_size(gql, factory, app):
    counts = []
    for size in (2, 12):
        _, token = await factory.district()
        for index in range(size):
            await gql(CREATE, {"input": school_input(ncesId=f"4800001000{index:02d}")}, token=token)

        with counting_statements(app) as statements:
            result = await gql(SCHOOLS_WITH_ENROLLMENT, token=token)
        assert len(result["data"]["schools"]["edges"]) == size
        counts.append(len(statements))

    # the token lookup setting the tenant; the page with its count and enrollments
    assert counts == [2, 2]


ROUTE = (
    "mutation($input: CreateBusRouteInput!) { createBusRoute(input: $input) { busRoute { id } } }"
)
ROUTES = "{ busRoutes(first: 100) { totalCount edges { node { id code schoolId riders } } } }"


async def test_bus_routes_page_runs_a_fixed_number_of_statements(gql, factory, app):
    counts = []
    for size in (2, 9):
        _, token = await factory.district()
        school = await gql(CREATE, {"input": school_input()}, token=token)
        school_id = school["data"]["createSchool"]["school"]["id"]
        for index in range(size):
            await gql(
                ROUTE,
                {"input": {"code": f"R{index}", "schoolId": school_id, "riders": 40}},
                token=token,
            )

        with counting_statements(app) as statements:
            result = await gql(ROUTES, token=token)
        assert result["data"]["busRoutes"]["totalCount"] == size
        counts.append(len(statements))

    # the token lookup setting the tenant; the page with its count
    assert counts == [2, 2]


async def test_me_reads_its_district_only_when_the_query_selects_it(gql, factory, app):
    _, token = await factory.district()

    with counting_statements(app) as role_only:
        role = await gql("{ me { role } }", token=token)
    with counting_statements(app) as with_district:
        district = await gql("{ me { role district { slug schoolCount } } }", token=token)

    assert role["data"]["me"]["role"] == district["data"]["me"]["role"]
    assert district["data"]["me"]["district"]["slug"]
    # the token lookup setting the tenant; then, when selected, the district with its stats
    assert (len(role_only), len(with_district)) == (1, 2)
