"""The decision log over HTTP: record, open from a RED measure, close, list, overdue."""

from __future__ import annotations

from tests.support.forums import (
    AS_OF,
    CLOSE_DECISION,
    DECISION,
    DECISIONS,
    OPEN_FOR_MEASURE,
    OVERDUE,
    RECORD_DECISION,
    SCHEDULE,
    build_two_forum_district,
    create_forum,
    ok,
    open_input,
    record_decision,
    red_measure,
    snapshot,
)
from tests.support.graphql import error_codes
from tests.support.improvement import create_project
from tests.support.measures import create_measure


async def test_a_decision_keeps_what_it_concerns(gql, factory):
    _, token = await factory.district()
    measure = await create_measure(gql, token, code="LATE")
    project = await create_project(gql, token)
    forum = await create_forum(gql, token)
    meeting = await ok(
        gql, SCHEDULE, {"input": {"forumId": forum["id"], "heldOn": "2025-10-06"}}, token
    )
    meeting_id = meeting["scheduleMeeting"]["meeting"]["id"]

    decision = await record_decision(
        gql,
        token,
        title=" Re-time the bell schedule ",
        owner="Transportation director",
        dueOn="2025-12-01",
        rationale="Buses cannot make the 7:40 bell",
        measureId=measure,
        projectId=project["id"],
        meetingId=meeting_id,
    )

    assert decision == {
        "id": decision["id"],
        "title": "Re-time the bell schedule",
        "owner": "Transportation director",
        "dueOn": "2025-12-01",
        "status": "OPEN",
        "measureId": measure,
        "projectId": project["id"],
        "meetingId": meeting_id,
        "rationale": "Buses cannot make the 7:40 bell",
        "schoolYear": None,
        "fact": None,
        "cause": None,
        "action": None,
        "createdBy": "test admin",
        "closedAt": None,
        "closedBy": None,
        "closeNote": None,
    }
    assert (await ok(gql, DECISION, {"id": decision["id"]}, token))["decision"] == decision


