"""Opportunities over HTTP: scores, priority and PICK quadrant, ranking, triage, conversion,
off-target KPIs, roles and tenancy."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from district_ppm.db.pagination import encode_cursor
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.errors import Conflict
from district_ppm.improvement.models import Opportunity, OpportunitySource, OpportunityStatus
from district_ppm.improvement.opportunities import Conversion, convert_opportunity
from district_ppm.improvement.scoring import priority_score
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.improvement import (
    CONVERT,
    CREATE_OPPORTUNITY,
    FROM_MEASURE,
    OPPORTUNITIES,
    OPPORTUNITY,
    PROJECT,
    SET_STATUS,
    count_rows,
    create_opportunity,
    opportunity_input,
    snapshot,
)
from tests.support.measures import (
    SET_TARGET,
    count_statements,
    create_measure,
    monthly,
    queries,
    record,
    run_refresh,
)

CREATE_PROCESS = """
mutation($input: CreateProcessInput!) { createProcess(input: $input) { process { id } } }
"""


async def create_process(gql: Any, token: str, code: str = "4") -> str:
    result = await gql(
        CREATE_PROCESS,
        {"input": {"code": code, "name": "Transportation", "kind": "OPERATIONAL"}},
        token=token,
    )
    return result["data"]["createProcess"]["process"]["id"]  # type: ignore[no-any-return]


async def all_opportunities(gql: Any, token: str, page: int) -> list[dict[str, Any]]:
    """Every opportunity, walking the list ``page`` at a time."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        result = await gql(OPPORTUNITIES, {"first": page, "after": after}, token=token)
        connection = result["data"]["opportunities"]
        nodes += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes
        after = connection["pageInfo"]["endCursor"]


# (impact, effort, alignment) -> priorityScore = impact x alignment / effort, and the quadrant:
# high impact is >= 3, low effort <= 2.
HAND_COMPUTED = [
    ((3, 2, 4), 6.0, "IMPLEMENT"),  # the boundary: impact 3 is high, effort 2 is low
    ((2, 3, 5), 3.3333, "KILL"),  # the other boundary: impact 2 is low, effort 3 is high
    ((2, 2, 1), 1.0, "POSSIBLE"),
    ((3, 3, 1), 1.0, "CHALLENGE"),  # ties with the one above; created after it
    ((5, 1, 5), 25.0, "IMPLEMENT"),
    ((1, 5, 1), 0.2, "KILL"),
    ((4, 3, 1), 1.3333, "CHALLENGE"),
    ((2, 3, 2), 1.3333, "KILL"),  # ties with the one above; created after it
    ((5, 4, 3), 3.75, "CHALLENGE"),
    ((1, 1, 2), 2.0, "POSSIBLE"),
]


async def test_priority_scores_and_quadrants_are_hand_computed_and_ranked(gql, factory):
    district_id, token = await factory.district()
    for (impact, effort, alignment), _, _ in HAND_COMPUTED:
        await create_opportunity(
            gql,
            token,
            title=f"i{impact} e{effort} a{alignment}",
            impact=impact,
            effort=effort,
            alignment=alignment,
        )
    viewer = await factory.token(district_id, Role.VIEWER)

    listed = await all_opportunities(gql, viewer, page=3)

    ranked = [
        ("i5 e1 a5", 25.0, "IMPLEMENT"),
        ("i3 e2 a4", 6.0, "IMPLEMENT"),
        ("i5 e4 a3", 3.75, "CHALLENGE"),
        ("i2 e3 a5", 3.3333, "KILL"),
        ("i1 e1 a2", 2.0, "POSSIBLE"),
        ("i4 e3 a1", 1.3333, "CHALLENGE"),  # tie at 4/3: the older first
        ("i2 e3 a2", 1.3333, "KILL"),
        ("i2 e2 a1", 1.0, "POSSIBLE"),  # tie at 1: the older first
        ("i3 e3 a1", 1.0, "CHALLENGE"),
        ("i1 e5 a1", 0.2, "KILL"),
    ]
    assert [(n["title"], n["priorityScore"], n["quadrant"]) for n in listed] == ranked
    assert all(n["status"] == "NEW" and n["projectId"] is None for n in listed)
    # The same order one page at a time or all at once.
    assert [n["id"] for n in await all_opportunities(gql, viewer, page=500)] == [
        n["id"] for n in listed
    ]


