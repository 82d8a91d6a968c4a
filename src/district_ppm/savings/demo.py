"""The demo district's savings ledger, as the improvement team records it and finance checks it.

- The late-bus project's INSTRUCTIONAL_TIME claim for last fiscal year is exactly the student
  instructional hours the bus runs show recovered: the hours lost in the baseline school year
  minus those lost last year (as ``instructionalTimeLost`` shows them). Finance validates it,
  and the project's driver, fuel and bus savings; an entry recorded twice is reversed.
- This year's savings of the merged routes are PROJECTED; the lunch menu's wait for finance.
- Each adoption of the attendance outreach practice brought back state aid (attendance-based
  funding), recorded against its adoption.
- Part of last year's validated savings is reinvested in teaching and learning: after-school
  tutoring at the two middle schools (process 1.2, "Deliver instruction").
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from district_ppm.demo import FINANCE, FINANCE_ANALYST, IMPROVEMENT_LEAD, audit
from district_ppm.improvement.models import Project
from district_ppm.savings.ledger import (
    SavingsCreate,
    SavingsUpdate,
    audit_details,
    record_savings,
    reverse_savings,
    update_savings,
    validate_savings,
)
from district_ppm.savings.models import SavingsCategory, SavingsEntry, SavingsStatus, SavingsUnit
from district_ppm.savings.reinvestment import AllocationCreate, allocate_savings
from district_ppm.tenancy.models import Role
from district_ppm.tenancy.principal import Principal
from district_ppm.transportation.timeloss import time_loss_report

if TYPE_CHECKING:
    from district_ppm.improvement.demo_context import DemoContext, DemoProjects

HARD, AVOIDED = SavingsCategory.HARD, SavingsCategory.COST_AVOIDANCE
USD, HOURS = SavingsUnit.USD, SavingsUnit.HOURS
PROJECTED, REALIZED = SavingsStatus.PROJECTED, SavingsStatus.REALIZED
REINVESTED_USD = Decimal("40000.00")
# State aid per student in average daily attendance, as Texas pays it (about $6,160 a year).
ADOPTION_AID = {
    "Lincoln Elementary": (Decimal("18480.00"), 3),
    "Washington Elementary": (Decimal("24640.00"), 2),
    "Roosevelt Elementary": (Decimal("30800.00"), 2),
    "Jefferson Middle": (Decimal("36960.00"), 1),
}  # amount, and how many fiscal years ago


async def seed_savings_demo(ctx: DemoContext, projects: DemoProjects) -> None:
    story = ctx.story
    last_year, this_year = story.claimed_year, story.school_year
    team = ctx.as_(IMPROVEMENT_LEAD)
    finance = ctx.as_(FINANCE_ANALYST, Role.FINANCE_VALIDATOR)
    bus = projects.late_bus

    recovered, note = await instructional_time_recovered(ctx, bus)
    claim = await _record(
        ctx,
        team,
        bus,
        SavingsCategory.INSTRUCTIONAL_TIME,
        recovered,
        HOURS,
        last_year,
        REALIZED,
        note,
    )
    await _validate(ctx, finance, claim)
    drivers = await _record(
        ctx,
        team,
        bus,
        HARD,
        Decimal("61400.00"),
        USD,
        last_year,
        PROJECTED,
        "Two routes merged: a driver's pay and benefits, fuel, maintenance",
    )
    await update_savings(
        session=ctx.session,
        district_id=ctx.district_id,
        principal=team,
        data=SavingsUpdate(drivers.id, status=REALIZED, note="Payroll and fuel cards reconciled"),
        today=story.today,
    )
    await audit(ctx.session, team, "updateSavings", "savings_entry", drivers.id, status="REALIZED")
    await _validate(ctx, finance, drivers)
    bus_avoided = await _record(
        ctx,
        team,
        bus,
        AVOIDED,
        Decimal("118000.00"),
        USD,
        last_year,
        REALIZED,
        "No 19th bus bought for the new subdivision's riders",
    )
    await _validate(ctx, finance, bus_avoided)
    twice = await _record(
        ctx,
        team,
        bus,
        HARD,
        Decimal("12500.00"),
        USD,
        last_year,
        REALIZED,
        "Overtime no longer paid on the late routes",
    )
    reversal = await reverse_savings(
        session=ctx.session,
        district_id=ctx.district_id,
        principal=finance,
        entry_id=twice.id,
        reason="Already counted in the drivers' pay entry: recorded twice",
    )
    await audit(
        ctx.session,
        finance,
        "reverseSavings",
        "savings_entry",
        reversal.id,
        **audit_details(reversal),
    )
    await _record(
        ctx,
        team,
        bus,
        HARD,
        Decimal("64000.00"),
        USD,
        this_year,
        PROJECTED,
        "Second year of the merged routes",
    )
    await _record(
        ctx,
        team,
        projects.lunch,
        HARD,
        Decimal("22300.00"),
        USD,
        last_year,
        REALIZED,
        "Fewer processed entrées bought; commodity foods used in full",
    )
    for school, (amount, years_ago) in ADOPTION_AID.items():
        entry = await _record(
            ctx,
            team,
            projects.attendance,
            HARD,
            amount,
            USD,
            this_year - years_ago,
            REALIZED,
            f"Attendance-based state aid recovered at {school}",
            adoption=projects.adoptions[school],
        )
        if years_ago > 1:
            await _validate(ctx, finance, entry)
    cfo = ctx.as_(FINANCE, Role.FINANCE_VALIDATOR)
    allocation = await allocate_savings(
        session=ctx.session,
        district_id=ctx.district_id,
        principal=cfo,
        data=AllocationCreate(
            fiscal_year=last_year,
            process_id=ctx.processes["1.2"].id,
            unit=USD,
            amount=REINVESTED_USD,
            note="After-school math tutoring at Jefferson Middle and Madison Middle",
        ),
    )
    await audit(
        ctx.session,
        cfo,
        "allocateSavings",
        "savings_allocation",
        allocation.id,
        amount=REINVESTED_USD,
    )


async def instructional_time_recovered(ctx: DemoContext, project: Project) -> tuple[Decimal, str]:
    """Student instructional hours lost in the project's baseline school year minus those lost
    last year, district-wide, as ``instructionalTimeLost`` reports them."""
    lost = {}
    for year in (project.baseline_school_year or ctx.story.baseline_year, ctx.story.claimed_year):
        report = await time_loss_report(
            session=ctx.session, district_id=ctx.district_id, school_year=year, grouping="MONTH"
        )
        lost[year] = report.total.student_instructional_hours_lost
    (before, then), (after, now) = sorted(lost.items())
    note = (
        f"Student instructional hours recovered: {then} lost to late buses in school year "
        f"{before} against {now} in {after}, from the bus runs"
    )
    return then - now, note


async def _record(
    ctx: DemoContext,
    principal: Principal,
    project: Project,
    category: SavingsCategory,
    amount: Decimal,
    unit: SavingsUnit,
    fiscal_year: int,
    status: SavingsStatus,
    note: str,
    adoption: uuid.UUID | None = None,
) -> SavingsEntry:
    entry = await record_savings(
        session=ctx.session,
        district_id=ctx.district_id,
        principal=principal,
        data=SavingsCreate(
            project_id=project.id,
            category=category,
            amount=amount,
            unit=unit,
            fiscal_year=fiscal_year,
            status=status,
            adoption_id=adoption,
            note=note,
        ),
        today=ctx.story.today,
    )
    await audit(
        ctx.session, principal, "recordSavings", "savings_entry", entry.id, **audit_details(entry)
    )
    return entry


async def _validate(ctx: DemoContext, finance: Principal, entry: SavingsEntry) -> None:
    await validate_savings(
        session=ctx.session, district_id=ctx.district_id, principal=finance, entry_id=entry.id
    )
    await audit(ctx.session, finance, "validateSavings", "savings_entry", entry.id)
