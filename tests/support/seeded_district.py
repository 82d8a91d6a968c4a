"""A district with some of everything, made through the API as its DISTRICT_ADMIN would.

The fuzzing and isolation tests need real records behind the ids they send: schools, the
template's processes and measures, measurements (rewritten once, so history exists), a target,
chart notes, a logic model with a link, a customer requirement, a bus route with runs, a
second API token, an improvement project with a sustainability plan, an opportunity, a
practice adopted at a school and a saving from that adoption, a forum over the process and
the measure with a meeting, and a decision that meeting made, a member of the district
accountable for the process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.support.graphql import GraphQL
from tests.support.management import ASSIGN, add_member
from tests.support.measures import create_measure, create_school, monthly, record

SCHOOL_YEAR = 2025  # the school year that starts in July 2024
PERIOD = "2024-09-01"
SERVICE_DATE = "2024-09-03"


@dataclass
class SeededDistrict:
    district_id: Any
    token: str
    ids: dict[str, str] = field(default_factory=dict)  # what -> id

    def all_ids(self) -> list[str]:
        return sorted(set(self.ids.values()))


async def _ok(gql: GraphQL, document: str, variables: dict[str, Any], token: str) -> Any:
    result = await gql(document, variables, token=token)
    assert "errors" not in result, result
    return result["data"]


async def seed_district(gql: GraphQL, factory: Any) -> SeededDistrict:
    district_id, token = await factory.district()
    seeded = SeededDistrict(district_id=district_id, token=token)
    ids = seeded.ids
    await _ok(gql, "mutation { applyProcessTemplate { processesCreated } }", {}, token)
    processes = await _ok(gql, "{ processes { id parent { id } } }", {}, token)
    ids["process"] = next(p["id"] for p in processes["processes"] if p["parent"])
    ids["rootProcess"] = next(p["id"] for p in processes["processes"] if not p["parent"])

    ids["school"] = await create_school(gql, token, "Adams Elementary", enrollment=400)
    ids["otherSchool"] = await create_school(gql, token, "Baker Middle", "MIDDLE", enrollment=600)
    ids["measure"] = await create_measure(gql, token, code="FZ-ATT", processId=ids["process"])
    ids["drivenMeasure"] = await create_measure(
        gql, token, code="FZ-PROF", stage="SHORT_TERM_OUTCOME"
    )
    values = [
        *monthly(ids["school"], 2024, 1, [91.0, 92.5, 90.0, 93.0, 94.5, 92.0, 95.0, 91.5, 93.5]),
        *monthly(ids["otherSchool"], 2024, 1, [88.0, 89.5, 87.0, 90.0, 91.5, 89.0, 92.0]),
    ]
    assert (await record(gql, token, ids["measure"], values))["data"]
    # Rewriting a key keeps the old value in the history.
    rewrite = [{"schoolId": ids["school"], "periodStart": PERIOD, "value": 96.0}]
    assert (await record(gql, token, ids["measure"], rewrite))["data"]
    await _ok(
        gql,
        "mutation($input: SetTargetInput!) { setTarget(input: $input) { target { value } } }",
        {
            "input": {
                "measureId": ids["measure"],
                "schoolYear": SCHOOL_YEAR,
                "value": 95.0,
                "redThreshold": 90.0,
            }
        },
        token,
    )
    note = {"measureId": ids["measure"], "periodStart": PERIOD, "schoolId": ids["school"]}
    annotated = await _ok(
        gql,
        "mutation($input: ChartNoteInput!) { annotateMeasure(input: $input) "
        "{ annotation { id } } }",
        {"input": {**note, "text": "New attendance officer"}},
        token,
    )
    ids["annotation"] = annotated["annotateMeasure"]["annotation"]["id"]

    model = await _ok(
        gql,
        "mutation($input: CreateLogicModelInput!) { createLogicModel(input: $input) "
        "{ logicModel { id } } }",
        {"input": {"name": "Attendance", "measureIds": [ids["measure"], ids["drivenMeasure"]]}},
        token,
    )
    ids["logicModel"] = model["createLogicModel"]["logicModel"]["id"]
    await _ok(
        gql,
        "mutation($input: MeasureLinkInput!) { linkMeasures(input: $input) { logicModel { id } } }",
        {
            "input": {
                "logicModelId": ids["logicModel"],
                "driverId": ids["measure"],
                "drivenId": ids["drivenMeasure"],
            }
        },
        token,
    )
    requirement = await _ok(
        gql,
        "mutation($input: CreateCustomerRequirementInput!) { createCustomerRequirement"
        "(input: $input) { customerRequirement { id } } }",
        {
            "input": {
                "stakeholderGroup": "Parents",
                "requirement": "Children in class every day",
                "measureId": ids["measure"],
                "lowerSpecLimit": 90.0,
            }
        },
        token,
    )
    ids["customerRequirement"] = requirement["createCustomerRequirement"]["customerRequirement"][
        "id"
    ]

    route = await _ok(
        gql,
        "mutation($input: CreateBusRouteInput!) { createBusRoute(input: $input) "
        "{ busRoute { id } } }",
        {"input": {"code": "R-1", "schoolId": ids["school"], "riders": 40}},
        token,
    )
    ids["busRoute"] = route["createBusRoute"]["busRoute"]["id"]
    run = {"routeId": ids["busRoute"], "serviceDate": SERVICE_DATE, "scheduledArrival": "07:40"}
    await _ok(
        gql,
        "mutation($input: RecordBusRunsInput!) { recordBusRuns(input: $input) { written } }",
        {"input": {"runs": [{**run, "actualArrival": "07:58"}]}},
        token,
    )
    issued = await _ok(
        gql,
        "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) "
        "{ apiToken { id } } }",
        {"input": {"name": "Board dashboard", "role": "VIEWER"}},
        token,
    )
    ids["apiToken"] = issued["createApiToken"]["apiToken"]["id"]
    project = await _ok(
        gql,
        "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }",
        {
            "input": {
                "title": "Chronic absence",
                "problemStatement": "Too many students miss school",
                "goalStatement": "Cut chronic absence by a third",
                "processId": ids["process"],
                "primaryMeasureId": ids["measure"],
                "schoolIds": [ids["school"]],
            }
        },
        token,
    )
    ids["project"] = project["createProject"]["project"]["id"]
    practice = await _ok(
        gql,
        "mutation($input: CreatePracticeInput!) { createPractice(input: $input) "
        "{ practice { id } } }",
        {
            "input": {
                "title": "Morning attendance calls",
                "description": "A call home by 9:30 for every absent student",
                "measureIds": [ids["measure"]],
                "projectId": ids["project"],
            }
        },
        token,
    )
    ids["practice"] = practice["createPractice"]["practice"]["id"]
    adoption = await _ok(
        gql,
        "mutation($input: AdoptPracticeInput!) { adoptPractice(input: $input) "
        "{ adoption { id } } }",
        {
            "input": {
                "practiceId": ids["practice"],
                "schoolId": ids["otherSchool"],
                "adoptedOn": PERIOD,
            }
        },
        token,
    )
    ids["adoption"] = adoption["adoptPractice"]["adoption"]["id"]
    opportunity = await _ok(
        gql,
        "mutation($input: CreateOpportunityInput!) { createOpportunity(input: $input) "
        "{ opportunity { id } } }",
        {
            "input": {
                "title": "Text parents before first bell",
                "source": "STAFF_IDEA",
                "impact": 4,
                "effort": 2,
                "alignment": 5,
                "measureId": ids["measure"],
            }
        },
        token,
    )
    ids["opportunity"] = opportunity["createOpportunity"]["opportunity"]["id"]
    plan = await _ok(
        gql,
        "mutation($input: CreateSustainabilityPlanInput!) { createSustainabilityPlan"
        "(input: $input) { plan { id } } }",
        {
            "input": {
                "projectId": ids["project"],
                "measureIds": [ids["measure"]],
                "reviewCadence": "MONTHLY",
                "startDate": PERIOD,
                "responsePlan": "Re-train attendance clerks when two months run red",
            }
        },
        token,
    )
    ids["sustainabilityPlan"] = plan["createSustainabilityPlan"]["plan"]["id"]
    saving = await _ok(
        gql,
        "mutation($input: RecordSavingsInput!) { recordSavings(input: $input) { entry { id } } }",
        {
            "input": {
                "projectId": ids["project"],
                "category": "HARD",
                "amount": "1250.00",
                "unit": "USD",
                "fiscalYear": SCHOOL_YEAR,
                "status": "PROJECTED",
                "adoptionId": ids["adoption"],
            }
        },
        token,
    )
    ids["savingsEntry"] = saving["recordSavings"]["entry"]["id"]
    forum = await _ok(
        gql,
        "mutation($input: CreateForumInput!) { createForum(input: $input) { forum { id } } }",
        {
            "input": {
                "name": "Operations review",
                "cadence": "MONTHLY",
                "processIds": [ids["process"]],
                "measureIds": [ids["measure"]],
                "members": ["Chief operating officer"],
            }
        },
        token,
    )
    ids["forum"] = forum["createForum"]["forum"]["id"]
    meeting = await _ok(
        gql,
        "mutation($input: ScheduleMeetingInput!) { scheduleMeeting(input: $input) "
        "{ meeting { id } } }",
        {"input": {"forumId": ids["forum"], "heldOn": "2024-10-07"}},
        token,
    )
    ids["meeting"] = meeting["scheduleMeeting"]["meeting"]["id"]
    decision = await _ok(
        gql,
        "mutation($input: RecordDecisionInput!) { recordDecision(input: $input) "
        "{ decision { id } } }",
        {
            "input": {
                "title": "Call every absent student's home by 9:30",
                "owner": "Attendance office",
                "dueOn": "2024-11-01",
                "meetingId": ids["meeting"],
                "measureId": ids["measure"],
                "projectId": ids["project"],
            }
        },
        token,
    )
    ids["decision"] = decision["recordDecision"]["decision"]["id"]
    # Users are platform-wide: each seeded district gets a person of its own.
    ids["user"], _ = await add_member(factory, district_id, f"{uuid.uuid4().hex[:12]}@example.org")
    assignment = await _ok(
        gql,
        ASSIGN,
        {
            "input": {
                "userId": ids["user"],
                "processId": ids["process"],
                "responsibility": "ACCOUNTABLE",
            }
        },
        token,
    )
    ids["assignment"] = assignment["assignResponsibility"]["assignment"]["id"]
    return seeded
