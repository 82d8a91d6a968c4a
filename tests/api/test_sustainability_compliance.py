"""sustainabilityCompliance over HTTP, on real measurements, targets, charts and reviews.

The district's ADA is charted on alternating values 9.436 / 10.564 (CL 10, sigma-hat exactly 1:
UCL 13, LCL 7), January 2024 to December 2025; its target is 10 (red under 9) for school years
2025 and 2026. The plan starts on 2025-01-01 with quarterly reviews; as of 2026-01-10 the due
periods are January to December 2025 and the due review quarters the four of 2025.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from district_ppm.analytics.compliance import IN_CONTROL_POINTS
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.charts import get_control_chart
from district_ppm.measures.service import measures_by_ids
from district_ppm.sustainability.compliance import verdicts_on
from district_ppm.sustainability.facts import MeasureFacts
from district_ppm.sustainability.jobs import check_sustainability
from district_ppm.sustainability.models import SustainabilityPlan
from district_ppm.sustainability.service import PLAN_COLUMNS, plan_row
from district_ppm.tenancy.calendar import district_today
from tests.support.graphql import error_codes
from tests.support.improvement import ADVANCE, create_project
from tests.support.measures import SET_TARGET, create_measure, create_school, record
from tests.support.sustainability import COMPLIANCE, create_plan, log_review

LOW, HIGH = 9.436, 10.564
MONTHS = [date(2024 + i // 12, i % 12 + 1, 1) for i in range(24)]
STEADY = {month: LOW if i % 2 == 0 else HIGH for i, month in enumerate(MONTHS)}
REVIEWS = ["2025-02-10", "2025-05-10", "2025-08-10", "2025-11-10"]
AS_OF = "2026-01-10"
EXCLUDE = """
mutation($input: ChartNoteInput!) { excludeChartPoint(input: $input) { __typename } }
"""
REBASE = """
mutation($input: ChartNoteInput!) { rebaseControlChart(input: $input) { __typename } }
"""


def rows(values: dict[date, float], school_id: str | None = None) -> list[dict[str, Any]]:
    return [
        {"schoolId": school_id, "periodStart": p.isoformat(), "value": v}
        for p, v in sorted(values.items())
    ]


async def set_targets(gql: Any, token: str, measure_id: str) -> None:
    for year in (2025, 2026):
        target = {"measureId": measure_id, "schoolYear": year, "value": 10, "redThreshold": 9}
        assert "errors" not in await gql(SET_TARGET, {"input": target}, token=token)


async def compliance(gql: Any, token: str, as_of: str | None = AS_OF) -> list[dict[str, Any]]:
    result = await gql(COMPLIANCE, {"asOf": as_of}, token=token)
    assert "errors" not in result, result
    return result["data"]["sustainabilityCompliance"]  # type: ignore[no-any-return]


async def verdicts(gql: Any, token: str, as_of: str | None = AS_OF) -> list[tuple[str, list[str]]]:
    return [(row["status"], row["failedChecks"]) for row in await compliance(gql, token, as_of)]


async def district_with_ada(
    gql: Any, factory: Any, values: dict[date, float] = STEADY
) -> tuple[uuid.UUID, str, str]:
    district_id, token = await factory.district()
    ada = await create_measure(gql, token, code="ADA", level="DISTRICT")
    await set_targets(gql, token, ada)
    written = await record(gql, token, ada, rows(values))
    assert "errors" not in written, written
    return district_id, token, ada


async def planned(
    gql: Any, token: str, measure_ids: list[str], reviews: list[str] = REVIEWS, **plan: Any
) -> dict[str, Any]:
    project = await create_project(gql, token, **plan.pop("project", {}))
    created = await create_plan(gql, token, project["id"], measure_ids, **plan)
    for day in reviews:
        assert "errors" not in await log_review(gql, token, created["id"], day)
    return created  # type: ignore[no-any-return]


def without(*periods: date) -> dict[date, float]:
    return {p: v for p, v in STEADY.items() if p not in periods}


@pytest.mark.parametrize(
    ("values", "reviews", "expected"),
    [
        (STEADY, REVIEWS, ("COMPLIANT", [])),
        # No review between April 1st and June 30th.
        (STEADY, [r for r in REVIEWS if r != "2025-05-10"], ("NON_COMPLIANT", ["review_cadence"])),
        # October 2025 at 6.5: under LCL 7, the bad side for higher-is-better, in the last six.
        ({**STEADY, date(2025, 10, 1): 6.5}, REVIEWS, ("NON_COMPLIANT", ["in_control:ADA"])),
        # August and September missing: two missing periods.
        (
            without(date(2025, 8, 1), date(2025, 9, 1)),
            REVIEWS,
            ("NON_COMPLIANT", ["data_current:ADA"]),
        ),
        # August alone missing.
        (without(date(2025, 8, 1)), REVIEWS, ("AT_RISK", ["data_current:ADA"])),
        # December at 9.5: AMBER against 10 / 9 of school year 2026.
        ({**STEADY, date(2025, 12, 1): 9.5}, REVIEWS, ("AT_RISK", ["meets_target:ADA"])),
    ],
    ids=["compliant", "missed-review", "rule-1", "two-missing", "one-missing", "target-missed"],
)
async def test_verdicts_computed_by_hand(gql, factory, values, reviews, expected):
    _, token, ada = await district_with_ada(gql, factory, values)
    plan = await planned(gql, token, [ada], reviews)

    found = await compliance(gql, token)

    assert [(row["status"], row["failedChecks"]) for row in found] == [expected]
    assert found[0]["plan"]["id"] == plan["id"]
    assert found[0]["asOf"] == AS_OF
    assert found[0]["computedAt"] is not None  # computed now: that date was never stored


async def test_an_excluded_point_takes_no_part_in_the_chart(gql, factory):
    _, token, ada = await district_with_ada(gql, factory, {**STEADY, date(2025, 10, 1): 6.5})
    await planned(gql, token, [ada])
    assert await verdicts(gql, token) == [("NON_COMPLIANT", ["in_control:ADA"])]

    note = {"measureId": ada, "periodStart": "2025-10-01", "text": "snow day, buses parked"}
    assert "errors" not in await gql(EXCLUDE, {"input": note}, token=token)

    # Still a value for October: the data is current.
    assert await verdicts(gql, token) == [("COMPLIANT", [])]


async def test_values_before_a_rebase_still_count_as_data(gql, factory):
    _, token, ada = await district_with_ada(gql, factory)
    await planned(gql, token, [ada])
    note = {"measureId": ada, "periodStart": "2025-03-01", "text": "new routing software"}
    assert "errors" not in await gql(REBASE, {"input": note}, token=token)

    # The chart starts in March (ten points, enough for limits), but January and February
    # 2025 have values: nothing is missing.
    assert await verdicts(gql, token) == [("COMPLIANT", [])]


async def test_a_plans_own_target_replaces_the_measures(gql, factory):
    _, token, ada = await district_with_ada(gql, factory)
    await planned(gql, token, [ada], targets=[{"measureId": ada, "target": 10.6}])

    # December's 10.564 meets the measure's 10 but not the plan's 10.6.
    assert await verdicts(gql, token) == [("AT_RISK", ["meets_target:ADA"])]


async def test_several_measures_are_checked_in_the_plans_order(gql, factory):
    _, token, ada = await district_with_ada(gql, factory)
    wait = await create_measure(
        gql, token, code="WAIT", level="DISTRICT", direction="LOWER_IS_BETTER", unit="MINUTES"
    )
    # No target for WAIT, and only one month of data in 2025: eleven missing periods.
    assert "errors" not in await record(gql, token, wait, rows({date(2025, 12, 1): 4.0}))
    await planned(gql, token, [wait, ada], reviews=REVIEWS[:3])

    assert await verdicts(gql, token) == [
        ("NON_COMPLIANT", ["data_current:WAIT", "meets_target:WAIT", "review_cadence"])
    ]


async def test_a_school_level_measure_is_checked_at_the_projects_schools(gql, factory):
    """Without schools on the project, the district-wide series (the mean of the schools that
    reported each month) is checked; with schools, each named school's own series is."""
    _, token = await factory.district()
    north = await create_school(gql, token, "North")
    south = await create_school(gql, token, "South")
    meals = await create_measure(gql, token, code="MEALS", level="SCHOOL")
    await set_targets(gql, token, meals)
    assert "errors" not in await record(gql, token, meals, rows(STEADY, north))
    # South misses August 2025: the district-wide mean still has North's value for it.
    south_values = without(date(2025, 8, 1))
    assert "errors" not in await record(gql, token, meals, rows(south_values, south))

    district_wide = await planned(gql, token, [meals], project={"title": "District-wide"})
    at_north = await planned(gql, token, [meals], project={"title": "North", "schoolIds": [north]})
    at_both = await planned(
        gql, token, [meals], project={"title": "Both", "schoolIds": [north, south]}
    )

    found = {
        row["plan"]["id"]: (row["status"], row["failedChecks"])
        for row in await compliance(gql, token)
    }
    assert found == {
        district_wide["id"]: ("COMPLIANT", []),
        at_north["id"]: ("COMPLIANT", []),
        at_both["id"]: ("AT_RISK", ["data_current:MEALS"]),
    }


