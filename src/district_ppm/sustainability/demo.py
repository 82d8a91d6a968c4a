"""The demo district's sustainability plans and reviews (see ``improvement/demo.py``).

- The late-bus plan, from the day the project entered CONTROL, open-ended: the on-time rate at
  93% or better and at most 30 late arrivals a month district-wide, reviewed every month by
  the Director of Transportation. Bus runs come every month (summer school included), so its
  data are current; the runs since the change are far better than the chart's baseline, so it
  is in control: COMPLIANT.
- The lunch-menu plan, for this school year: participation held to 74%, which it misses
  (AT_RISK).
- The plate-waste plan, open-ended from the school year after the project: its reviews stopped
  in February (NON_COMPLIANT).
- The attendance pilot's one-year plan, long completed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from district_ppm.demo import NUTRITION, STUDENT_SERVICES, TRANSPORTATION, Person, audit
from district_ppm.measures.models import Frequency
from district_ppm.measures.series import load_district_series
from district_ppm.sustainability.models import SustainabilityPlan
from district_ppm.sustainability.service import PlanCreate, ReviewLog, create_plan, log_review
from district_ppm.tenancy.models import Role

if TYPE_CHECKING:
    from district_ppm.improvement.demo_context import DemoContext, DemoProjects

LATE_BUS_LIMITS = {"TRN-ON-TIME": 93.0, "TRN-LATE-INSTANCES": 30.0}


async def seed_sustainability_demo(ctx: DemoContext, projects: DemoProjects) -> None:
    story = ctx.story
    late_bus = await _plan(
        ctx,
        projects.late_bus.id,
        TRANSPORTATION,
        PlanCreate(
            project_id=projects.late_bus.id,
            measure_ids=[ctx.measures[code].id for code in LATE_BUS_LIMITS],
            review_cadence=Frequency.MONTHLY,
            start_date=date(story.school_year - 1, 3, 1),
            response_plan=(
                "A month under 93% on time, or over 30 late arrivals: the dispatcher reviews "
                "every late run of the month with its driver within a week; two such months "
                "in a row reopen the routing study."
            ),
            targets=[(ctx.measures[code].id, limit) for code, limit in LATE_BUS_LIMITS.items()],
        ),
    )
    facts = await _bus_facts(ctx)
    await _monthly_reviews(ctx, late_bus, TRANSPORTATION, lambda day: _bus_result(day, facts))
    lunch = await _plan(
        ctx,
        projects.lunch.id,
        NUTRITION,
        PlanCreate(
            project_id=projects.lunch.id,
            measure_ids=[ctx.measures["NUT-ADP-LUNCH"].id],
            review_cadence=Frequency.MONTHLY,
            start_date=story.plan_year_start,
            duration_months=11,
            response_plan="Participation under 74%: a student taste panel reworks the menu cycle.",
            targets=[(ctx.measures["NUT-ADP-LUNCH"].id, 74.0)],
        ),
    )
    await _monthly_reviews(ctx, lunch, NUTRITION, lambda _: "Reviewed participation by school")
    waste = await _plan(
        ctx,
        projects.waste.id,
        NUTRITION,
        PlanCreate(
            project_id=projects.waste.id,
            measure_ids=[ctx.measures["NUT-WASTE"].id],
            review_cadence=Frequency.MONTHLY,
            start_date=date(story.school_year - 2, 8, 1),
            response_plan="Waste over 30% at a school: re-train its servers on offer-versus-serve.",
        ),
    )
    # The cafeteria manager who ran the reviews retired after February: none since.
    await _monthly_reviews(
        ctx,
        waste,
        NUTRITION,
        lambda _: "Waste audit at two cafeterias; share tables in use",
        until=date(story.school_year - 1, 2, 28),
    )
    await _plan(
        ctx,
        projects.attendance.id,
        STUDENT_SERVICES,
        PlanCreate(
            project_id=projects.attendance.id,
            measure_ids=[ctx.measures["SS-CHRONIC-ABS"].id],
            review_cadence=Frequency.QUARTERLY,
            start_date=date(story.school_year - 3, 4, 1),
            duration_months=12,
            response_plan="Chronic absence back over 12% at Lincoln: the team re-trains callers.",
            targets=[(ctx.measures["SS-CHRONIC-ABS"].id, 12.0)],
        ),
    )


async def _plan(
    ctx: DemoContext, project_id: uuid.UUID, owner: Person, data: PlanCreate
) -> SustainabilityPlan:
    principal = ctx.as_(owner)
    plan = await create_plan(
        session=ctx.session,
        district_id=ctx.district_id,
        principal=principal,
        data=data,
    )
    await audit(
        ctx.session,
        principal,
        "createSustainabilityPlan",
        "sustainability_plan",
        plan.id,
        projectId=project_id,
    )
    return plan


async def _monthly_reviews(
    ctx: DemoContext,
    plan: SustainabilityPlan,
    reviewer: Person,
    result_of: Callable[[date], str],
    until: date | None = None,
) -> None:
    principal = ctx.as_(reviewer, Role.IMPROVEMENT_LEAD)
    for day in ctx.story.monthly(plan.start_date, until):
        result = result_of(day)
        review = await log_review(
            session=ctx.session,
            district_id=ctx.district_id,
            principal=principal,
            data=ReviewLog(plan.id, day, result),
            today=ctx.story.today,
        )
        await audit(
            ctx.session, principal, "logSustainabilityReview", "sustainability_review", review.id
        )


async def _bus_facts(ctx: DemoContext) -> dict[str, dict[date, float]]:
    """The district-wide monthly on-time rate and late arrivals, by month."""
    measures = [ctx.measures[code] for code in LATE_BUS_LIMITS]
    series = await load_district_series(
        session=ctx.session, district_id=ctx.district_id, measures=measures
    )
    return {m.code: dict(series.get(m.id, [])) for m in measures}


def _bus_result(day: date, facts: dict[str, dict[date, float]]) -> str:
    """What the director writes: last month's figures against the plan's limits."""
    month = date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)
    on_time = facts["TRN-ON-TIME"].get(month)
    late = facts["TRN-LATE-INSTANCES"].get(month)
    if on_time is None or late is None:
        return "No runs to review last month"
    verdict = "holding" if on_time >= 93 and late <= 30 else "outside the limits: response plan"
    return (
        f"{month:%B}: {on_time:.1f}% on time (limit 93%), {late:.0f} late arrivals "
        f"(limit 30): {verdict}."
    )
