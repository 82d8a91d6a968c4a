"""instructionalTimeLost names what each row is about: a school's name, a route's code."""

from __future__ import annotations

from datetime import time

import pytest

from tests.support.transportation import add_route, add_school, recompute, record, run

LABELLED = """
query($groupBy: TimeLossGrouping!) {
  instructionalTimeLost(schoolYear: 2026, groupBy: $groupBy) { rows { key label lateInstances } }
}
"""


@pytest.fixture
async def two_schools_two_routes(factory, app_sessionmaker):
    district_id, token = await factory.district()
    lincoln = await add_school(app_sessionmaker, district_id, "Lincoln Elementary", time(8, 0))
    adams = await add_school(app_sessionmaker, district_id, "Adams Middle", time(8, 30))
    north = await add_route(app_sessionmaker, district_id, "N-12", lincoln, 40)
    south = await add_route(app_sessionmaker, district_id, "S-3", adams, 25)
    await record(
        app_sessionmaker,
        district_id,
        [
            run(north, "2025-09-01", "07:40", "08:10"),
            run(south, "2025-10-06", "08:10", "08:40"),
        ],
    )
    await recompute(app_sessionmaker, district_id)
    return (
        token,
        {str(lincoln): "Lincoln Elementary", str(adams): "Adams Middle"},
        {
            str(north): "N-12",
            str(south): "S-3",
        },
    )


@pytest.mark.parametrize("group_by", ["SCHOOL", "ROUTE"])
async def test_school_and_route_rows_carry_a_label_beside_their_id(
    gql, two_schools_two_routes, group_by
):
    token, schools, routes = two_schools_two_routes

    result = await gql(LABELLED, {"groupBy": group_by}, token=token)

    rows = result["data"]["instructionalTimeLost"]["rows"]
    expected = schools if group_by == "SCHOOL" else routes
    assert {row["key"]: row["label"] for row in rows} == expected
    assert [row["lateInstances"] for row in rows] == [1, 1]


async def test_month_rows_are_labelled_by_the_month(gql, two_schools_two_routes):
    token, _, _ = two_schools_two_routes

    result = await gql(LABELLED, {"groupBy": "MONTH"}, token=token)

    assert [(r["key"], r["label"]) for r in result["data"]["instructionalTimeLost"]["rows"]] == [
        ("2025-09", "2025-09"),
        ("2025-10", "2025-10"),
    ]
