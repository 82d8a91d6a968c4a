"""Roles by every forum, meeting and decision operation (DOMAIN.md "Decisions and forums"):
DISTRICT_ADMIN creates forums; DISTRICT_ADMIN, PROCESS_OWNER and IMPROVEMENT_LEAD schedule
meetings, amend their agendas, and record and close decisions; every role reads. A refused
call writes nothing; an allowed one writes its audit event."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.tenancy.models import Role
from tests.support.forums import (
    AGENDA,
    AMEND,
    CLOSE_DECISION,
    CREATE_FORUM,
    DECISION,
    DECISIONS,
    FORUM,
    FORUMS,
    MEETING,
    MEETINGS,
    OPEN_FOR_MEASURE,
    OVERDUE,
    RECORD_DECISION,
    SCHEDULE,
    UPDATE_FORUM,
    create_forum,
    ok,
    open_input,
    record_decision,
    red_measure,
    snapshot,
)
from tests.support.graphql import error_codes
from tests.support.measures import create_school

ADMIN_ONLY = {Role.DISTRICT_ADMIN}
MEETING_RUNNERS = {Role.DISTRICT_ADMIN, Role.PROCESS_OWNER, Role.IMPROVEMENT_LEAD}


async def audit_actions(sessionmaker, district_id: uuid.UUID) -> list[tuple[str, str]]:
    async with tenant_transaction(sessionmaker, district_id) as session:
        rows = await session.execute(
            text(
                "SELECT action, entity_type FROM audit_events WHERE district_id = :d "
                "ORDER BY created_at, id"
            ),
            {"d": district_id},
        )
        return [tuple(row) for row in rows.all()]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_roles(gql, factory, app_sessionmaker, role):
    district_id, admin = await factory.district()
    school = await create_school(gql, admin, "North")
    measure = await red_measure(gql, admin, app_sessionmaker, district_id, 75.0)
    forum = await create_forum(gql, admin, name="Operations review", measureIds=[measure])
    meeting = await ok(
        gql, SCHEDULE, {"input": {"forumId": forum["id"], "heldOn": "2025-11-03"}}, admin
    )
    meeting_id = meeting["scheduleMeeting"]["meeting"]["id"]
    decision = await record_decision(gql, admin, dueOn="2025-10-01")
    token = await factory.token(
        district_id,
        role,
        school_ids=[uuid.UUID(school)] if role is Role.SCHOOL_LEADER else None,
    )
    audited_before = await audit_actions(app_sessionmaker, district_id)
    before = await snapshot(app_sessionmaker, district_id)

    writes = {
        "createForum": (
            ADMIN_ONLY,
            CREATE_FORUM,
            {"input": {"name": "Strategic review", "cadence": "QUARTERLY", "processIds": []}},
        ),
        "updateForum": (
            ADMIN_ONLY,
            UPDATE_FORUM,
            {"input": {"forumId": forum["id"], "chair": "Superintendent"}},
        ),
        "scheduleMeeting": (
            MEETING_RUNNERS,
            SCHEDULE,
            {"input": {"forumId": forum["id"], "heldOn": "2025-12-01"}},
        ),
        "amendAgenda": (
            MEETING_RUNNERS,
            AMEND,
            {
                "input": {
                    "meetingId": meeting_id,
                    "action": "REMOVE",
                    "reason": "RED_MEASURE",
                    "measureId": measure,
                    "note": "covered last month",
                }
            },
        ),
        "recordDecision": (
            MEETING_RUNNERS,
            RECORD_DECISION,
            {"input": {"title": "Decide", "owner": "COO", "dueOn": "2025-12-01"}},
        ),
        "closeDecision": (
            MEETING_RUNNERS,
            CLOSE_DECISION,
            {"input": {"decisionId": decision["id"], "status": "DONE"}},
        ),
        "openDecisionForMeasure": (MEETING_RUNNERS, OPEN_FOR_MEASURE, open_input(measure)),
    }
    reads = {
        "forums": (FORUMS, {}),
        "forum": (FORUM, {"id": forum["id"]}),
        "agenda": (AGENDA, {"forumId": forum["id"], "asOf": "2025-11-03"}),
        "meeting": (MEETING, {"id": meeting_id}),
        "meetings": (MEETINGS, {"forumId": forum["id"]}),
        "decisions": (DECISIONS, {}),
        "overdueDecisions": (OVERDUE, {"asOf": "2025-11-03"}),
        "decision": (DECISION, {"id": decision["id"]}),
        "managementCalendar": ("{ managementCalendar(year: 2025) { forumId } }", {}),
        "forumHygiene": ('{ forumHygiene(asOf: "2025-11-03") { reason } }', {}),
    }

    answers = {
        name: await gql(doc, variables, token=token) for name, (_, doc, variables) in writes.items()
    }
    read_answers = {
        name: await gql(doc, variables, token=token) for name, (doc, variables) in reads.items()
    }

    allowed = [name for name, (roles, _, _) in writes.items() if role in roles]
    for name, (roles, _, _) in writes.items():
        if role in roles:
            assert "errors" not in answers[name], (name, answers[name])
        else:
            assert error_codes(answers[name]) == ["FORBIDDEN"], (name, answers[name])
    for name, answer in read_answers.items():
        assert "errors" not in answer, (name, answer)
        assert answer["data"][name] is not None, name
    new_events = (await audit_actions(app_sessionmaker, district_id))[len(audited_before) :]
    entity = {
        "createForum": "forum",
        "updateForum": "forum",
        "scheduleMeeting": "meeting",
        "amendAgenda": "meeting",
        "recordDecision": "decision",
        "closeDecision": "decision",
        "openDecisionForMeasure": "decision",
    }
    assert new_events == [(name, entity[name]) for name in allowed]
    if not allowed:
        assert await snapshot(app_sessionmaker, district_id) == before
