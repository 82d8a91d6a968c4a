"""Sustainability plans and reviews over HTTP: what is stored, refusals, roles, tenancy."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.sustainability.jobs import check_sustainability
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.improvement import count_rows, create_project
from tests.support.jobs import run_refresh_job
from tests.support.measures import count_statements, create_measure, queries
from tests.support.sustainability import (
    COMPLIANCE,
    CREATE_PLAN,
    LOG_REVIEW,
    PLAN_FIELDS,
    create_plan,
    log_review,
    plan_input,
)

PROJECT_PLAN = (
    f"query($id: ID!) {{ project(id: $id) {{ id sustainabilityPlan {{ {PLAN_FIELDS} }} }} }}"
)
SUSTAINABILITY_TABLES = (
    "sustainability_plans",
    "sustainability_plan_measures",
    "sustainability_reviews",
    "plan_compliance",
)


async def written(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[str, int]:
    """How many rows this area (and the audit trail, and the outbox) holds for the district."""
    tables = (*SUSTAINABILITY_TABLES, "audit_events", "outbox_messages")
    return {t: await count_rows(app_sessionmaker, district_id, t) for t in tables}


async def two_measures(gql: Any, token: str) -> list[str]:
    return [
        await create_measure(gql, token, code="ADA", level="DISTRICT"),
        await create_measure(
            gql, token, code="WAIT", level="DISTRICT", direction="LOWER_IS_BETTER", unit="MINUTES"
        ),
    ]


async def test_a_plan_is_stored_with_its_control_measures(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    project = await create_project(gql, token)
    ada, wait = await two_measures(gql, token)

    plan = await create_plan(
        gql,
        token,
        project["id"],
        [wait, ada],
        durationMonths=24,
        startDate="2025-01-31",
        responsePlan="  Call the dispatcher.  ",
        targets=[{"measureId": wait, "target": 4.5}],
    )

    assert plan["projectId"] == project["id"]
    assert plan["measureIds"] == [wait, ada]  # the order given
    assert plan["reviewCadence"] == "QUARTERLY"
    assert plan["startDate"] == "2025-01-31"
    assert plan["durationMonths"] == 24 and plan["endDate"] == "2027-01-31"
    assert plan["owner"] == "test admin"  # the caller's actor when no owner is given
    assert plan["responsePlan"] == "Call the dispatcher."
    assert plan["controlMeasures"] == [
        {
            "measureId": wait,
            "code": "WAIT",
            "direction": "LOWER_IS_BETTER",
            "reviewFrequency": "MONTHLY",
            "target": 4.5,
        },
        {
            "measureId": ada,
            "code": "ADA",
            "direction": "HIGHER_IS_BETTER",
            "reviewFrequency": "MONTHLY",
            "target": None,
        },
    ]
    assert plan["reviews"] == []
    # The audit trail names it, and the plan's check is queued for after the commit.
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        audit = (
            await session.execute(
                text(
                    "SELECT action, entity_type, entity_id, actor FROM audit_events "
                    "WHERE district_id = :d AND action = 'createSustainabilityPlan'"
                ),
                {"d": district_id},
            )
        ).one()
        queued = [
            (m.actor_name, m.payload, m.dedupe_key)
            for m in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.actor_name == "check_sustainability")
            )
        ]
    assert tuple(audit) == (
        "createSustainabilityPlan",
        "sustainability_plan",
        plan["id"],
        "test admin",
    )
    assert queued == [("check_sustainability", {"plan_id": plan["id"]}, f"plan:{plan['id']}")]


async def test_a_named_owner_and_an_open_ended_plan(gql, factory):
    _, token = await factory.district()
    project = await create_project(gql, token)
    (ada, _) = await two_measures(gql, token)

    plan = await create_plan(gql, token, project["id"], [ada], owner="Transportation director")

    assert plan["owner"] == "Transportation director"
    assert plan["durationMonths"] is None and plan["endDate"] is None


async def test_a_second_plan_for_a_project_is_a_conflict_and_writes_nothing(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    project = await create_project(gql, token)
    ada, wait = await two_measures(gql, token)
    await create_plan(gql, token, project["id"], [ada])
    before = await written(app_sessionmaker, district_id)

    again = await gql(CREATE_PLAN, {"input": plan_input(project["id"], [wait])}, token=token)

    assert error_codes(again) == ["CONFLICT"]
    assert again["errors"][0]["extensions"]["field"] == "input.projectId"
    assert await written(app_sessionmaker, district_id) == before


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"projectId": str(uuid.uuid4())}, "NOT_FOUND", "input.projectId"),
        ({"measureIds": ["ADA", str(uuid.uuid4())]}, "NOT_FOUND", "input.measureIds.1"),
        ({"projectId": "not-a-uuid"}, "BAD_INPUT", "input.projectId"),
        ({"measureIds": ["ADA", "nope"]}, "BAD_INPUT", "input.measureIds.1"),
        ({"measureIds": []}, "BAD_INPUT", "input.measureIds"),
        ({"measureIds": ["ADA", "WAIT", "ADA"]}, "BAD_INPUT", "input.measureIds.2"),
        ({"responsePlan": "   "}, "BAD_INPUT", "input.responsePlan"),
        ({"owner": " "}, "BAD_INPUT", "input.owner"),
        ({"owner": "x" * 201}, "BAD_INPUT", "input.owner"),
        ({"durationMonths": 0}, "BAD_INPUT", "input.durationMonths"),
        ({"startDate": "1066-10-14"}, "BAD_INPUT", "input.startDate"),
        ({"startDate": "1999-12-31"}, "BAD_INPUT", "input.startDate"),
        (
            {"targets": [{"measureId": "WAIT", "target": 5}]},
            "BAD_INPUT",
            "input.targets.0.measureId",
        ),
        (
            {"targets": [{"measureId": "ADA", "target": 5}, {"measureId": "ADA", "target": 6}]},
            "BAD_INPUT",
            "input.targets.1.measureId",
        ),
    ],
)
async def test_refused_plans_name_the_field_and_write_nothing(
    gql, factory, app_sessionmaker, change, code, field
):
    district_id, token = await factory.district()
    project = await create_project(gql, token)
    ada, wait = await two_measures(gql, token)
    names = {"ADA": ada, "WAIT": wait}
    change = {
        key: [names.get(v, v) for v in value] if key == "measureIds" else value
        for key, value in change.items()
    }
    if "targets" in change:
        change["targets"] = [{**t, "measureId": names[t["measureId"]]} for t in change["targets"]]
    before = await written(app_sessionmaker, district_id)

    result = await gql(
        CREATE_PLAN, {"input": plan_input(project["id"], [ada], **change)}, token=token
    )

    assert error_codes(result) == [code], result
    assert result["errors"][0]["extensions"]["field"] == field
    assert await written(app_sessionmaker, district_id) == before


async def test_reviews_are_logged_by_the_caller(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)
    project = await create_project(gql, token)
    (ada, _) = await two_measures(gql, token)
    plan = await create_plan(gql, token, project["id"], [ada])

    first = await log_review(gql, lead, plan["id"], "2025-05-10", notes="  all green  ")
    second = await log_review(gql, token, plan["id"], "2025-02-10", result="  one late month ")

    assert "errors" not in first and "errors" not in second, (first, second)
    reviews = second["data"]["logSustainabilityReview"]["plan"]["reviews"]
    assert reviews == [  # oldest first
        {
            "reviewedOn": "2025-02-10",
            "reviewer": "test admin",
            "result": "one late month",
            "notes": None,
        },
        {
            "reviewedOn": "2025-05-10",
            "reviewer": "test IMPROVEMENT_LEAD",
            "result": "on track",
            "notes": "all green",
        },
    ]
    counts = await written(app_sessionmaker, district_id)
    assert counts["sustainability_reviews"] == 2
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        pending = list(
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.actor_name == "check_sustainability",
                    OutboxMessage.dispatched_at.is_(None),
                )
            )
        )
    assert pending == [f"plan:{plan['id']}"]  # one pending check, however many writes


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"planId": str(uuid.uuid4())}, "NOT_FOUND", "input.planId"),
        ({"planId": "x"}, "BAD_INPUT", "input.planId"),
        ({"reviewedOn": "2024-12-31"}, "BAD_INPUT", "input.reviewedOn"),  # before the start
        ({"reviewedOn": "2199-01-01"}, "BAD_INPUT", "input.reviewedOn"),  # after today
        ({"result": "  "}, "BAD_INPUT", "input.result"),
        ({"notes": "\t"}, "BAD_INPUT", "input.notes"),
    ],
)
async def test_refused_reviews_name_the_field_and_write_nothing(
    gql, factory, app_sessionmaker, change, code, field
):
    district_id, token = await factory.district()
    project = await create_project(gql, token)
    (ada, _) = await two_measures(gql, token)
    plan = await create_plan(gql, token, project["id"], [ada])
    before = await written(app_sessionmaker, district_id)

    result = await gql(
        LOG_REVIEW,
        {
            "input": {
                "planId": plan["id"],
                "reviewedOn": "2025-03-01",
                "result": "on track",
                **change,
            }
        },
        token=token,
    )

    assert error_codes(result) == [code], result
    assert result["errors"][0]["extensions"]["field"] == field
    assert await written(app_sessionmaker, district_id) == before


async def test_another_districts_ids_are_not_found_and_write_nothing(
    gql, factory, app_sessionmaker
):
    ours, token = await factory.district()
    theirs, their_token = await factory.district()
    our_project = await create_project(gql, token)
    (our_measure, _) = await two_measures(gql, token)
    their_project = await create_project(gql, their_token)
    (their_measure, _) = await two_measures(gql, their_token)
    their_plan = await create_plan(gql, their_token, their_project["id"], [their_measure])
    before = {d: await written(app_sessionmaker, d) for d in (ours, theirs)}

    results = [
        await gql(
            CREATE_PLAN, {"input": plan_input(their_project["id"], [our_measure])}, token=token
        ),
        await gql(
            CREATE_PLAN, {"input": plan_input(our_project["id"], [their_measure])}, token=token
        ),
        await log_review(gql, token, their_plan["id"], "2025-03-01"),
    ]

    assert [error_codes(r) for r in results] == [["NOT_FOUND"]] * 3
    assert [r["errors"][0]["extensions"]["field"] for r in results] == [
        "input.projectId",
        "input.measureIds.0",
        "input.planId",
    ]
    assert {d: await written(app_sessionmaker, d) for d in (ours, theirs)} == before
    seen = await gql(COMPLIANCE, {"asOf": "2025-06-01"}, token=token)
    assert seen["data"]["sustainabilityCompliance"] == []
    other = (await gql(PROJECT_PLAN, {"id": their_project["id"]}, token=token))["data"]
    assert other["project"] is None


ALLOWED_TO_WRITE = {Role.DISTRICT_ADMIN, Role.IMPROVEMENT_LEAD}


@pytest.mark.parametrize("role", list(Role))
async def test_roles(gql, factory, app_sessionmaker, role):
    """IMPROVEMENT_LEAD and DISTRICT_ADMIN run plans (DOMAIN.md "Roles"); every role reads."""
    district_id, admin = await factory.district()
    token = await factory.token(district_id, role)
    project = await create_project(gql, admin)
    (ada, _) = await two_measures(gql, admin)
    plan = await create_plan(gql, admin, project["id"], [ada])
    other_project = await create_project(gql, admin, title="Meals")

    created = await gql(CREATE_PLAN, {"input": plan_input(other_project["id"], [ada])}, token=token)
    reviewed = await log_review(gql, token, plan["id"], "2025-03-01")
    read = await gql(COMPLIANCE, {"asOf": "2025-03-02"}, token=token)

    if role in ALLOWED_TO_WRITE:
        assert "errors" not in created and "errors" not in reviewed, (created, reviewed)
        assert await count_rows(app_sessionmaker, district_id, "sustainability_plans") == 2
    else:
        assert error_codes(created) == ["FORBIDDEN"] and error_codes(reviewed) == ["FORBIDDEN"]
        assert await count_rows(app_sessionmaker, district_id, "sustainability_plans") == 1
        assert await count_rows(app_sessionmaker, district_id, "sustainability_reviews") == 0
    assert "errors" not in read
    expected = [plan["id"]]
    if role in ALLOWED_TO_WRITE:
        expected.append(created["data"]["createSustainabilityPlan"]["plan"]["id"])
    assert [row["plan"]["id"] for row in read["data"]["sustainabilityCompliance"]] == expected


async def test_without_a_token_everything_is_unauthenticated(gql):
    results = [
        await gql(COMPLIANCE, {}, token=None),
        await gql(
            CREATE_PLAN, {"input": plan_input(str(uuid.uuid4()), [str(uuid.uuid4())])}, token=None
        ),
    ]
    assert [error_codes(r) for r in results] == [["UNAUTHENTICATED"]] * 2


async def test_a_project_shows_its_plan(gql, factory):
    _, token = await factory.district()
    project = await create_project(gql, token)
    bare = await create_project(gql, token, title="No plan yet")
    (ada, _) = await two_measures(gql, token)
    plan = await create_plan(gql, token, project["id"], [ada])

    shown = (await gql(PROJECT_PLAN, {"id": project["id"]}, token=token))["data"]["project"]
    none = (await gql(PROJECT_PLAN, {"id": bare["id"]}, token=token))["data"]["project"]

    assert shown["sustainabilityPlan"] == plan
    assert none["sustainabilityPlan"] is None


async def test_racing_plans_for_one_project_make_one_plan_and_one_conflict(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    project = await create_project(gql, token)
    ada, wait = await two_measures(gql, token)

    results = await asyncio.gather(
        *(
            gql(CREATE_PLAN, {"input": plan_input(project["id"], [measure])}, token=token)
            for measure in (ada, wait, ada, wait)
        )
    )

    assert sorted(error_codes(r)[0] if "errors" in r else "OK" for r in results) == [
        "CONFLICT",
        "CONFLICT",
        "CONFLICT",
        "OK",
    ]
    assert await count_rows(app_sessionmaker, district_id, "sustainability_plans") == 1
    assert await count_rows(app_sessionmaker, district_id, "sustainability_plan_measures") == 1


async def test_sustainability_compliance_runs_a_fixed_number_of_statements(
    gql, factory, app, app_sessionmaker
):
    district_id, token = await factory.district()
    (ada, wait) = await two_measures(gql, token)
    full = """query($asOf: Date) { sustainabilityCompliance(asOf: $asOf) {
      status failedChecks plan { id controlMeasures { code } reviews { reviewedOn } } } }"""
    # What a dashboard's list shows: the plans' own fields, no control measures, no reviews.
    listed = """query($asOf: Date) { sustainabilityCompliance(asOf: $asOf) {
      status failedChecks plan { id projectId startDate endDate } } }"""
    counts: dict[tuple[str, str | None], list[int]] = {
        (query, as_of): [] for query in (full, listed) for as_of in (None, "2025-06-01")
    }
    every_statement: dict[tuple[str, str | None], list[int]] = {key: [] for key in counts}
    for n in (1, 4):
        while await count_rows(app_sessionmaker, district_id, "sustainability_plans") < n:
            project = await create_project(gql, token)
            plan = await create_plan(gql, token, project["id"], [ada, wait])
            assert "errors" not in await log_review(gql, token, plan["id"], "2025-02-01")
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            await check_sustainability.run(session, district_id, full=True)
            await session.commit()
        for (query, as_of), found in counts.items():
            with count_statements(app) as statements:
                result = await gql(query, {"asOf": as_of}, token=token)
            assert len(result["data"]["sustainabilityCompliance"]) == n
            found.append(len(queries(statements)))
            every_statement[(query, as_of)].append(len(statements))

    # Stored: the verdicts with their plans (one statement, Core rows); then, when selected,
    # the plans' control measures with their measures, and the reviews, all in the request's
    # transaction (the token lookup sets its tenant; no loader opens another).
    assert counts[(full, None)] == [3, 3]
    assert counts[(listed, None)] == [1, 1]
    assert every_statement[(full, None)] == [1 + 3, 1 + 3]
    # Computed: the calendar (today and the fiscal year: read once), the plans, their stored
    # rows of that date with each other plan's schools and review dates and the clock (one
    # statement); the controls with their measures, the stored series that are exact (none:
    # the status refresh has not run), the measurements of the others (their rebases and
    # exclusions too, when they had data), targets; then, when selected, the plans' control
    # measures and reviews as above.
    assert counts[(full, "2025-06-01")] == [9, 9]
    assert counts[(listed, "2025-06-01")] == [7, 7]
    # Once the status refresh stored the series (measures.series_signals), no measurement is
    # read.
    await run_refresh_job(app_sessionmaker, district_id, full=True)
    with count_statements(app) as statements:
        result = await gql(listed, {"asOf": "2025-06-01"}, token=token)
    assert len(result["data"]["sustainabilityCompliance"]) == 4
    assert len(queries(statements)) == 6
