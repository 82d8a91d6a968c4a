"""Meetings: the agenda stored when one is scheduled, and amendments kept apart from it."""

from __future__ import annotations

from tests.support.forums import (
    AMEND,
    AS_OF,
    CLOSE_DECISION,
    MEETING,
    MEETINGS,
    SCHEDULE,
    agenda,
    build_two_forum_district,
    create_forum,
    expected_operations,
    items,
    ok,
    record_decision,
    snapshot,
)
from tests.support.graphql import error_codes


async def schedule(gql, token, forum_id, held_on):
    data = await ok(gql, SCHEDULE, {"input": {"forumId": forum_id, "heldOn": held_on}}, token)
    return data["scheduleMeeting"]["meeting"]


async def test_an_amended_agenda_keeps_the_generated_and_the_amended_items(
    gql, factory, app_sessionmaker
):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)
    meeting = await schedule(gql, built.token, built["ops"], AS_OF)
    generated = expected_operations(built)
    assert items(meeting["generatedAgenda"]) == generated
    assert items(meeting["agenda"]) == generated
    assert meeting["agenda"] == await agenda(gql, built.token, built["ops"], AS_OF)

    removed = {
        "input": {
            "meetingId": meeting["id"],
            "action": "REMOVE",
            "reason": "RED_MEASURE",
            "measureId": built["T-LATE"],
            "note": "discussed at the board last week",
        }
    }
    added = {
        "input": {
            "meetingId": meeting["id"],
            "action": "ADD",
            "reason": "RED_MEASURE",
            "measureId": built["N-WASTE"],
            "note": "the chair asked for it",
        }
    }
    await ok(gql, AMEND, removed, built.token)
    amended = (await ok(gql, AMEND, added, built.token))["amendAgenda"]["meeting"]

    assert items(amended["generatedAgenda"]) == generated
    # The added RED item comes after the generated RED items, before the signals.
    assert items(amended["agenda"]) == [
        ("RED_MEASURE", built["N-MEAL"]),
        ("RED_MEASURE", built["T-STOP"]),
        ("RED_MEASURE", built["N-WASTE"]),
        *generated[3:],
    ]
    assert amended["agenda"][2]["origin"] == "ADDED"
    assert amended["agenda"][2]["title"] == "N-WASTE N-WASTE measure"
    assert [
        (a["action"], a["note"], a["amendedBy"], a["item"]["measureId"], a["item"]["origin"])
        for a in amended["amendments"]
    ] == [
        ("REMOVE", "discussed at the board last week", "test admin", built["T-LATE"], "GENERATED"),
        ("ADD", "the chair asked for it", "test admin", built["N-WASTE"], "ADDED"),
    ]
    assert (await ok(gql, MEETING, {"id": meeting["id"]}, built.token))["meeting"] == amended


async def test_a_stored_agenda_stays_as_it_was_generated(gql, factory, app_sessionmaker):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)
    meeting = await schedule(gql, built.token, built["ops"], AS_OF)

    closing = {"input": {"decisionId": built["D-LATE"], "status": "DONE"}}
    await ok(gql, CLOSE_DECISION, closing, built.token)

    stored = (await ok(gql, MEETING, {"id": meeting["id"]}, built.token))["meeting"]
    assert items(stored["agenda"]) == expected_operations(built)
    fresh = items(await agenda(gql, built.token, built["ops"], AS_OF))
    assert ("DECISION_OVERDUE", built["D-LATE"]) not in fresh


async def test_a_meeting_shows_its_forum_and_the_decisions_it_made(gql, factory):
    _, token = await factory.district()
    forum = await create_forum(gql, token, name="Operations review")
    meeting = await schedule(gql, token, forum["id"], "2025-10-06")
    made_here = {"meetingId": meeting["id"]}
    later = await record_decision(gql, token, title="Later", dueOn="2025-12-01", **made_here)
    sooner = await record_decision(gql, token, title="Sooner", dueOn="2025-11-01", **made_here)
    await record_decision(gql, token, title="Elsewhere")

    found = (await ok(gql, MEETING, {"id": meeting["id"]}, token))["meeting"]

    assert found["forum"] == {"id": forum["id"], "name": "Operations review"}
    assert found["heldOn"] == "2025-10-06"
    assert found["scheduledBy"] == "test admin"
    assert found["decisions"] == [
        {"id": sooner["id"], "title": "Sooner"},
        {"id": later["id"], "title": "Later"},
    ]
    assert found["agenda"] == found["generatedAgenda"] == found["amendments"] == []