async def test_the_stored_priority_is_the_served_one_for_every_score(factory, app_sessionmaker):
    """The list pages by the column PostgreSQL computes; the API shows scoring's figure."""
    district_id, _ = await factory.district()
    scores = list(itertools.product(range(1, 6), repeat=3))
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        session.add_all(
            Opportunity(
                district_id=district_id,
                title=f"{impact}/{effort}/{alignment}",
                source=OpportunitySource.OTHER,
                impact=impact,
                effort=effort,
                alignment=alignment,
                status=OpportunityStatus.NEW,
                created_by="test",
            )
            for impact, effort, alignment in scores
        )
        await session.flush()
        rows = (await session.execute(select(Opportunity))).scalars().all()
        stored = {(o.impact, o.effort, o.alignment): o.priority_score for o in rows}

    assert len(stored) == 125
    for (impact, effort, alignment), value in stored.items():
        assert value == priority_score(impact=impact, alignment=alignment, effort=effort)
    assert stored[(4, 3, 1)] == Decimal("1.3333") and stored[(5, 3, 2)] == Decimal("3.3333")
    assert stored[(2, 3, 1)] == Decimal("0.6667")  # rounded half up


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("impact", 0),
        ("impact", 6),
        ("effort", 0),
        ("effort", 6),
        ("alignment", 0),
        ("alignment", 6),
    ],
)
async def test_scores_outside_1_to_5_are_bad_input_naming_the_score(
    gql, factory, app_sessionmaker, field, value
):
    district_id, token = await factory.district()
    before = await snapshot(app_sessionmaker, district_id)

    result = await gql(
        CREATE_OPPORTUNITY, {"input": opportunity_input(**{field: value})}, token=token
    )

    assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": f"input.{field}"}
    assert str(value) in result["errors"][0]["message"]
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_bad_opportunity_fields_name_the_field(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    cases = {
        "input.title": {"title": "  "},
        "input.estimatedSavings": {"estimatedSavings": "-1.00"},
        "input.measureId": {"source": "OFF_TARGET_KPI"},
    }
    for field, overrides in cases.items():
        result = await gql(
            CREATE_OPPORTUNITY, {"input": opportunity_input(**overrides)}, token=token
        )
        assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": field}, field
    cents = await gql(
        CREATE_OPPORTUNITY, {"input": opportunity_input(estimatedSavings="10.005")}, token=token
    )
    assert cents["errors"][0]["extensions"]["field"] == "input.estimatedSavings"
    assert await count_rows(app_sessionmaker, district_id, "opportunities") == 0


async def test_an_opportunity_keeps_its_process_measure_and_savings(gql, factory):
    _, token = await factory.district()
    process_id = await create_process(gql, token)
    measure_id = await create_measure(gql, token, level="DISTRICT")

    created = await create_opportunity(
        gql,
        token,
        processId=process_id,
        measureId=measure_id,
        estimatedSavings="12500.50",
        description="Two routes share one bus",
        source="CTQ_GAP",
    )

    assert created["processId"] == process_id and created["measureId"] == measure_id
    assert created["estimatedSavings"] == "12500.50"
    assert created["description"] == "Two routes share one bus"
    assert (created["source"], created["status"]) == ("CTQ_GAP", "NEW")
    assert (created["priorityScore"], created["quadrant"]) == (6.0, "IMPLEMENT")


async def test_converting_links_both_ways_and_twice_is_a_conflict(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    process_id = await create_process(gql, token)
    measure_id = await create_measure(gql, token, level="DISTRICT")
    opportunity = await create_opportunity(
        gql, token, title="Late buses", processId=process_id, measureId=measure_id
    )
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)
    convert = {
        "opportunityId": opportunity["id"],
        "problemStatement": "Buses arrive late",
        "goalStatement": "On time",
        "baseline": 12.0,
        "team": ["Dispatcher"],
    }

    result = await gql(CONVERT, {"input": convert}, token=lead)
    project = result["data"]["convertOpportunity"]["project"]
    before = await snapshot(app_sessionmaker, district_id)
    again = await gql(CONVERT, {"input": convert}, token=lead)

    assert project["opportunityId"] == opportunity["id"]
    assert (project["title"], project["phase"], project["baseline"]) == (
        "Late buses",
        "DEFINE",
        12.0,
    )
    assert (project["processId"], project["primaryMeasureId"]) == (process_id, measure_id)
    assert project["team"] == ["Dispatcher"]
    listed = (await gql(OPPORTUNITIES, token=token))["data"]["opportunities"]["edges"]
    assert (listed[0]["node"]["status"], listed[0]["node"]["projectId"]) == (
        "CONVERTED",
        project["id"],
    )
    read = (await gql(PROJECT, {"id": project["id"]}, token=token))["data"]["project"]
    assert read["opportunityId"] == opportunity["id"]
    assert again["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "input.opportunityId"}
    assert project["id"] in again["errors"][0]["message"]
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_converting_takes_a_primary_measure_of_its_own(gql, factory):
    _, token = await factory.district()
    opportunity = await create_opportunity(gql, token)
    other = await create_measure(gql, token, code="OTHER", level="DISTRICT")

    result = await gql(
        CONVERT,
        {
            "input": {
                "opportunityId": opportunity["id"],
                "problemStatement": "p",
                "goalStatement": "g",
                "primaryMeasureId": other,
                "title": "A title of its own",
            }
        },
        token=token,
    )

    project = result["data"]["convertOpportunity"]["project"]
    assert (project["primaryMeasureId"], project["title"]) == (other, "A title of its own")


async def test_triage_statuses_and_converted_is_final(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    opportunity = await create_opportunity(gql, token)
    owner = await factory.token(district_id, Role.PROCESS_OWNER)

    async def set_status(status: str) -> dict[str, Any]:
        return await gql(
            SET_STATUS,
            {"input": {"opportunityId": opportunity["id"], "status": status}},
            token=owner,
        )

    accepted = await set_status("ACCEPTED")
    declined = await set_status("DECLINED")
    convert_declined = await gql(
        CONVERT,
        {
            "input": {
                "opportunityId": opportunity["id"],
                "problemStatement": "p",
                "goalStatement": "g",
            }
        },
        token=token,
    )
    by_hand = await set_status("CONVERTED")
    reopened = await set_status("NEW")
    await gql(
        CONVERT,
        {
            "input": {
                "opportunityId": opportunity["id"],
                "problemStatement": "p",
                "goalStatement": "g",
            }
        },
        token=token,
    )
    before = await snapshot(app_sessionmaker, district_id)
    after_conversion = await set_status("DECLINED")

    assert accepted["data"]["setOpportunityStatus"]["opportunity"]["status"] == "ACCEPTED"
    assert declined["data"]["setOpportunityStatus"]["opportunity"]["status"] == "DECLINED"
    assert convert_declined["errors"][0]["extensions"] == {
        "code": "CONFLICT",
        "field": "input.opportunityId",
    }
    assert by_hand["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.status"}
    assert reopened["data"]["setOpportunityStatus"]["opportunity"]["status"] == "NEW"
    assert after_conversion["errors"][0]["extensions"] == {
        "code": "CONFLICT",
        "field": "input.opportunityId",
    }
    assert await snapshot(app_sessionmaker, district_id) == before


async def red_measure(gql: Any, token: str, app_sessionmaker: Any, district_id: uuid.UUID) -> str:
    """A DISTRICT-level measure, higher is better, at 80 against a target of 95 (RED below 90)
    in school year 2026."""
    process_id = await create_process(gql, token, code="9")
    measure_id = await create_measure(
        gql,
        token,
        code="TRN-ON-TIME",
        name="On-time arrivals",
        level="DISTRICT",
        processId=process_id,
    )
    await record(gql, token, measure_id, monthly(None, 2025, 9, [82, 81, 80]))
    result = await gql(
        SET_TARGET,
        {"input": {"measureId": measure_id, "schoolYear": 2026, "value": 95, "redThreshold": 90}},
        token=token,
    )
    assert "errors" not in result, result
    await run_refresh(app_sessionmaker, district_id)
    return measure_id


async def test_an_off_target_kpi_becomes_an_opportunity_in_one_call(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    measure_id = await red_measure(gql, token, app_sessionmaker, district_id)
    process_id = (
        await gql(
            "query($id: ID!) { measure(id: $id) { processId } }", {"id": measure_id}, token=token
        )
    )["data"]["measure"]["processId"]
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)

    result = await gql(
        FROM_MEASURE,
        {
            "input": {
                "measureId": measure_id,
                "schoolYear": 2026,
                "impact": 4,
                "effort": 3,
                "alignment": 5,
                "estimatedSavings": "1000.00",
            }
        },
        token=lead,
    )

    created = result["data"]["createOpportunityFromMeasure"]["opportunity"]
    assert created["source"] == "OFF_TARGET_KPI"
    assert (created["measureId"], created["processId"]) == (measure_id, process_id)
    assert created["title"] == "TRN-ON-TIME off target in 2026: On-time arrivals"
    assert created["description"] == (
        "Latest district-wide value 80 (period 2025-11-01) against a target of 95, RED below 90."
    )
    assert (created["priorityScore"], created["quadrant"], created["status"]) == (
        6.6667,
        "CHALLENGE",
        "NEW",
    )
    assert created["estimatedSavings"] == "1000.00"


async def test_a_measure_that_is_not_red_is_refused(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    red = await red_measure(gql, token, app_sessionmaker, district_id)
    green = await create_measure(gql, token, code="GREEN", level="DISTRICT")
    await record(gql, token, green, monthly(None, 2025, 9, [99]))
    await gql(
        SET_TARGET,
        {"input": {"measureId": green, "schoolYear": 2026, "value": 95, "redThreshold": 90}},
        token=token,
    )
    await run_refresh(app_sessionmaker, district_id)
    before = await snapshot(app_sessionmaker, district_id)

    def attempt(measure_id: str, year: int) -> dict[str, Any]:
        return {
            "input": {
                "measureId": measure_id,
                "schoolYear": year,
                "impact": 3,
                "effort": 3,
                "alignment": 3,
            }
        }

    is_green = await gql(FROM_MEASURE, attempt(green, 2026), token=token)
    other_year = await gql(FROM_MEASURE, attempt(red, 2027), token=token)
    bad_score = await gql(
        FROM_MEASURE, {"input": {**attempt(red, 2026)["input"], "effort": 6}}, token=token
    )
    missing = await gql(FROM_MEASURE, attempt(str(uuid.uuid4()), 2026), token=token)

    assert is_green["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "input.measureId"}
    assert "GREEN" in is_green["errors"][0]["message"]
    assert other_year["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert "no computed status" in other_year["errors"][0]["message"]
    assert bad_score["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.effort"}
    assert missing["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "input.measureId"}
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_another_districts_ids_are_not_found_and_nothing_is_written(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    other_id, other_token = await factory.district()
    their_process = await create_process(gql, other_token)
    their_measure = await red_measure(gql, other_token, app_sessionmaker, other_id)
    theirs = await create_opportunity(gql, other_token)
    mine_before = await snapshot(app_sessionmaker, district_id)
    theirs_before = await snapshot(app_sessionmaker, other_id)

    attempts = {
        "input.processId": (CREATE_OPPORTUNITY, opportunity_input(processId=their_process)),
        "input.measureId": (CREATE_OPPORTUNITY, opportunity_input(measureId=their_measure)),
        "input.opportunityId": (
            SET_STATUS,
            {"opportunityId": theirs["id"], "status": "ACCEPTED"},
        ),
    }
    results = {
        field: await gql(document, {"input": variables}, token=token)
        for field, (document, variables) in attempts.items()
    }
    from_measure = await gql(
        FROM_MEASURE,
        {
            "input": {
                "measureId": their_measure,
                "schoolYear": 2026,
                "impact": 3,
                "effort": 3,
                "alignment": 3,
            }
        },
        token=token,
    )
    convert = await gql(
        CONVERT,
        {"input": {"opportunityId": theirs["id"], "problemStatement": "p", "goalStatement": "g"}},
        token=token,
    )
    listed = (await gql(OPPORTUNITIES, token=token))["data"]["opportunities"]
    read = await gql(OPPORTUNITY, {"id": theirs["id"]}, token=token)
    own_read = await gql(OPPORTUNITY, {"id": theirs["id"]}, token=other_token)

    assert read["data"]["opportunity"] is None and "errors" not in read
    assert own_read["data"]["opportunity"] == theirs
    for field, result in results.items():
        assert result["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": field}, field
    assert from_measure["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "field": "input.measureId",
    }
    assert convert["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "field": "input.opportunityId",
    }
    assert listed["totalCount"] == 0 and listed["edges"] == []
    assert await snapshot(app_sessionmaker, district_id) == mine_before
    assert await snapshot(app_sessionmaker, other_id) == theirs_before


WRITERS = {Role.DISTRICT_ADMIN, Role.PROCESS_OWNER, Role.IMPROVEMENT_LEAD}
CONVERTERS = {Role.DISTRICT_ADMIN, Role.IMPROVEMENT_LEAD}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_who_may_do_what_with_opportunities(gql, factory, app_sessionmaker, role):
    district_id, admin = await factory.district()
    measure_id = await red_measure(gql, admin, app_sessionmaker, district_id)
    existing = await create_opportunity(gql, admin)
    token = await factory.token(district_id, role)
    before = await count_rows(app_sessionmaker, district_id, "opportunities")
    projects_before = await count_rows(app_sessionmaker, district_id, "projects")

    create = await gql(CREATE_OPPORTUNITY, {"input": opportunity_input()}, token=token)
    from_measure = await gql(
        FROM_MEASURE,
        {
            "input": {
                "measureId": measure_id,
                "schoolYear": 2026,
                "impact": 3,
                "effort": 3,
                "alignment": 3,
            }
        },
        token=token,
    )
    triage = await gql(
        SET_STATUS, {"input": {"opportunityId": existing["id"], "status": "ACCEPTED"}}, token=token
    )
    convert = await gql(
        CONVERT,
        {"input": {"opportunityId": existing["id"], "problemStatement": "p", "goalStatement": "g"}},
        token=token,
    )
    read = await gql(OPPORTUNITIES, token=token)
    one = await gql(OPPORTUNITY, {"id": existing["id"]}, token=token)

    assert one["data"]["opportunity"]["id"] == existing["id"]
    writes = {"create": create, "fromMeasure": from_measure, "triage": triage}
    for name, result in writes.items():
        if role in WRITERS:
            assert "errors" not in result, (name, result)
        else:
            assert error_codes(result) == ["FORBIDDEN"], name
    if role in CONVERTERS:
        assert convert["data"]["convertOpportunity"]["project"]["opportunityId"] == existing["id"]
    else:
        assert error_codes(convert) == ["FORBIDDEN"]
    assert "errors" not in read
    expected_new = 2 if role in WRITERS else 0
    assert await count_rows(app_sessionmaker, district_id, "opportunities") == before + expected_new
    assert await count_rows(app_sessionmaker, district_id, "projects") == projects_before + (
        1 if role in CONVERTERS else 0
    )


async def test_a_conversion_waits_for_a_racing_one_and_then_conflicts(
    gql, factory, app_sessionmaker
):
    """The opportunity's row is locked first: a second converter waits, then sees CONVERTED."""
    district_id, token = await factory.district()
    opportunity_id = uuid.UUID((await create_opportunity(gql, token))["id"])
    conversion = Conversion(problem_statement="p", goal_statement="g")

    async def convert(session: Any) -> Any:
        return await convert_opportunity(
            session=session,
            district_id=district_id,
            opportunity_id=opportunity_id,
            conversion=conversion,
            created_by="test",
        )

    async def second() -> Any:
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            return await convert(session)

    async with tenant_transaction(app_sessionmaker, district_id) as first:
        await convert(first)
        racing = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not racing.done()  # waiting for the first converter's lock
        await first.commit()
    with pytest.raises(Conflict) as refused:
        await racing

    assert refused.value.field == "opportunityId"
    assert await count_rows(app_sessionmaker, district_id, "projects") == 1


async def test_the_ranked_list_reads_in_two_statements(gql, factory, app):
    _, token = await factory.district()
    for impact in range(1, 6):
        await create_opportunity(gql, token, impact=impact)

    with count_statements(app) as statements:
        result = await gql(OPPORTUNITIES, {"first": 3}, token=token)

    connection = result["data"]["opportunities"]
    assert [e["node"]["impact"] for e in connection["edges"]] == [5, 4, 3]
    assert connection["totalCount"] == 5 and connection["pageInfo"]["hasNextPage"] is True
    assert len(queries(statements)) == 2  # the count and the page


@pytest.mark.parametrize(
    "values",
    [
        ["sNaN", "2026-01-01T00:00:00+00:00", str(uuid.UUID(int=1))],
        ["Infinity", "2026-01-01T00:00:00+00:00", str(uuid.UUID(int=1))],
        ["1.5", "9999-12-31T23:59:59-23:59", str(uuid.UUID(int=1))],
        ["1.5", "2026-01-01T00:00:00", str(uuid.UUID(int=1))],
        ["1.5", "2026-01-01T00:00:00+00:00", "not-a-uuid"],
        ["1.5", "2026-01-01T00:00:00+00:00"],
    ],
    ids=["snan", "infinity", "overflow", "naive", "bad-id", "short"],
)
async def test_a_cursor_not_made_here_is_bad_input(gql, factory, values):
    _, token = await factory.district()
    await create_opportunity(gql, token)

    result = await gql(OPPORTUNITIES, {"first": 1, "after": encode_cursor(values)}, token=token)

    assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "after"}