async def test_a_plan_is_reported_from_its_start_to_its_end(gql, factory):
    _, token, ada = await district_with_ada(gql, factory)
    plan = await planned(gql, token, [ada], durationMonths=12)
    assert plan["endDate"] == "2026-01-01"

    assert await compliance(gql, token, "2024-12-31") == []  # not started
    on_start = await verdicts(gql, token, "2025-01-01")
    on_end = await verdicts(gql, token, "2026-01-01")
    assert await compliance(gql, token, "2026-01-02") == []  # finished

    assert on_start == [("COMPLIANT", [])]  # nothing due yet
    assert on_end == [("COMPLIANT", [])]  # every month and quarter of 2025 due


async def test_a_closed_projects_plan_keeps_being_checked(gql, factory):
    _, token, ada = await district_with_ada(gql, factory, without(date(2025, 8, 1)))
    project = await create_project(gql, token, title="Late buses", baseline=42.0)
    plan = await create_plan(gql, token, project["id"], [ada])
    for day in REVIEWS:
        assert "errors" not in await log_review(gql, token, plan["id"], day)
    for _ in range(5):  # DEFINE -> MEASURE -> ANALYZE -> IMPROVE -> CONTROL -> CLOSED
        moved = await gql(ADVANCE, {"input": {"projectId": project["id"]}}, token=token)
        assert "errors" not in moved, moved
    assert moved["data"]["advanceProjectPhase"]["project"]["phase"] == "CLOSED"

    assert await verdicts(gql, token) == [("AT_RISK", ["data_current:ADA"])]