async def test_record_refusals_write_nothing(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    _, other = await factory.district()
    their_measure = await create_measure(gql, other, code="THEIRS")
    their_project = await create_project(gql, other)
    before = await snapshot(app_sessionmaker, district_id)

    def decision(**fields):
        return {"input": {"title": "Decide", "owner": "COO", "dueOn": "2025-12-01", **fields}}

    cases = {
        "blank title": (decision(title=" "), "BAD_INPUT", "input.title"),
        "long owner": (decision(owner="x" * 201), "BAD_INPUT", "input.owner"),
        "due in 1999": (decision(dueOn="1999-12-31"), "BAD_INPUT", "input.dueOn"),
        "their measure": (decision(measureId=their_measure), "NOT_FOUND", "input.measureId"),
        "their project": (decision(projectId=their_project["id"]), "NOT_FOUND", "input.projectId"),
        "bad meeting id": (decision(meetingId="nope"), "BAD_INPUT", "input.meetingId"),
    }
    for case, (variables, code, field) in cases.items():
        answer = await gql(RECORD_DECISION, variables, token=token)
        assert error_codes(answer) == [code], case
        assert answer["errors"][0]["extensions"]["field"] == field, case
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_closing_is_final(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    decision = await record_decision(gql, token)

    done = await ok(
        gql,
        CLOSE_DECISION,
        {"input": {"decisionId": decision["id"], "status": "DONE", "note": "bell moved"}},
        token,
    )
    closed = done["closeDecision"]["decision"]
    assert (closed["status"], closed["closedBy"], closed["closeNote"]) == (
        "DONE",
        "test admin",
        "bell moved",
    )
    assert closed["closedAt"] is not None
    before = await snapshot(app_sessionmaker, district_id)

    again = await gql(
        CLOSE_DECISION, {"input": {"decisionId": decision["id"], "status": "DROPPED"}}, token=token
    )
    reopen = await gql(
        CLOSE_DECISION, {"input": {"decisionId": decision["id"], "status": "OPEN"}}, token=token
    )

    assert error_codes(again) == ["CONFLICT"]
    assert "closed as DONE by test admin" in again["errors"][0]["message"]
    assert error_codes(reopen) == ["BAD_INPUT"]
    assert reopen["errors"][0]["extensions"]["field"] == "input.status"
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_another_districts_decision_is_not_found_and_untouched(
    gql, factory, app_sessionmaker
):
    _, token = await factory.district()
    other_district, other = await factory.district()
    theirs = await record_decision(gql, other)
    before = await snapshot(app_sessionmaker, other_district)

    closed = await gql(
        CLOSE_DECISION, {"input": {"decisionId": theirs["id"], "status": "DONE"}}, token=token
    )
    seen = await ok(gql, DECISION, {"id": theirs["id"]}, token)
    listed = await ok(gql, DECISIONS, {}, token)

    assert error_codes(closed) == ["NOT_FOUND"]
    assert closed["errors"][0]["extensions"]["field"] == "input.decisionId"
    assert seen["decision"] is None
    assert listed["decisions"]["totalCount"] == 0
    assert await snapshot(app_sessionmaker, other_district) == before


async def test_a_red_measure_opens_a_decision_in_one_step(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    measure = await red_measure(gql, token, app_sessionmaker, district_id, 75.0)

    opened = await ok(gql, OPEN_FOR_MEASURE, open_input(measure), token)

    decision = opened["openDecisionForMeasure"]["decision"]
    assert {k: decision[k] for k in ("title", "status", "measureId", "schoolYear", "owner")} == {
        "title": "ADA: Call home by 9:30 for every absence",
        "status": "OPEN",
        "measureId": measure,
        "schoolYear": 2026,
        "owner": "Attendance office",
    }
    assert (decision["fact"], decision["cause"], decision["action"]) == (
        "ADA fell to 75% in October",
        "Flu season and two late bus routes",
        "Call home by 9:30 for every absence",
    )
    assert decision["rationale"] == (
        "Fact: ADA fell to 75% in October\nCause: Flu season and two late bus routes\n"
        "Action: Call home by 9:30 for every absence"
    )


async def test_only_a_red_measure_opens_one(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    amber = await red_measure(gql, token, app_sessionmaker, district_id, 85.0)
    before = await snapshot(app_sessionmaker, district_id)

    not_red = await gql(OPEN_FOR_MEASURE, open_input(amber), token=token)
    no_data = await gql(OPEN_FOR_MEASURE, open_input(amber, schoolYear=2024), token=token)
    bad_year = await gql(OPEN_FOR_MEASURE, open_input(amber, schoolYear=1800), token=token)
    blank_cause = await gql(OPEN_FOR_MEASURE, open_input(amber, cause=" "), token=token)

    assert error_codes(not_red) == ["CONFLICT"]
    assert not_red["errors"][0]["message"].startswith(
        "ADA is AMBER, not RED, district-wide in school year 2025-26"
    )
    assert error_codes(no_data) == ["CONFLICT"]
    assert no_data["errors"][0]["message"].startswith("ADA is NO_DATA, not RED")
    assert error_codes(bad_year) == ["BAD_INPUT"]
    assert bad_year["errors"][0]["extensions"]["field"] == "input.schoolYear"
    assert error_codes(blank_cause) == ["BAD_INPUT"]
    assert blank_cause["errors"][0]["extensions"]["field"] == "input.cause"
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_the_log_by_due_date_with_overdue_ones(gql, factory, app_sessionmaker):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)

    everything = await ok(gql, DECISIONS, {}, built.token)
    open_only = await ok(gql, DECISIONS, {"status": "OPEN"}, built.token)
    overdue = await ok(gql, DECISIONS, {"overdueAsOf": AS_OF}, built.token)
    overdue_query = await ok(gql, OVERDUE, {"asOf": AS_OF}, built.token)
    first_page = await ok(gql, DECISIONS, {"first": 2}, built.token)
    cursor = first_page["decisions"]["pageInfo"]["endCursor"]
    second_page = await ok(gql, DECISIONS, {"first": 2, "after": cursor}, built.token)

    def titles(found):
        return [edge["node"]["title"] for edge in found["decisions"]["edges"]]

    # Due 09-01, 10-01 (D-WASTE, then D-DONE, recorded after it), 10-15, 10-20, 11-03.
    assert titles(everything) == ["D-WORK", "D-WASTE", "D-DONE", "D-LATE", "D-MEETING", "D-TODAY"]
    assert titles(open_only) == ["D-WORK", "D-WASTE", "D-LATE", "D-MEETING", "D-TODAY"]
    # Past due and OPEN: D-DONE is closed, D-TODAY is due on the date itself.
    assert titles(overdue) == ["D-WORK", "D-WASTE", "D-LATE", "D-MEETING"]
    assert [e["node"]["title"] for e in overdue_query["overdueDecisions"]["edges"]] == titles(
        overdue
    )
    assert titles(first_page) + titles(second_page) == titles(everything)[:4]
    assert second_page["decisions"]["pageInfo"]["hasNextPage"] is True
    assert everything["decisions"]["totalCount"] == 6
