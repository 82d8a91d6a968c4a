"""Every new list query runs a fixed number of SQL statements, whatever the number of rows; the
agenda of a forum over 200 measures runs as many as over 3."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.models import (
    Aggregation,
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Measurement,
    Source,
    Stage,
    Target,
    Unit,
)
from tests.support.forums import (
    AGENDA,
    AMEND,
    DECISIONS,
    FORUMS,
    HIGH,
    LOW,
    MEETING_FIELDS,
    OVERDUE,
    REQUEST_TOLLGATE,
    SCHEDULE,
    create_forum,
    create_process,
    months,
    ok,
    record_decision,
)
from tests.support.improvement import create_project
from tests.support.jobs import run_refresh_job
from tests.support.measures import count_statements, create_school, queries, run_refresh
from tests.support.sustainability import create_plan

MEETINGS_WITH_AGENDAS = f"""
query($forumId: ID!) {{
  meetings(forumId: $forumId, first: 15) {{ totalCount edges {{ node {{ {MEETING_FIELDS} }} }} }}
}}
"""
CALENDAR = "{ managementCalendar(year: 2025) { forumId status meetings { heldOn } } }"
HYGIENE = '{ forumHygiene(asOf: "2025-11-03") { reason forumId processId detail } }'
SERIES = [LOW if i % 2 == 0 else HIGH for i in range(12)] + [6.5]  # Sep 2024 - Sep 2025
PERIODS = [date.fromisoformat(p) for p in months(date(2024, 9, 1), 13)]


async def add_measures(
    app_sessionmaker: Any, district_id: uuid.UUID, process_id: str, schools: list[str], count: int
) -> list[uuid.UUID]:
    """``count`` monthly measures of the process, every other one SCHOOL-level over the schools;
    each with 13 values whose last is unfavorable (under LCL 7) and RED against 10 / 9."""
    ids = []
    now = datetime.now(UTC)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        measures, targets, values = [], [], []
        for index in range(count):
            level = MeasureLevel.SCHOOL if index % 2 else MeasureLevel.DISTRICT
            measure_id = uuid.uuid4()
            ids.append(measure_id)
            measures.append(
                {
                    "id": measure_id,
                    "district_id": district_id,
                    "code": f"M{index:03d}",
                    "name": f"Measure {index}",
                    "unit": Unit.PERCENT,
                    "direction": Direction.HIGHER_IS_BETTER,
                    "stage": Stage.OUTPUT,
                    "frequency": Frequency.MONTHLY,
                    "level": level,
                    "aggregation": Aggregation.MEAN,
                    "process_id": uuid.UUID(process_id),
                }
            )
            targets.append(
                {
                    "id": uuid.uuid4(),
                    "district_id": district_id,
                    "measure_id": measure_id,
                    "school_year": 2026,
                    "value": 10.0,
                    "red_threshold": 9.0,
                }
            )
            scopes = [uuid.UUID(s) for s in schools] if level is MeasureLevel.SCHOOL else [None]
            values += [
                {
                    "id": uuid.uuid4(),
                    "district_id": district_id,
                    "measure_id": measure_id,
                    "school_id": scope,
                    "period_start": period,
                    "value": value,
                    "source": Source.MANUAL,
                    "recorded_by": "test",
                    "recorded_at": now,
                }
                for scope in scopes
                for period, value in zip(PERIODS, SERIES, strict=True)
            ]
        await session.execute(insert(Measure), measures)
        await session.execute(insert(Target), targets)
        await session.execute(insert(Measurement), values)
        await session.commit()
    await run_refresh(app_sessionmaker, district_id)
    return ids


async def district_of_size(gql, factory, app_sessionmaker, size: int) -> dict[str, Any]:
    """A forum over a process with ``size`` measures (each RED and signalling), two projects
    waiting at a tollgate, a plan, ``size`` overdue decisions on those measures, and up to 12
    meetings with an amended agenda."""
    district_id, token = await factory.district()
    schools = [await create_school(gql, token, name) for name in ("North", "South")]
    process = await create_process(gql, token, "4", "Transportation", isKey=True)
    measures = await add_measures(app_sessionmaker, district_id, process, schools, size)
    forum = await create_forum(gql, token, processIds=[process])
    await create_forum(gql, token, name="Empty forum")
    for title in ("Routing", "Stops"):
        project = await create_project(gql, token, title=title, processId=process)
        await ok(gql, REQUEST_TOLLGATE, {"input": {"projectId": project["id"]}}, token)
    plan = await create_plan(gql, token, project["id"], [str(measures[0])], startDate="2025-07-01")
    for index in range(size):
        await record_decision(
            gql,
            token,
            title=f"Decision {index}",
            dueOn="2025-10-01",
            measureId=str(measures[index]),
        )
    meeting_ids = []
    for index in range(min(size, 12)):
        held_on = f"2025-{index + 1:02d}-06"
        meeting = await ok(
            gql, SCHEDULE, {"input": {"forumId": forum["id"], "heldOn": held_on}}, token
        )
        meeting_ids.append(meeting["scheduleMeeting"]["meeting"]["id"])
    for meeting_id in meeting_ids:
        change = {
            "meetingId": meeting_id,
            "action": "REMOVE",
            "reason": "TOLLGATE_WAITING",
            "projectId": project["id"],
            "note": "already passed",
        }
        await ok(gql, AMEND, {"input": change}, token)
    return {
        "district_id": district_id,
        "token": token,
        "forum": forum["id"],
        "plan": plan["id"],
        "measures": measures,
    }


async def statements_of(app, gql, token, document, variables) -> tuple[int, dict[str, Any]]:
    with count_statements(app) as statements:
        result = await gql(document, variables, token=token)
    assert "errors" not in result, result
    return len(queries(statements)), result["data"]


async def test_every_list_query_runs_a_fixed_number_of_statements(
    gql, factory, app, app_sessionmaker
):
    small = await district_of_size(gql, factory, app_sessionmaker, 3)
    large = await district_of_size(gql, factory, app_sessionmaker, 12)

    counts: dict[str, list[int]] = {}
    for built in (small, large):
        lists = {
            "forums": (FORUMS, {}),
            "meetings": (MEETINGS_WITH_AGENDAS, {"forumId": built["forum"]}),
            "decisions": (DECISIONS, {"first": 100}),
            "overdueDecisions": (OVERDUE, {"asOf": "2025-11-03"}),
            "managementCalendar": (CALENDAR, {}),
            "forumHygiene": (HYGIENE, {}),
        }
        for name, (document, variables) in lists.items():
            count, _ = await statements_of(app, gql, built["token"], document, variables)
            counts.setdefault(name, []).append(count)

    assert counts == {
        "forums": [3, 3],  # forums, their processes, their measures
        # the forum, count + page; then per field one batched load (forum: 3; the agenda,
        # generated agenda and amendments share one load of items and amendments: 2;
        # decisions: 1)
        "meetings": [9, 9],
        "decisions": [2, 2],  # count + page
        "overdueDecisions": [2, 2],
        "managementCalendar": [3, 3],  # the calendar (today), forums, meetings
        "forumHygiene": [5, 5],  # forums, scopes (processes and measures), key processes,
        # calendar, last meetings
    }


async def test_the_agenda_over_200_measures_runs_as_many_statements_as_over_3(
    gql, factory, app, app_sessionmaker
):
    counts, before_the_plan, stored_points, agendas = [], [], [], []
    for size in (3, 200):
        built = await district_of_size(gql, factory, app_sessionmaker, size)
        count, data = await statements_of(
            app, gql, built["token"], AGENDA, {"forumId": built["forum"], "asOf": "2025-11-03"}
        )
        counts.append(count)
        agendas.append(data["agenda"])
        before = {"forumId": built["forum"], "asOf": "2025-06-30"}
        count, computed = await statements_of(app, gql, built["token"], AGENDA, before)
        before_the_plan.append(count)
        # The nightly refresh stores each measure's latest chart point: read as stored.
        await run_refresh_job(app_sessionmaker, built["district_id"], full=True)
        count, stored = await statements_of(app, gql, built["token"], AGENDA, before)
        stored_points.append(count)
        assert stored == computed

    # Every measure RED and signalling, both projects waiting, the plan NON_COMPLIANT (never
    # reviewed), every decision overdue.
    for size, found in zip((3, 200), agendas, strict=True):
        reasons = [item["reason"] for item in found]
        assert reasons.count("RED_MEASURE") == size
        assert reasons.count("UNFAVORABLE_SIGNAL") == size
        assert reasons.count("TOLLGATE_WAITING") == 2
        assert reasons.count("PLAN_NON_COMPLIANT") == 1
        assert reasons.count("DECISION_OVERDUE") == size
    # With the plan checked, sustainabilityCompliance's own statements come on top.
    assert counts[0] == counts[1]
    # Before the plan starts: the forum, today, the scope's measures (each with its RED
    # status), its projects (each with its plan), the measurements grouped by period
    # (enrollments too, were a measure weighted by them), rebases, exclusions, decisions.
    assert before_the_plan == [8, 8]
    # Every latest point stored and exact: no rebases, exclusions, or measurements read.
    assert stored_points == [6, 6]
