"""createMeasure, measures, measure, setTarget, recordMeasurements over HTTP."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.models import Measurement, MeasurementRevision
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.measures import (
    CREATE_MEASURE,
    SET_TARGET,
    count_statements,
    create_measure,
    create_school,
    measure_input,
    monthly,
    queries,
    record,
)

LIST = """
query($first: Int, $after: String) {
  measures(first: $first, after: $after) {
    totalCount edges { cursor node { code view } } pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_admin_and_process_owner_create_measures_viewer_and_leader_may_not(gql, factory):
    district_id, admin = await factory.district()
    owner = await factory.token(district_id, Role.PROCESS_OWNER)

    created = await gql(CREATE_MEASURE, {"input": measure_input()}, token=admin)
    by_owner = await gql(
        CREATE_MEASURE,
        {
            "input": measure_input(
                code="SS-CHRONIC-ABS", stage="SHORT_TERM_OUTCOME", direction="LOWER_IS_BETTER"
            )
        },
        token=owner,
    )

    assert created["data"]["createMeasure"]["measure"] == {
        "id": created["data"]["createMeasure"]["measure"]["id"],
        "code": "SS-ADA",
        "name": "Average daily attendance",
        "unit": "PERCENT",
        "direction": "HIGHER_IS_BETTER",
        "stage": "OUTPUT",
        "view": "DASHBOARD",
        "frequency": "MONTHLY",
        "level": "SCHOOL",
        "processId": None,
        "aggregation": "MEAN",
    }
    assert by_owner["data"]["createMeasure"]["measure"]["view"] == "SCOREBOARD"
    for role in (Role.VIEWER, Role.SCHOOL_LEADER, Role.IMPROVEMENT_LEAD, Role.FINANCE_VALIDATOR):
        token = await factory.token(district_id, role)
        refused = await gql(CREATE_MEASURE, {"input": measure_input(code="X")}, token=token)
        assert error_codes(refused) == ["FORBIDDEN"], role


async def test_duplicate_code_conflicts_and_unknown_process_is_not_found(gql, factory):
    _, token = await factory.district()
    await create_measure(gql, token)

    again = await gql(CREATE_MEASURE, {"input": measure_input()}, token=token)
    no_process = await gql(
        CREATE_MEASURE,
        {"input": measure_input(code="OTHER", processId="00000000-0000-0000-0000-000000000001")},
        token=token,
    )
    bad_enum = await gql(CREATE_MEASURE, {"input": measure_input(unit="FURLONGS")}, token=token)

    assert again["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "input.code"}
    assert no_process["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "field": "input.processId",
    }
    assert bad_enum["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.unit"}


async def test_measures_page_by_code_in_a_fixed_number_of_statements(gql, factory, app):
    _, token = await factory.district()
    for code in ["C", "A", "E", "B", "D"]:
        await create_measure(gql, token, code=code)

    with count_statements(app) as statements:
        first = (await gql(LIST, {"first": 2}, token=token))["data"]["measures"]
    rest = (await gql(LIST, {"first": 10, "after": first["pageInfo"]["endCursor"]}, token=token))[
        "data"
    ]["measures"]

    assert [e["node"]["code"] for e in first["edges"] + rest["edges"]] == list("ABCDE")
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"]
    assert not rest["pageInfo"]["hasNextPage"]
    assert len(queries(statements)) == 1  # the page with its count


async def test_another_districts_measure_is_invisible(gql, factory):
    _, token = await factory.district()
    _, other = await factory.district()
    measure_id = await create_measure(gql, token)
    school_id = await create_school(gql, other, "Elsewhere")

    seen = await gql(
        "query($id: ID!) { measure(id: $id) { code } }", {"id": measure_id}, token=other
    )
    write = await record(gql, other, measure_id, monthly(school_id, 2025, 9, [1.0]))
    target = await gql(
        SET_TARGET,
        {"input": {"measureId": measure_id, "schoolYear": 2026, "value": 95, "redThreshold": 90}},
        token=other,
    )
    chart = await gql(
        "query($m: ID!) { controlChart(measureId: $m) { status } }", {"m": measure_id}, token=other
    )

    assert seen["data"]["measure"] is None
    assert write["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "input.measureId"}
    assert target["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "input.measureId"}
    assert chart["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "measureId"}


async def test_set_target_and_its_rules(gql, factory):
    district_id, token = await factory.district()
    measure_id = await create_measure(gql, token)
    school_id = await create_school(gql, token, "Lincoln")
    district_wide = await create_measure(gql, token, code="D", level="DISTRICT")

    ok = await gql(
        SET_TARGET,
        {
            "input": {
                "measureId": measure_id,
                "schoolId": school_id,
                "schoolYear": 2026,
                "value": 95,
                "redThreshold": 90,
                "baseline": 88.5,
            }
        },
        token=token,
    )
    upside_down = await gql(
        SET_TARGET,
        {"input": {"measureId": measure_id, "schoolYear": 2026, "value": 90, "redThreshold": 95}},
        token=token,
    )
    school_on_district = await gql(
        SET_TARGET,
        {
            "input": {
                "measureId": district_wide,
                "schoolId": school_id,
                "schoolYear": 2026,
                "value": 1,
                "redThreshold": 0,
            }
        },
        token=token,
    )
    viewer = await factory.token(district_id, Role.VIEWER)
    refused = await gql(
        SET_TARGET,
        {"input": {"measureId": measure_id, "schoolYear": 2026, "value": 95, "redThreshold": 90}},
        token=viewer,
    )

    assert ok["data"]["setTarget"]["target"] == {
        "measureId": measure_id,
        "schoolId": school_id,
        "schoolYear": 2026,
        "value": 95.0,
        "redThreshold": 90.0,
        "baseline": 88.5,
    }
    assert upside_down["errors"][0]["extensions"] == {
        "code": "BAD_INPUT",
        "field": "input.redThreshold",
    }
    assert school_on_district["errors"][0]["extensions"] == {
        "code": "BAD_INPUT",
        "field": "input.schoolId",
    }
    assert error_codes(refused) == ["FORBIDDEN"]


async def test_record_measurements_replaces_and_keeps_history(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    measure_id = await create_measure(gql, token)
    school_id = await create_school(gql, token, "Lincoln")

    first = await record(gql, token, measure_id, monthly(school_id, 2025, 9, [91.0, 92.5]))
    second = await record(gql, token, measure_id, monthly(school_id, 2025, 10, [93.0]))

    assert first["data"]["recordMeasurements"] == {"written": 2}
    assert second["data"]["recordMeasurements"] == {"written": 1}
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        values = [
            (m.period_start.isoformat(), m.value, m.recorded_by)
            for m in await session.scalars(select(Measurement).order_by(Measurement.period_start))
        ]
        history = [
            (r.period_start.isoformat(), r.value)
            for r in await session.scalars(select(MeasurementRevision))
        ]
    assert values == [("2025-09-01", 91.0, "test admin"), ("2025-10-01", 93.0, "test admin")]
    assert history == [("2025-10-01", 92.5)]


async def test_record_measurements_names_each_bad_field_and_writes_nothing(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    measure_id = await create_measure(gql, token)
    district_measure = await create_measure(gql, token, code="D", level="DISTRICT")
    school_id = await create_school(gql, token, "Lincoln")
    values = monthly(school_id, 2025, 9, [1.0, 2.0, 3.0, 4.0])
    values[3]["periodStart"] = "2025-12-15"

    misaligned = await record(gql, token, measure_id, values)
    no_school = await record(gql, token, measure_id, [{"periodStart": "2025-09-01", "value": 1}])
    school_on_district = await record(
        gql, token, district_measure, monthly(school_id, 2025, 9, [1.0])
    )
    malformed = await record(
        gql, token, measure_id, [{"schoolId": school_id, "periodStart": "2025-13-01", "value": 1}]
    )
    several = await record(
        gql,
        token,
        measure_id,
        [
            {"schoolId": school_id, "periodStart": "2025-09-02", "value": 1},
            {"periodStart": "2025-09-01", "value": 1},
        ],
    )

    assert misaligned["errors"][0]["extensions"] == {
        "code": "BAD_INPUT",
        "field": "input.values.3.periodStart",
    }
    assert "1st of a month" in misaligned["errors"][0]["message"]
    assert no_school["errors"][0]["extensions"]["field"] == "input.values.0.schoolId"
    assert school_on_district["errors"][0]["extensions"]["field"] == "input.values.0.schoolId"
    assert malformed["errors"][0]["extensions"] == {
        "code": "BAD_INPUT",
        "field": "input.values.0.periodStart",
    }
    assert several["errors"][0]["extensions"]["field"] == "input.values.0.periodStart"
    assert [e["field"] for e in several["errors"][0]["extensions"]["errors"]] == [
        "input.values.0.periodStart",
        "input.values.1.schoolId",
    ]
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        assert list(await session.scalars(select(Measurement))) == []


async def test_school_leader_records_only_for_own_schools(gql, factory):
    district_id, token = await factory.district()
    measure_id = await create_measure(gql, token)
    district_measure = await create_measure(gql, token, code="D", level="DISTRICT")
    mine = await create_school(gql, token, "Mine")
    theirs = await create_school(gql, token, "Theirs")
    leader = await factory.token(district_id, Role.SCHOOL_LEADER, school_ids=[uuid.UUID(mine)])
    viewer = await factory.token(district_id, Role.VIEWER)
    owner = await factory.token(district_id, Role.PROCESS_OWNER)

    own = await record(gql, leader, measure_id, monthly(mine, 2025, 9, [1.0]))
    other = await record(gql, leader, measure_id, monthly(theirs, 2025, 9, [1.0]))
    district = await record(gql, leader, district_measure, monthly(None, 2025, 9, [1.0]))
    by_viewer = await record(gql, viewer, measure_id, monthly(mine, 2025, 9, [1.0]))
    by_owner = await record(gql, owner, measure_id, monthly(theirs, 2025, 9, [2.0]))

    assert own["data"]["recordMeasurements"] == {"written": 1}
    assert error_codes(other) == ["FORBIDDEN"]
    assert error_codes(district) == ["FORBIDDEN"]
    assert error_codes(by_viewer) == ["FORBIDDEN"]
    assert by_owner["data"]["recordMeasurements"] == {"written": 1}


async def test_too_long_owner_or_data_source_is_bad_input(gql, factory):
    _, token = await factory.district()

    owner = await gql(CREATE_MEASURE, {"input": measure_input(owner="x" * 201)}, token=token)
    source = await gql(CREATE_MEASURE, {"input": measure_input(dataSource="x" * 201)}, token=token)
    fits = await gql(
        CREATE_MEASURE, {"input": measure_input(owner="x" * 200, dataSource="y" * 200)}, token=token
    )

    # Both are stored in 200 characters: longer was a database error, answered INTERNAL.
    assert owner["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.owner"}
    assert source["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.dataSource"}
    assert "errors" not in fits, fits