async def test_a_forums_meetings_by_date(gql, factory):
    _, token = await factory.district()
    forum = await create_forum(gql, token, name="Operations review")
    other = await create_forum(gql, token, name="Strategic review")
    for day in ("2025-12-01", "2025-10-06", "2025-11-03"):
        await schedule(gql, token, forum["id"], day)
    await schedule(gql, token, other["id"], "2025-10-07")

    first = await ok(gql, MEETINGS, {"forumId": forum["id"], "first": 2}, token)
    cursor = first["meetings"]["pageInfo"]["endCursor"]
    rest = await ok(gql, MEETINGS, {"forumId": forum["id"], "after": cursor}, token)

    def days(page):
        return [edge["node"]["heldOn"] for edge in page["meetings"]["edges"]]

    assert days(first) + days(rest) == ["2025-10-06", "2025-11-03", "2025-12-01"]
    assert first["meetings"]["totalCount"] == 3
    assert rest["meetings"]["pageInfo"]["hasNextPage"] is False


async def test_scheduling_refusals_write_nothing(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    forum = await create_forum(gql, token)
    await schedule(gql, token, forum["id"], "2025-10-06")
    _, other = await factory.district()
    theirs = await create_forum(gql, other)
    before = await snapshot(app_sessionmaker, district_id)

    def scheduling(forum_id, held_on):
        return gql(SCHEDULE, {"input": {"forumId": forum_id, "heldOn": held_on}}, token=token)

    twice = await scheduling(forum["id"], "2025-10-06")
    foreign = await scheduling(theirs["id"], "2025-10-06")
    too_far = await scheduling(forum["id"], "2099-01-01")
    too_early = await scheduling(forum["id"], "1999-01-01")

    assert error_codes(twice) == ["CONFLICT"]
    assert twice["errors"][0]["message"] == "Operations review already meets on 2025-10-06"
    assert error_codes(foreign) == ["NOT_FOUND"]
    assert foreign["errors"][0]["extensions"]["field"] == "input.forumId"
    for refused in (too_far, too_early):
        assert error_codes(refused) == ["BAD_INPUT"]
        assert refused["errors"][0]["extensions"]["field"] == "input.heldOn"
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_amendment_refusals_write_nothing(gql, factory, app_sessionmaker):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)
    meeting = await schedule(gql, built.token, built["ops"], AS_OF)
    other_district, other = await factory.district()
    their_forum = await create_forum(gql, other)
    their_meeting = await schedule(gql, other, their_forum["id"], AS_OF)
    before = await snapshot(app_sessionmaker, built.district_id)
    theirs_before = await snapshot(app_sessionmaker, other_district)

    def amendment(action, reason, note="why", meeting_id=meeting["id"], **subject):
        body = {"meetingId": meeting_id, "action": action, "reason": reason, "note": note}
        return {"input": {**body, **subject}}

    red_t_late = {"measureId": built["T-LATE"]}
    cases = {
        "blank note": (amendment("REMOVE", "RED_MEASURE", " ", **red_t_late), "BAD_INPUT", "note"),
        "no subject": (amendment("ADD", "TOLLGATE_WAITING"), "BAD_INPUT", "projectId"),
        "wrong subject": (
            amendment("ADD", "TOLLGATE_WAITING", projectId=built["stops"], **red_t_late),
            "BAD_INPUT",
            "measureId",
        ),
        "already there": (amendment("ADD", "RED_MEASURE", **red_t_late), "CONFLICT", "measureId"),
        "not there": (
            amendment("REMOVE", "RED_MEASURE", measureId=built["T-ON"]),
            "NOT_FOUND",
            "measureId",
        ),
        "their meeting": (
            amendment("ADD", "RED_MEASURE", meeting_id=their_meeting["id"], **red_t_late),
            "NOT_FOUND",
            "meetingId",
        ),
    }
    for case, (variables, code, field) in cases.items():
        answer = await gql(AMEND, variables, token=built.token)
        assert error_codes(answer) == [code], (case, answer)
        assert answer["errors"][0]["extensions"]["field"] == f"input.{field}", case

    assert await snapshot(app_sessionmaker, built.district_id) == before
    assert await snapshot(app_sessionmaker, other_district) == theirs_before


async def test_a_removed_item_can_be_added_back_and_an_added_one_removed(
    gql, factory, app_sessionmaker
):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)
    meeting = await schedule(gql, built.token, built["ops"], AS_OF)
    subject = {"meetingId": meeting["id"], "reason": "PLAN_AT_RISK", "planId": built["plan-stops"]}

    for action in ("REMOVE", "ADD", "REMOVE"):
        await ok(gql, AMEND, {"input": {**subject, "action": action, "note": action}}, built.token)

    found = (await ok(gql, MEETING, {"id": meeting["id"]}, built.token))["meeting"]
    assert ("PLAN_AT_RISK", built["plan-stops"]) not in items(found["agenda"])
    assert [(a["action"], a["item"]["origin"]) for a in found["amendments"]] == [
        ("REMOVE", "GENERATED"),
        ("ADD", "ADDED"),
        ("REMOVE", "ADDED"),
    ]
    assert found["amendments"][1]["item"]["title"] == "Sustainability plan of Add stops"
    assert items(found["generatedAgenda"]) == expected_operations(built)
