"""Helpers for the forum, agenda and decision tests: GraphQL documents, and a district with two
forums whose agendas are worked out by hand (``build_two_forum_district``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from tests.support.improvement import REQUEST_TOLLGATE, create_project
from tests.support.measures import (
    SET_TARGET,
    create_measure,
    create_school,
    record,
    run_refresh,
)
from tests.support.sustainability import create_plan, log_review

FORUM_FIELDS = "id name cadence chair processIds measureIds members createdBy"
CREATE_FORUM = f"""
mutation($input: CreateForumInput!) {{
  createForum(input: $input) {{ forum {{ {FORUM_FIELDS} }} }}
}}
"""
UPDATE_FORUM = f"""
mutation($input: UpdateForumInput!) {{
  updateForum(input: $input) {{ forum {{ {FORUM_FIELDS} }} }}
}}
"""
FORUMS = f"{{ forums {{ {FORUM_FIELDS} }} }}"
FORUM = f"query($id: ID!) {{ forum(id: $id) {{ {FORUM_FIELDS} }} }}"
CREATE_PROCESS = """
mutation($input: CreateProcessInput!) { createProcess(input: $input) { process { id } } }
"""
ITEM_FIELDS = "reason measureId projectId planId decisionId title origin"
AGENDA = f"""
query($forumId: ID!, $asOf: Date!) {{ agenda(forumId: $forumId, asOf: $asOf) {{ {ITEM_FIELDS} }} }}
"""
DECISION_FIELDS = """
  id title owner dueOn status measureId projectId meetingId rationale schoolYear fact cause action
  createdBy closedAt closedBy closeNote
"""
MEETING_FIELDS = f"""
  id heldOn scheduledBy forum {{ id name }}
  agenda {{ {ITEM_FIELDS} }}
  generatedAgenda {{ {ITEM_FIELDS} }}
  amendments {{ action note amendedBy amendedAt item {{ {ITEM_FIELDS} }} }}
  decisions {{ id title }}
"""
SCHEDULE = f"""
mutation($input: ScheduleMeetingInput!) {{
  scheduleMeeting(input: $input) {{ meeting {{ {MEETING_FIELDS} }} }}
}}
"""
AMEND = f"""
mutation($input: AmendAgendaInput!) {{
  amendAgenda(input: $input) {{ meeting {{ {MEETING_FIELDS} }} }}
}}
"""
MEETING = f"query($id: ID!) {{ meeting(id: $id) {{ {MEETING_FIELDS} }} }}"
MEETINGS = """
query($forumId: ID!, $first: Int, $after: String) {
  meetings(forumId: $forumId, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id heldOn } }
  }
}
"""
RECORD_DECISION = f"""
mutation($input: RecordDecisionInput!) {{
  recordDecision(input: $input) {{ decision {{ {DECISION_FIELDS} }} }}
}}
"""
OPEN_FOR_MEASURE = f"""
mutation($input: OpenDecisionForMeasureInput!) {{
  openDecisionForMeasure(input: $input) {{ decision {{ {DECISION_FIELDS} }} }}
}}
"""
CLOSE_DECISION = f"""
mutation($input: CloseDecisionInput!) {{
  closeDecision(input: $input) {{ decision {{ {DECISION_FIELDS} }} }}
}}
"""
DECISIONS = f"""
query($first: Int, $after: String, $status: DecisionStatus, $overdueAsOf: Date) {{
  decisions(first: $first, after: $after, status: $status, overdueAsOf: $overdueAsOf) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {DECISION_FIELDS} }} }}
  }}
}}
"""
OVERDUE = """
query($asOf: Date) { overdueDecisions(asOf: $asOf) { totalCount edges { node { id title } } } }
"""
DECISION = f"query($id: ID!) {{ decision(id: $id) {{ {DECISION_FIELDS} }} }}"
GOVERNANCE_TABLES = (
    "forums",
    "forum_processes",
    "forum_measures",
    "meetings",
    "meeting_agenda_items",
    "agenda_amendments",
    "decisions",
    "audit_events",
)


async def ok(gql: Any, document: str, variables: dict[str, Any], token: str) -> Any:
    result = await gql(document, variables, token=token)
    assert "errors" not in result, result
    return result["data"]


async def create_process(gql: Any, token: str, code: str, name: str, **kw: Any) -> str:
    data = await ok(
        gql,
        CREATE_PROCESS,
        {"input": {"code": code, "name": name, "kind": "OPERATIONAL", **kw}},
        token,
    )
    return data["createProcess"]["process"]["id"]  # type: ignore[no-any-return]


async def create_forum(gql: Any, token: str, **overrides: Any) -> dict[str, Any]:
    data = await ok(
        gql,
        CREATE_FORUM,
        {
            "input": {
                "name": "Operations review",
                "cadence": "MONTHLY",
                "processIds": [],
                **overrides,
            }
        },
        token,
    )
    return data["createForum"]["forum"]  # type: ignore[no-any-return]


async def record_decision(gql: Any, token: str, **overrides: Any) -> dict[str, Any]:
    data = await ok(
        gql,
        RECORD_DECISION,
        {"input": {"title": "Decide", "owner": "Ms. Rivera", "dueOn": "2025-12-01", **overrides}},
        token,
    )
    return data["recordDecision"]["decision"]  # type: ignore[no-any-return]


async def agenda(gql: Any, token: str, forum_id: str, as_of: str) -> list[dict[str, Any]]:
    data = await ok(gql, AGENDA, {"forumId": forum_id, "asOf": as_of}, token)
    return data["agenda"]  # type: ignore[no-any-return]


def items(agenda_items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(reason, subject id) of each item, in order."""
    return [
        (
            item["reason"],
            item["measureId"] or item["projectId"] or item["planId"] or item["decisionId"],
        )
        for item in agenda_items
    ]


