"""DMAIC projects over HTTP: the charter, phases one tollgate at a time, roles, tenancy."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.improvement.phases import advance_phase
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.improvement import (
    ADVANCE,
    CREATE_PROJECT,
    PROJECT,
    PROJECTS,
    REQUEST_TOLLGATE,
    UPDATE_PROJECT,
    count_rows,
    create_project,
    project_input,
    snapshot,
)
from tests.support.measures import count_statements, create_measure, create_school, queries

CREATE_PLAN = """
mutation($input: CreateSustainabilityPlanInput!) {
  createSustainabilityPlan(input: $input) { plan { id } }
}
"""
PHASES = ["DEFINE", "MEASURE", "ANALYZE", "IMPROVE", "CONTROL", "CLOSED"]


async def advance(gql: Any, token: str, project_id: str, note: str | None = None) -> Any:
    return await gql(ADVANCE, {"input": {"projectId": project_id, "note": note}}, token=token)


async def request(gql: Any, token: str, project_id: str, note: str | None = None) -> Any:
    return await gql(
        REQUEST_TOLLGATE, {"input": {"projectId": project_id, "note": note}}, token=token
    )


async def add_plan(gql: Any, token: str, project_id: str, measure_id: str) -> None:
    result = await gql(
        CREATE_PLAN,
        {
            "input": {
                "projectId": project_id,
                "measureIds": [measure_id],
                "reviewCadence": "MONTHLY",
                "startDate": "2026-01-01",
                "responsePlan": "Re-run the routing study when on-time arrivals fall.",
            }
        },
        token=token,
    )
    assert "errors" not in result, result


async def move_to(gql: Any, token: str, project_id: str, phase: str) -> None:
    """Advance one tollgate at a time until the project is in ``phase``."""
    current = (await gql(PROJECT, {"id": project_id}, token=token))["data"]["project"]["phase"]
    for _ in range(PHASES.index(phase) - PHASES.index(current)):
        result = await advance(gql, token, project_id)
        assert "errors" not in result, result


async def test_a_project_is_created_in_define_with_its_charter(gql, factory):
    _, token = await factory.district()
    school_a = await create_school(gql, token, "A")
    school_b = await create_school(gql, token, "B")
    measure = await create_measure(gql, token, level="DISTRICT")

    project = await create_project(
        gql,
        token,
        title="  Late buses  ",
        primaryMeasureId=measure,
        baseline=42.5,
        target=10.0,
        scope="Routes 1-12",
        sponsor="COO",
        lead="Transportation director",
        team=["Dispatcher", "Principal A"],
        baselineSchoolYear=2025,
        schoolIds=[school_b, school_a],
    )

    assert project["title"] == "Late buses"
    assert project["phase"] == "DEFINE"
    assert (project["problemStatement"], project["goalStatement"]) == (
        "Buses arrive after the first bell.",
        "No bus later than the first bell.",
    )
    assert (project["primaryMeasureId"], project["processId"]) == (measure, None)
    assert (project["baseline"], project["target"], project["baselineSchoolYear"]) == (
        42.5,
        10.0,
        2025,
    )
    assert (project["scope"], project["sponsor"], project["lead"]) == (
        "Routes 1-12",
        "COO",
        "Transportation director",
    )
    assert project["team"] == ["Dispatcher", "Principal A"]
    assert sorted(project["schoolIds"]) == sorted([school_a, school_b])
    assert project["tollgates"] == [] and project["tollgateRequest"] is None
    assert project["opportunityId"] is None
    read = (await gql(PROJECT, {"id": project["id"]}, token=token))["data"]["project"]
    assert read == project


async def test_bad_charters_name_the_field_and_write_nothing(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    school = await create_school(gql, token, "A")
    cases = {
        "input.title": {"title": " "},
        "input.problemStatement": {"problemStatement": ""},
        "input.goalStatement": {"goalStatement": "  "},
        "input.team.1": {"team": ["Dispatcher", " "]},
        "input.baselineSchoolYear": {"baselineSchoolYear": 26},
        "input.schoolIds.1": {"schoolIds": [school, school]},
        "input.primaryMeasureId": {"primaryMeasureId": "not-a-uuid"},
    }
    before = await snapshot(app_sessionmaker, district_id)

    for field, overrides in cases.items():
        result = await gql(CREATE_PROJECT, {"input": project_input(**overrides)}, token=token)
        assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": field}, field

    assert await snapshot(app_sessionmaker, district_id) == before


async def test_phases_one_step_at_a_time_each_move_recorded(gql, factory):
    district_id, admin = await factory.district()
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)
    measure = await create_measure(gql, admin, level="DISTRICT")
    project = await create_project(gql, lead, baseline=12.0, primaryMeasureId=measure)
    await add_plan(gql, lead, project["id"], measure)

    waiting = (await request(gql, lead, project["id"], "charter signed"))["data"]
    passed = (await advance(gql, admin, project["id"], "charter approved"))["data"]
    # Passing a tollgate without a request works too; the move says so (no requestedAt).
    direct = (await advance(gql, lead, project["id"]))["data"]
    for note in ("root causes found", "pilot worked"):
        await request(gql, lead, project["id"])
        await advance(gql, admin, project["id"], note)
    closed = (await advance(gql, admin, project["id"], "plan in place"))["data"]

    request_shown = waiting["requestTollgate"]["project"]["tollgateRequest"]
    assert request_shown["note"] == "charter signed"
    assert request_shown["requestedBy"] == "test IMPROVEMENT_LEAD"
    assert passed["advanceProjectPhase"]["project"]["phase"] == "MEASURE"
    assert passed["advanceProjectPhase"]["project"]["tollgateRequest"] is None
    assert direct["advanceProjectPhase"]["project"]["phase"] == "ANALYZE"
    tollgates = closed["advanceProjectPhase"]["project"]["tollgates"]
    assert closed["advanceProjectPhase"]["project"]["phase"] == "CLOSED"
    assert [(t["fromPhase"], t["toPhase"], t["note"]) for t in tollgates] == [
        ("DEFINE", "MEASURE", "charter approved"),
        ("MEASURE", "ANALYZE", None),
        ("ANALYZE", "IMPROVE", "root causes found"),
        ("IMPROVE", "CONTROL", "pilot worked"),
        ("CONTROL", "CLOSED", "plan in place"),
    ]
    approved = [t["approvedAt"] for t in tollgates]
    assert approved == sorted(approved)  # oldest first
    assert tollgates[0]["requestedAt"] == request_shown["requestedAt"]
    assert tollgates[0]["requestedAt"] <= tollgates[0]["approvedAt"]
    assert [(t["approvedBy"], t["requestedBy"]) for t in tollgates] == [
        ("test admin", "test IMPROVEMENT_LEAD"),
        ("test IMPROVEMENT_LEAD", None),
        ("test admin", "test IMPROVEMENT_LEAD"),
        ("test admin", "test IMPROVEMENT_LEAD"),
        ("test admin", None),
    ]
    assert tollgates[1]["requestedAt"] is None


async def test_illegal_moves_are_conflicts_that_write_nothing(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    measure = await create_measure(gql, token, level="DISTRICT")
    no_baseline = await create_project(gql, token, title="No baseline")
    await move_to(gql, token, no_baseline["id"], "MEASURE")
    no_plan = await create_project(gql, token, title="No plan", baseline=5.0)
    await move_to(gql, token, no_plan["id"], "CONTROL")
    closed = await create_project(gql, token, title="Closed", baseline=5.0)
    await add_plan(gql, token, closed["id"], measure)
    await move_to(gql, token, closed["id"], "CLOSED")
    waiting = await create_project(gql, token, title="Waiting")
    await request(gql, token, waiting["id"], "first")
    before = await snapshot(app_sessionmaker, district_id)

    leave_measure = await advance(gql, token, no_baseline["id"])
    enter_closed = await advance(gql, token, no_plan["id"])
    past_closed = await advance(gql, token, closed["id"])
    request_closed = await request(gql, token, closed["id"])
    request_twice = await request(gql, token, waiting["id"], "second")
    edit_closed = await gql(
        UPDATE_PROJECT, {"input": {"projectId": closed["id"], "title": "x"}}, token=token
    )

    conflict = {"code": "CONFLICT", "field": "input.projectId"}
    for result in (
        leave_measure,
        enter_closed,
        past_closed,
        request_closed,
        request_twice,
        edit_closed,
    ):
        assert result["errors"][0]["extensions"] == conflict, result
    assert "baseline" in leave_measure["errors"][0]["message"]
    assert "sustainability plan" in enter_closed["errors"][0]["message"]
    assert "CLOSED" in past_closed["errors"][0]["message"]
    assert "already requested" in request_twice["errors"][0]["message"]
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_a_baseline_set_in_measure_lets_the_project_leave_it(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    school = await create_school(gql, token, "A")
    project = await create_project(gql, token, schoolIds=[school])
    await move_to(gql, token, project["id"], "MEASURE")

    updated = await gql(
        UPDATE_PROJECT,
        {
            "input": {
                "projectId": project["id"],
                "baseline": 31.5,
                "baselineSchoolYear": 2025,
                "sponsor": "COO",
                "schoolIds": [],
            }
        },
        token=token,
    )
    moved = await advance(gql, token, project["id"])
    clear = await gql(
        UPDATE_PROJECT, {"input": {"projectId": project["id"], "baseline": None}}, token=token
    )
    no_title = await gql(
        UPDATE_PROJECT, {"input": {"projectId": project["id"], "title": None}}, token=token
    )

    shown = updated["data"]["updateProject"]["project"]
    assert (shown["baseline"], shown["baselineSchoolYear"], shown["sponsor"]) == (
        31.5,
        2025,
        "COO",
    )
    assert shown["schoolIds"] == [] and shown["title"] == project["title"]  # others unchanged
    assert moved["data"]["advanceProjectPhase"]["project"]["phase"] == "ANALYZE"
    assert clear["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.baseline"}
    assert no_title["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.title"}
    assert await count_rows(app_sessionmaker, district_id, "project_schools") == 0


async def test_projects_page_oldest_first(gql, factory):
    district_id, token = await factory.district()
    created = [(await create_project(gql, token, title=f"P{i}"))["id"] for i in range(5)]
    viewer = await factory.token(district_id, Role.VIEWER)

    seen: list[str] = []
    after = None
    for _ in range(3):
        page = (await gql(PROJECTS, {"first": 2, "after": after}, token=viewer))["data"]
        seen += [edge["node"]["id"] for edge in page["projects"]["edges"]]
        assert page["projects"]["totalCount"] == 5
        after = page["projects"]["pageInfo"]["endCursor"]
    foreign = await gql(PROJECTS, {"first": 2, "after": "bm90LWEtY3Vyc29y"}, token=viewer)

    assert seen == created
    assert page["projects"]["pageInfo"]["hasNextPage"] is False
    assert foreign["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "after"}


async def test_another_districts_ids_are_not_found_and_nothing_is_written(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    other_id, other_token = await factory.district()
    their_school = await create_school(gql, other_token, "Theirs")
    their_measure = await create_measure(gql, other_token, level="DISTRICT")
    their_project = await create_project(gql, other_token, baseline=1.0)
    mine_before = await snapshot(app_sessionmaker, district_id)
    theirs_before = await snapshot(app_sessionmaker, other_id)

    creates = {
        "input.primaryMeasureId": {"primaryMeasureId": their_measure},
        "input.schoolIds.0": {"schoolIds": [their_school]},
        "input.processId": {"processId": str(uuid.uuid4())},
    }
    create_results = {
        field: await gql(CREATE_PROJECT, {"input": project_input(**overrides)}, token=token)
        for field, overrides in creates.items()
    }
    moves = [
        await advance(gql, token, their_project["id"]),
        await request(gql, token, their_project["id"]),
        await gql(
            UPDATE_PROJECT,
            {"input": {"projectId": their_project["id"], "title": "mine"}},
            token=token,
        ),
    ]
    read = await gql(PROJECT, {"id": their_project["id"]}, token=token)
    listed = await gql(PROJECTS, token=token)

    for field, result in create_results.items():
        assert result["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": field}
    for result in moves:
        assert result["errors"][0]["extensions"] == {
            "code": "NOT_FOUND",
            "field": "input.projectId",
        }
    assert read["data"]["project"] is None and "errors" not in read
    assert listed["data"]["projects"]["totalCount"] == 0
    assert await snapshot(app_sessionmaker, district_id) == mine_before
    assert await snapshot(app_sessionmaker, other_id) == theirs_before


MOVERS = {Role.DISTRICT_ADMIN, Role.IMPROVEMENT_LEAD}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_who_may_do_what_with_projects(gql, factory, app_sessionmaker, role):
    district_id, admin = await factory.district()
    existing = await create_project(gql, admin, baseline=1.0)
    token = await factory.token(district_id, role)
    before = await snapshot(app_sessionmaker, district_id)

    create = await gql(CREATE_PROJECT, {"input": project_input()}, token=token)
    update = await gql(
        UPDATE_PROJECT, {"input": {"projectId": existing["id"], "scope": "All"}}, token=token
    )
    asked = await request(gql, token, existing["id"])
    moved = await advance(gql, token, existing["id"])
    one = await gql(PROJECT, {"id": existing["id"]}, token=token)
    many = await gql(PROJECTS, token=token)

    writes = [create, update, asked, moved]
    assert "errors" not in one and one["data"]["project"]["id"] == existing["id"]
    assert "errors" not in many
    if role in MOVERS:
        for result in writes:
            assert "errors" not in result, result
        assert moved["data"]["advanceProjectPhase"]["project"]["phase"] == "MEASURE"
        assert await count_rows(app_sessionmaker, district_id, "projects") == 2
        assert await count_rows(app_sessionmaker, district_id, "project_tollgates") == 1
    else:
        for result in writes:
            assert error_codes(result) == ["FORBIDDEN"]
        assert await snapshot(app_sessionmaker, district_id) == before


async def test_a_second_click_on_the_same_tollgate_does_not_move_twice(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    project = await create_project(gql, token)

    def click() -> Any:
        return gql(
            ADVANCE, {"input": {"projectId": project["id"], "fromPhase": "DEFINE"}}, token=token
        )

    first, second = await asyncio.gather(click(), click())

    results = sorted([first, second], key=lambda r: "errors" in r)
    assert results[0]["data"]["advanceProjectPhase"]["project"]["phase"] == "MEASURE"
    assert results[1]["errors"][0]["extensions"] == {
        "code": "CONFLICT",
        "field": "input.fromPhase",
    }
    assert await count_rows(app_sessionmaker, district_id, "project_tollgates") == 1


async def test_every_move_is_audited_with_its_phases_and_note(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    project = await create_project(gql, token)

    await advance(gql, token, project["id"], "charter approved")

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text(
                "SELECT action, entity_type, entity_id, details FROM audit_events "
                "WHERE district_id = :d ORDER BY created_at, id"
            ),
            {"d": district_id},
        )
        events = [tuple(row) for row in rows.all()]
    assert [(e[0], e[1], str(e[2])) for e in events] == [
        ("createProject", "project", project["id"]),
        ("advanceProjectPhase", "project", project["id"]),
    ]
    assert events[1][3] == {
        "fromPhase": "DEFINE",
        "toPhase": "MEASURE",
        "note": "charter approved",
    }


async def test_the_project_list_reads_in_a_fixed_number_of_statements(gql, factory, app):
    _, token = await factory.district()
    school = await create_school(gql, token, "A")
    for i in range(4):
        project = await create_project(gql, token, title=f"P{i}", schoolIds=[school])
        await advance(gql, token, project["id"], "ok")
    listing = """
    { projects(first: 10) { edges { node {
        id phase schoolIds opportunityId tollgates { fromPhase toPhase approvedBy } } } } }
    """

    with count_statements(app) as statements:
        result = await gql(listing, token=token)

    nodes = [edge["node"] for edge in result["data"]["projects"]["edges"]]
    assert len(nodes) == 4 and all(len(n["tollgates"]) == 1 for n in nodes)
    assert all(n["schoolIds"] == [school] for n in nodes)
    # count, page, then one each for tollgates, schools and opportunities: not one per project
    assert len(queries(statements)) == 5


async def test_racing_advances_take_turns_one_phase_each(gql, factory, app_sessionmaker):
    """The project's row is locked first: the second mover waits and moves from where the
    first left it, never from the same phase twice."""
    district_id, token = await factory.district()
    project_id = uuid.UUID((await create_project(gql, token, baseline=3.0))["id"])

    async def move(session: Any) -> Any:
        return await advance_phase(
            session=session, district_id=district_id, project_id=project_id, approved_by="test"
        )

    async def second() -> Any:
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            moved = await move(session)
            await session.commit()
            return moved

    async with tenant_transaction(app_sessionmaker, district_id) as first:
        await move(first)
        racing = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        assert not racing.done()  # waiting for the first mover's lock
        await first.commit()
    await racing

    shown = (await gql(PROJECT, {"id": str(project_id)}, token=token))["data"]["project"]
    assert shown["phase"] == "ANALYZE"
    assert [(t["fromPhase"], t["toPhase"]) for t in shown["tollgates"]] == [
        ("DEFINE", "MEASURE"),
        ("MEASURE", "ANALYZE"),
    ]