async def test_stored_verdicts_are_served_without_a_date(gql, factory, app_sessionmaker):
    district_id, token, ada = await district_with_ada(gql, factory)
    plan = await planned(gql, token, [ada])
    assert await compliance(gql, token, None) == []  # the worker has not run yet

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        today = await district_today(session=session, district_id=district_id)
        await check_sustainability.run(session, district_id, full=True)
        await session.commit()

    stored = await compliance(gql, token, None)
    same_day = await compliance(gql, token, today.isoformat())
    other_day = await compliance(gql, token, AS_OF)

    assert [row["plan"]["id"] for row in stored] == [plan["id"]]
    assert stored[0]["asOf"] == today.isoformat()
    assert stored[0]["computedAt"] is not None
    # Asked for the stored date: the stored row itself, computedAt included.
    assert same_day == stored
    # Another date: computed now, by the same function.
    assert (other_day[0]["status"], other_day[0]["failedChecks"]) == ("COMPLIANT", [])
    assert other_day[0]["computedAt"] != stored[0]["computedAt"]
    # As of today every month of 2026 so far has no value, and reviews stopped in 2025.
    assert stored[0]["status"] == "NON_COMPLIANT"
    assert stored[0]["failedChecks"] == ["data_current:ADA", "review_cadence"]


async def test_a_plan_deleted_after_it_was_listed_gets_a_verdict_of_nothing(
    gql, factory, app_sessionmaker, admin_sessionmaker
):
    # A request lists the plans, then reads their facts in later statements: a plan deleted
    # in between (its controls and reviews with it) is judged on nothing, not an error.
    district_id, token, ada = await district_with_ada(gql, factory)
    kept = await planned(gql, token, [ada])
    gone = await planned(gql, token, [ada])
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        listed = select(*PLAN_COLUMNS).order_by(SustainabilityPlan.created_at)
        plans = [plan_row(row) for row in (await session.execute(listed)).all()]
        async with admin_sessionmaker() as admin, admin.begin():
            await admin.execute(delete(SustainabilityPlan).filter_by(id=uuid.UUID(gone["id"])))

        found = await verdicts_on(
            session=session, district_id=district_id, plans=plans, as_of=date.fromisoformat(AS_OF)
        )

    assert [str(v.plan.id) for v in found] == [kept["id"], gone["id"]]
    assert (found[0].status, found[0].failed_checks) == ("COMPLIANT", ())
    assert (found[1].status, found[1].failed_checks) == ("NON_COMPLIANT", ("review_cadence",))