async def snapshot(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[str, Any]:
    """Every row this area writes for the district, to compare before and after a refusal."""
    found: dict[str, Any] = {}
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for table in GOVERNANCE_TABLES:
            rows = await session.execute(
                text(f"SELECT * FROM {table} WHERE district_id = :d ORDER BY id"),
                {"d": district_id},
            )
            found[table] = [tuple(row) for row in rows.all()]
    return found


# ---------------------------------------------------------------------------------------------
# A district with two forums, worked out by hand.

AS_OF = "2025-11-03"  # a Monday of school year 2026
LOW, HIGH = 9.436, 10.564  # alternating: CL 10 and sigma-hat exactly 1 (UCL 13, LCL 7)


def months(start: date, count: int) -> list[str]:
    index = start.year * 12 + start.month - 1
    return [f"{(index + i) // 12:04d}-{(index + i) % 12 + 1:02d}-01" for i in range(count)]


@dataclass
class TwoForums:
    district_id: uuid.UUID
    token: str
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


async def build_two_forum_district(gql: Any, factory: Any, app_sessionmaker: Any) -> TwoForums:
    """Operations review (MONTHLY) names process 4 Transportation and measure N-MEAL; Strategic
    review (QUARTERLY) names process 5 Nutrition. As of 2025-11-03 (school year 2026):

    - 4 > 4.1 > 4.1.1: T-LATE (4.1) RED; T-STOP (4.1.1, a grandchild) RED and signalling;
      T-SIG (4, SCHOOL-level over two schools) signalling but GREEN; T-ON (4) GREEN.
    - 5 > 5.1: N-MEAL RED (named by Operations too); N-WASTE RED.
    - 6 Facilities, a key process in no forum: F-WORK RED, its project waits at a tollgate,
      its plan is NON_COMPLIANT and its decision overdue: on no agenda.
    - Projects waiting at a tollgate: "Bus routing redesign" (4.1), "Cafeteria lines" (5.1,
      primary measure N-MEAL), "Work orders" (6). Not waiting: "Add stops" (4.1.1), "Menu
      planning" (5).
    - Plans (start 2025-07-01, quarterly reviews; October's value is missing for all): "Add
      stops" on T-ON, reviewed: AT_RISK; "Bus routing redesign" on T-ON, never reviewed:
      NON_COMPLIANT; "Menu planning" on N-MEAL, reviewed: AT_RISK (and N-MEAL misses its
      target); "Work orders" on F-WORK, never reviewed: NON_COMPLIANT.
    - Decisions: D-LATE (T-LATE, due 10-15), D-MEETING (made at Operations' 2025-10-06 meeting,
      due 10-20), D-TODAY (project "Bus routing redesign", due 11-03 = the date: not overdue),
      D-WASTE (N-WASTE, due 10-01), D-WORK (F-WORK, due 09-01), D-DONE (T-STOP, due 10-01,
      closed DONE).
    """
    district_id, token = await factory.district()
    built = TwoForums(district_id, token)
    ids = built.ids
    ids["4"] = await create_process(gql, token, "4", "Transportation", isKey=True)
    ids["4.1"] = await create_process(gql, token, "4.1", "Routing", parentId=ids["4"])
    ids["4.1.1"] = await create_process(gql, token, "4.1.1", "Stop planning", parentId=ids["4.1"])
    ids["5"] = await create_process(gql, token, "5", "Nutrition")
    ids["5.1"] = await create_process(gql, token, "5.1", "Meal service", parentId=ids["5"])
    ids["6"] = await create_process(gql, token, "6", "Facilities", isKey=True)
    north = await create_school(gql, token, "North")
    south = await create_school(gql, token, "South")

    async def measure(code: str, process: str, **kw: Any) -> str:
        ids[code] = await create_measure(
            gql, token, code=code, name=f"{code} measure", processId=ids[process], **kw
        )
        return ids[code]

    async def target(code: str, value: float, red: float) -> None:
        body = {"measureId": ids[code], "schoolYear": 2026, "value": value, "redThreshold": red}
        await ok(gql, SET_TARGET, {"input": body}, token)

    async def values(code: str, periods: list[str], numbers: list[float], schools=(None,)) -> None:
        rows = [
            {"schoolId": school, "periodStart": p, "value": v}
            for school in schools
            for p, v in zip(periods, numbers, strict=True)
        ]
        result = await record(gql, token, ids[code], rows)
        assert "errors" not in result, result

    district = {"level": "DISTRICT"}
    lower = {"direction": "LOWER_IS_BETTER", "unit": "MINUTES"}
    charted = [LOW if i % 2 == 0 else HIGH for i in range(12)] + [6.5]  # Sep 2024 - Sep 2025
    quarter = months(date(2025, 7, 1), 3)  # July to September 2025: October is missing
    await measure("T-LATE", "4.1", **district, **lower)
    await values("T-LATE", quarter, [12.0, 14.0, 15.0])
    await target("T-LATE", 8, 12)  # 15 minutes: worse than the red threshold 12
    await measure("T-STOP", "4.1.1", **district)
    await values("T-STOP", months(date(2024, 9, 1), 13), charted)
    await target("T-STOP", 10, 9)  # 6.5: RED; and under LCL 7, the bad side: rule 1
    await measure("T-SIG", "4", level="SCHOOL", aggregation="MEAN")
    await values("T-SIG", months(date(2024, 9, 1), 13), charted, schools=(north, south))
    await target("T-SIG", 6, 5)  # 6.5 meets 6: GREEN, but the same unfavorable signal
    await measure("T-ON", "4", **district)
    await values("T-ON", quarter, [10.0, 10.0, 10.0])
    await target("T-ON", 9, 8)
    await measure("N-MEAL", "5.1", **district)
    await values("N-MEAL", quarter, [50.0, 50.0, 50.0])
    await target("N-MEAL", 80, 70)
    await measure("N-WASTE", "5.1", **district, **lower)
    await values("N-WASTE", quarter, [30.0, 30.0, 30.0])
    await target("N-WASTE", 10, 20)
    await measure("F-WORK", "6", **district)
    await values("F-WORK", quarter, [1.0, 1.0, 1.0])
    await target("F-WORK", 5, 4)
    await run_refresh(app_sessionmaker, district_id)

    ids["ops"] = (
        await create_forum(
            gql,
            token,
            name="Operations review",
            cadence="MONTHLY",
            chair="Superintendent",
            processIds=[ids["4"]],
            measureIds=[ids["N-MEAL"]],
            members=["COO", "Transportation director"],
        )
    )["id"]
    ids["strategy"] = (
        await create_forum(
            gql, token, name="Strategic review", cadence="QUARTERLY", processIds=[ids["5"]]
        )
    )["id"]

    async def project(key: str, title: str, process: str, *, waiting: bool, **kw: Any) -> None:
        ids[key] = (await create_project(gql, token, title=title, processId=ids[process], **kw))[
            "id"
        ]
        if waiting:
            await ok(gql, REQUEST_TOLLGATE, {"input": {"projectId": ids[key]}}, token)

    await project("routing", "Bus routing redesign", "4.1", waiting=True)
    await project("lines", "Cafeteria lines", "5.1", waiting=True, primaryMeasureId=ids["N-MEAL"])
    await project("orders", "Work orders", "6", waiting=True)
    await project("stops", "Add stops", "4.1.1", waiting=False)
    await project("menu", "Menu planning", "5", waiting=False)

    async def plan(key: str, project_key: str, measure: str, *, reviewed: bool) -> None:
        created = await create_plan(
            gql, token, ids[project_key], [ids[measure]], startDate="2025-07-01"
        )
        ids[key] = created["id"]
        if reviewed:
            assert "errors" not in await log_review(gql, token, ids[key], "2025-08-15")

    await plan("plan-stops", "stops", "T-ON", reviewed=True)
    await plan("plan-routing", "routing", "T-ON", reviewed=False)
    await plan("plan-menu", "menu", "N-MEAL", reviewed=True)
    await plan("plan-orders", "orders", "F-WORK", reviewed=False)

    meeting = await ok(
        gql, SCHEDULE, {"input": {"forumId": ids["ops"], "heldOn": "2025-10-06"}}, token
    )
    ids["october"] = meeting["scheduleMeeting"]["meeting"]["id"]

    async def decision(key: str, due: str, **kw: Any) -> None:
        ids[key] = (await record_decision(gql, token, title=key, dueOn=due, **kw))["id"]

    await decision("D-LATE", "2025-10-15", measureId=ids["T-LATE"])
    await decision("D-MEETING", "2025-10-20", meetingId=ids["october"])
    await decision("D-TODAY", AS_OF, projectId=ids["routing"])
    await decision("D-WASTE", "2025-10-01", measureId=ids["N-WASTE"])
    await decision("D-WORK", "2025-09-01", measureId=ids["F-WORK"])
    await decision("D-DONE", "2025-10-01", measureId=ids["T-STOP"])
    await ok(gql, CLOSE_DECISION, {"input": {"decisionId": ids["D-DONE"], "status": "DONE"}}, token)
    return built


def expected_operations(built: TwoForums) -> list[tuple[str, str]]:
    """Operations review's agenda as of 2025-11-03, worked out by hand (see the builder)."""
    return [
        ("RED_MEASURE", built["N-MEAL"]),
        ("RED_MEASURE", built["T-LATE"]),
        ("RED_MEASURE", built["T-STOP"]),
        ("UNFAVORABLE_SIGNAL", built["T-SIG"]),
        ("UNFAVORABLE_SIGNAL", built["T-STOP"]),
        ("TOLLGATE_WAITING", built["routing"]),  # "Bus routing redesign"
        ("TOLLGATE_WAITING", built["lines"]),  # "Cafeteria lines", by its primary measure
        ("PLAN_AT_RISK", built["plan-stops"]),
        ("PLAN_NON_COMPLIANT", built["plan-routing"]),
        ("DECISION_OVERDUE", built["D-LATE"]),  # due 10-15
        ("DECISION_OVERDUE", built["D-MEETING"]),  # due 10-20, made at its October meeting
    ]


def expected_strategy(built: TwoForums) -> list[tuple[str, str]]:
    return [
        ("RED_MEASURE", built["N-MEAL"]),
        ("RED_MEASURE", built["N-WASTE"]),
        ("TOLLGATE_WAITING", built["lines"]),
        ("PLAN_AT_RISK", built["plan-menu"]),
        ("DECISION_OVERDUE", built["D-WASTE"]),
    ]


async def red_measure(gql, token, app_sessionmaker, district_id, value):
    """ADA for school year 2026: target 90, red under 80; one value in October 2025."""
    measure = await create_measure(gql, token, code="ADA", level="DISTRICT")
    target = {"measureId": measure, "schoolYear": 2026, "value": 90, "redThreshold": 80}
    await ok(gql, SET_TARGET, {"input": target}, token)
    row = {"schoolId": None, "periodStart": "2025-10-01", "value": value}
    assert "errors" not in await record(gql, token, measure, [row])
    await run_refresh(app_sessionmaker, district_id)
    return measure


def open_input(measure, **fields):
    return {
        "input": {
            "measureId": measure,
            "schoolYear": 2026,
            "fact": "ADA fell to 75% in October",
            "cause": "Flu season and two late bus routes",
            "action": "Call home by 9:30 for every absence",
            "owner": "Attendance office",
            "dueOn": "2025-12-01",
            **fields,
        }
    }