async def test_as_of_must_be_a_date(gql, factory):
    _, token = await factory.district()
    result = await gql(COMPLIANCE, {"asOf": "2026-13-01"}, token=token)
    assert error_codes(result) == ["BAD_INPUT"]


@pytest.mark.parametrize("as_of", ["9999-12-31", "1999-12-31"])
async def test_as_of_far_from_today_is_refused(gql, factory, app_sessionmaker, as_of):
    """Far ahead, every day of a DAILY measure would be a due period to enumerate (and the
    last day of year 9999 has no next period): BAD_INPUT, not a long computation or INTERNAL."""
    district_id, token, ada = await district_with_ada(gql, factory)
    await planned(gql, token, [ada])
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        today = await district_today(session=session, district_id=district_id)

    refused = await gql(COMPLIANCE, {"asOf": as_of}, token=token)
    a_year_ahead = await gql(
        COMPLIANCE, {"asOf": (today + timedelta(days=366)).isoformat()}, token=token
    )

    assert error_codes(refused) == ["BAD_INPUT"]
    assert refused["errors"][0]["extensions"]["field"] == "asOf"
    assert "errors" not in a_year_ahead


async def test_the_batched_charts_are_the_charts_the_measures_area_draws(
    gql, factory, app_sessionmaker
):
    """MeasureFacts reads every plan's charts at once; each must end as get_control_chart's
    does: the same limits, and its last IN_CONTROL_POINTS points (all a verdict reads) judged
    the same (analytics.xmr_tail: tests/unit/test_xmr_tail.py compares whole charts)."""
    district_id, token, ada = await district_with_ada(gql, factory)
    north = await create_school(gql, token, "North")
    south = await create_school(gql, token, "South")
    meals = await create_measure(gql, token, code="MEALS", level="SCHOOL")
    assert "errors" not in await record(gql, token, meals, rows(STEADY, north))
    assert "errors" not in await record(gql, token, meals, rows(without(MONTHS[5]), south))
    notes = [
        (REBASE, ada, None, "2024-06-01"),
        (REBASE, ada, None, "2025-03-01"),  # the newer rebase wins
        (EXCLUDE, ada, None, "2025-10-01"),
        (REBASE, meals, None, "2024-09-01"),  # district-wide only
        (EXCLUDE, meals, north, "2025-02-01"),
        (EXCLUDE, meals, None, "2025-04-01"),
    ]
    for document, measure, school, period in notes:
        note = {"measureId": measure, "schoolId": school, "periodStart": period, "text": "why"}
        assert "errors" not in await gql(document, {"input": note}, token=token)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        found = await measures_by_ids(
            session=session,
            district_id=district_id,
            measure_ids=[uuid.UUID(ada), uuid.UUID(meals)],
        )
        facts = MeasureFacts(session, district_id)
        await facts.load(district_wide=list(found.values()), at_schools=[found[uuid.UUID(meals)]])
        for measure_id, school in [(ada, None), (meals, None), (meals, north), (meals, south)]:
            scope = uuid.UUID(school) if school else None
            drawn = await get_control_chart(
                session=session,
                district_id=district_id,
                measure_id=uuid.UUID(measure_id),
                school_id=scope,
            )
            ours = facts.chart(found[uuid.UUID(measure_id)], scope, date.max)
            kept = [p for p in drawn.points if p.excluded_reason is None]
            assert ours.limits == drawn.limits
            assert [(p.signals, p.unfavorable) for p in ours.points] == [
                (p.signals, p.unfavorable) for p in kept[-IN_CONTROL_POINTS:]
            ]
            assert len(kept) >= 9  # ADA: March to December 2025 less October


async def test_the_running_period_is_not_on_the_chart_yet(gql, factory):
    # January 2026 at 1.0: far under LCL 7, and RED.
    _, token, ada = await district_with_ada(gql, factory, {**STEADY, date(2026, 1, 1): 1.0})
    await planned(gql, token, [ada])

    # On January 10th, January is still running: not on the chart, not the latest value.
    assert await verdicts(gql, token, "2026-01-10") == [("COMPLIANT", [])]
    # On February 10th it is complete: out of control, and the latest value misses the target.
    assert await verdicts(gql, token, "2026-02-10") == [
        ("NON_COMPLIANT", ["in_control:ADA", "meets_target:ADA"])
    ]
