"""The demo district's improvement program, written through the improvement services as the
people of the story would have called the API (their roles, their dates, their notes).

- "On time, every bus, every bell": converted from the families' requirement that buses come
  on time, through its tollgates to CONTROL, with a baseline from the bus runs of the year
  before the change, validated savings (``savings/demo.py``) and a COMPLIANT plan.
- "Breakfast after the bell": opened from the RED breakfast-participation KPI, waiting at its
  ANALYZE tollgate.
- "Scratch-cooked lunch menu" and "Share tables in every cafeteria": CLOSED, their plans
  still checked (one AT_RISK, its target missed; one NON_COMPLIANT, its reviews stopped).
- "Attendance outreach pilot": CLOSED at Lincoln Elementary, its practice since adopted at
  three more schools (``practices/demo.py``).
- A backlog of ideas in every PICK quadrant.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.demo import (
    DEPUTY_OPERATIONS,
    IMPROVEMENT_LEAD,
    NUTRITION,
    STUDENT_SERVICES,
    SUPERINTENDENT,
    TRANSPORTATION,
    DemoStory,
    audit,
)
from district_ppm.errors import Conflict
from district_ppm.improvement.demo_context import (
    DemoContext,
    DemoProjects,
    Gate,
    closed_project,
    pass_tollgates,
    set_baseline,
)
from district_ppm.improvement.models import OpportunitySource, OpportunityStatus, Project
from district_ppm.improvement.opportunities import (
    Conversion,
    OffTargetMeasure,
    OpportunityCreate,
    convert_opportunity,
    create_opportunity,
    create_opportunity_from_measure,
    set_opportunity_status,
)
from district_ppm.improvement.phases import request_tollgate
from district_ppm.improvement.projects import ProjectCharter
from district_ppm.measures.models import Measure
from district_ppm.practices.demo import seed_practices_demo
from district_ppm.processes.models import Process
from district_ppm.savings.demo import seed_savings_demo
from district_ppm.schools.models import School
from district_ppm.sustainability.demo import seed_sustainability_demo
from district_ppm.tenancy.models import Role


async def seed_improvement_demo(
    *, session: AsyncSession, district_id: uuid.UUID, story: DemoStory, schools: list[School]
) -> None:
    """The projects, their savings, plans and practice (see the module docstring)."""
    measures = {
        m.code: m
        for m in await session.scalars(select(Measure).where(Measure.district_id == district_id))
    }
    processes = {
        p.code: p
        for p in await session.scalars(select(Process).where(Process.district_id == district_id))
    }
    ctx = DemoContext(session, district_id, story, schools, measures, processes)
    projects = DemoProjects(
        late_bus=await _late_bus(ctx),
        breakfast=await _breakfast(ctx),
        lunch=await _lunch(ctx),
        waste=await _waste(ctx),
        attendance=await _attendance(ctx),
    )
    await seed_sustainability_demo(ctx, projects)
    for project in (projects.lunch, projects.waste, projects.attendance):
        await pass_tollgates(ctx, project, [_CLOSING[project.title](story)], IMPROVEMENT_LEAD)
    await seed_practices_demo(ctx, projects)
    await seed_savings_demo(ctx, projects)
    await _backlog(ctx)


async def _late_bus(ctx: DemoContext) -> Project:
    story, fall = ctx.story, ctx.story.school_year - 2
    lead = ctx.as_(IMPROVEMENT_LEAD)
    idea = await create_opportunity(
        session=ctx.session,
        district_id=ctx.district_id,
        data=OpportunityCreate(
            title="Buses arrive after the first bell",
            source=OpportunitySource.CTQ_GAP,
            impact=5,
            effort=3,
            alignment=5,
            process_id=ctx.processes["4.2"].id,
            measure_id=ctx.measures["TRN-ON-TIME"].id,
            estimated_savings=Decimal("60000.00"),
            description=(
                "Families ask for 95% of buses on time; about 88% are. One late run in two "
                "reaches school after the first bell, and its riders miss the start of class."
            ),
        ),
        created_by=str(TRANSPORTATION),
    )
    await audit(ctx.session, lead, "createOpportunity", "opportunity", idea.id, title=idea.title)
    _, project = await convert_opportunity(
        session=ctx.session,
        district_id=ctx.district_id,
        opportunity_id=idea.id,
        conversion=Conversion(
            title="On time, every bus, every bell",
            problem_statement=(
                "One bus run in eight arrives late, often after the first bell: students lose "
                "instructional time and miss breakfast, and families do not trust the buses."
            ),
            goal_statement="94% of runs on time district-wide by the spring, and kept there.",
            scope="All 18 daily routes; not field trips or athletics.",
            sponsor=str(DEPUTY_OPERATIONS),
            lead=str(TRANSPORTATION),
            team=[
                str(IMPROVEMENT_LEAD),
                "Luis Ortega, Lead Dispatcher",
                "Carla Jones, Bus Driver (route 04-1)",
                "Ben Foster, Routing Analyst",
            ],
        ),
        created_by=lead.actor,
    )
    await audit(ctx.session, lead, "convertOpportunity", "opportunity", idea.id)
    await pass_tollgates(
        ctx,
        project,
        [Gate(date(fall, 10, 6), date(fall, 10, 8), "Charter approved; the team meets weekly")],
        IMPROVEMENT_LEAD,
    )
    baseline = await ctx.yearly_mean("TRN-ON-TIME", story.baseline_year)
    await set_baseline(ctx, project, baseline, 94.0, story.baseline_year)
    await pass_tollgates(
        ctx,
        project,
        [
            Gate(
                date(fall, 11, 3),
                date(fall, 11, 5),
                f"Baseline: {baseline}% of runs on time in the school year before. Late runs "
                "cluster on six routes and in the first ten minutes of dispatch.",
            ),
            Gate(
                date(fall, 12, 8),
                date(fall, 12, 10),
                "Root causes confirmed: all routes dispatched at once from one yard; two routes "
                "overlap at Central High. New routes approved to start after the winter break.",
            ),
            Gate(
                date(fall + 1, 3, 2),
                date(fall + 1, 3, 4),
                "Eight weeks on the new routes: on time above 94% every week. Into CONTROL "
                "with a sustainability plan owned by Transportation.",
            ),
        ],
        IMPROVEMENT_LEAD,
    )
    return project


async def _breakfast(ctx: DemoContext) -> Project:
    story, today = ctx.story, ctx.story.today
    nutrition = ctx.as_(NUTRITION, Role.PROCESS_OWNER)
    measure = ctx.measures["NUT-ADP-BREAKFAST"]
    try:
        idea = await create_opportunity_from_measure(
            session=ctx.session,
            district_id=ctx.district_id,
            data=OffTargetMeasure(
                measure_id=measure.id,
                school_year=story.reporting_year,
                impact=4,
                effort=2,
                alignment=4,
                estimated_savings=Decimal("25000.00"),
            ),
            created_by=nutrition.actor,
        )
        await audit(ctx.session, nutrition, "createOpportunityFromMeasure", "opportunity", idea.id)
    except Conflict:  # not RED (an older demo's data): the same idea, entered by hand
        idea = await create_opportunity(
            session=ctx.session,
            district_id=ctx.district_id,
            data=OpportunityCreate(
                title=f"{measure.code} {measure.name} is off target",
                source=OpportunitySource.OFF_TARGET_KPI,
                impact=4,
                effort=2,
                alignment=4,
                process_id=measure.process_id,
                measure_id=measure.id,
            ),
            created_by=nutrition.actor,
        )
    lead = ctx.as_(IMPROVEMENT_LEAD)
    _, project = await convert_opportunity(
        session=ctx.session,
        district_id=ctx.district_id,
        opportunity_id=idea.id,
        conversion=Conversion(
            title="Breakfast after the bell",
            problem_statement=(
                "Breakfast participation fell this year once breakfast closed at the first "
                "bell: students on late buses and older students arriving at the bell go "
                "without."
            ),
            goal_statement="Breakfast participation back above last year's by the spring.",
            scope="Jefferson Middle, Madison Middle and Central High first.",
            sponsor=str(DEPUTY_OPERATIONS),
            lead=str(NUTRITION),
            team=[str(IMPROVEMENT_LEAD), "Rosa Diaz, Cafeteria Manager, Central High"],
            school_ids=[
                ctx.schools[name].id
                for name in ("Jefferson Middle", "Madison Middle", "Central High")
            ],
        ),
        created_by=lead.actor,
    )
    await audit(ctx.session, lead, "convertOpportunity", "opportunity", idea.id)
    await pass_tollgates(
        ctx,
        project,
        [Gate(today - timedelta(days=44), today - timedelta(days=42), "Charter approved")],
        IMPROVEMENT_LEAD,
    )
    baseline = await ctx.yearly_mean("NUT-ADP-BREAKFAST", story.reporting_year - 1)
    await set_baseline(ctx, project, baseline, round(baseline + 2, 1), story.reporting_year - 1)
    await pass_tollgates(
        ctx,
        project,
        [
            Gate(
                today - timedelta(days=16),
                today - timedelta(days=14),
                f"Baseline {baseline}% last school year; counts by period and by bus arrival "
                "taken at the three secondary schools.",
            )
        ],
        IMPROVEMENT_LEAD,
    )
    await request_tollgate(
        session=ctx.session,
        district_id=ctx.district_id,
        project_id=project.id,
        requested_by=lead.actor,
        note=(
            "Analysis done: two students in three who skip breakfast arrive within five "
            "minutes of the bell. Proposed: grab-and-go carts and breakfast in first period."
        ),
        at=story.at(today - timedelta(days=2)),
    )
    await audit(ctx.session, lead, "requestTollgate", "project", project.id)
    return project


async def _lunch(ctx: DemoContext) -> Project:
    fall = ctx.story.school_year - 2
    baseline = await ctx.yearly_mean("NUT-ADP-LUNCH", fall)
    charter = ProjectCharter(
        title="Scratch-cooked lunch menu",
        problem_statement="Lunch participation is flat and students say the food is bland.",
        goal_statement="Lunch participation up four points with a scratch-cooked menu.",
        process_id=ctx.processes["3.1"].id,
        primary_measure_id=ctx.measures["NUT-ADP-LUNCH"].id,
        sponsor=str(DEPUTY_OPERATIONS),
        lead=str(NUTRITION),
        team=["Chef Anita Shah", "Student nutrition advisory council"],
    )
    gates = [
        Gate(None, date(fall, 9, 15), "Charter approved"),
        Gate(None, date(fall, 10, 13), "Baseline and student survey done"),
        Gate(None, date(fall, 11, 17), "Taste tests at two schools; menu cycle designed"),
        Gate(None, date(fall + 1, 2, 9), "New menu in every cafeteria since January"),
    ]
    return await closed_project(
        ctx, charter, gates, (baseline, round(baseline + 4, 1), fall), NUTRITION
    )


async def _waste(ctx: DemoContext) -> Project:
    fall = ctx.story.school_year - 3
    baseline = await ctx.yearly_mean("NUT-WASTE", fall)
    charter = ProjectCharter(
        title="Share tables in every cafeteria",
        problem_statement="A third of what students are served is thrown away.",
        goal_statement="Plate waste under 28% with share tables and offer-versus-serve.",
        process_id=ctx.processes["3.1"].id,
        primary_measure_id=ctx.measures["NUT-WASTE"].id,
        sponsor=str(DEPUTY_OPERATIONS),
        lead=str(NUTRITION),
    )
    gates = [
        Gate(None, date(fall, 9, 22), "Charter approved"),
        Gate(None, date(fall, 10, 20), "Waste audits at all six cafeterias"),
        Gate(None, date(fall + 1, 1, 12), "Share tables approved by the health department"),
        Gate(None, date(fall + 1, 4, 6), "Waste down five points since February"),
    ]
    return await closed_project(ctx, charter, gates, (baseline, 28.0, fall), NUTRITION)


async def _attendance(ctx: DemoContext) -> Project:
    fall = ctx.story.school_year - 4
    pilot = "Lincoln Elementary"
    baseline = await ctx.yearly_mean("SS-CHRONIC-ABS", fall + 1, pilot)
    charter = ProjectCharter(
        title="Attendance outreach pilot",
        problem_statement="One Lincoln student in seven is chronically absent.",
        goal_statement="Chronic absence at Lincoln down three points in a year.",
        process_id=ctx.processes["2.1"].id,
        primary_measure_id=ctx.measures["SS-CHRONIC-ABS"].id,
        school_ids=[ctx.schools[pilot].id],
        sponsor=str(SUPERINTENDENT),
        lead=str(STUDENT_SERVICES),
        team=["Maya Chen, Principal, Lincoln Elementary", "Lincoln family liaison"],
    )
    gates = [
        Gate(None, date(fall, 8, 28), "Charter approved"),
        Gate(None, date(fall, 9, 18), "Absence patterns by grade and day mapped"),
        Gate(None, date(fall, 12, 4), "Outreach team and scripts ready for January"),
        Gate(None, date(fall + 1, 3, 4), "Chronic absence at Lincoln down since January"),
    ]
    return await closed_project(
        ctx, charter, gates, (baseline, round(baseline - 3, 1), fall + 1), STUDENT_SERVICES
    )


# The CONTROL -> CLOSED tollgate of each closed project, once its plan exists.
_CLOSING = {
    "Scratch-cooked lunch menu": lambda s: Gate(
        None, date(s.school_year - 1, 5, 18), "Handed over to Nutrition; plan in place"
    ),
    "Share tables in every cafeteria": lambda s: Gate(
        None, date(s.school_year - 2, 6, 2), "Handed over to the cafeteria managers"
    ),
    "Attendance outreach pilot": lambda s: Gate(
        None,
        date(s.school_year - 3, 5, 20),
        "Closed; the outreach team becomes a practice for other schools",
    ),
}


async def _backlog(ctx: DemoContext) -> None:
    """Ideas waiting in the backlog, one in each PICK quadrant and more."""
    staff = ctx.as_(IMPROVEMENT_LEAD)
    ideas = [
        ("LED lighting in the two middle schools", OpportunitySource.STAFF_IDEA, "5.1",
         "FAC-ENERGY-SQFT", (4, 2, 3), "48000.00", OpportunityStatus.ACCEPTED),
        ("Invoices approved by e-signature", OpportunitySource.AUDIT, "7.1",
         "FIN-INVOICES-ON-TIME", (3, 2, 3), "9000.00", OpportunityStatus.NEW),
        ("Automated substitute calling", OpportunitySource.STAFF_IDEA, "8.1",
         "HR-TIME-TO-FILL", (3, 4, 4), None, OpportunityStatus.NEW),
        ("Text families when a bus runs late", OpportunitySource.CTQ_GAP, "4.2",
         "TRN-ON-TIME", (2, 1, 4), None, OpportunityStatus.NEW),
        ("A help-desk chat bot", OpportunitySource.OTHER, "6.1",
         "TEC-TICKET-RESOLVE", (2, 4, 2), None, OpportunityStatus.DECLINED),
    ]  # fmt: skip
    for title, source, process, code, (impact, effort, alignment), savings, status in ideas:
        idea = await create_opportunity(
            session=ctx.session,
            district_id=ctx.district_id,
            data=OpportunityCreate(
                title=title,
                source=source,
                impact=impact,
                effort=effort,
                alignment=alignment,
                process_id=ctx.processes[process].id,
                measure_id=ctx.measures[code].id,
                estimated_savings=Decimal(savings) if savings else None,
            ),
            created_by=staff.actor,
        )
        await audit(ctx.session, staff, "createOpportunity", "opportunity", idea.id, title=title)
        if status is not OpportunityStatus.NEW:
            await set_opportunity_status(
                session=ctx.session,
                district_id=ctx.district_id,
                opportunity_id=idea.id,
                status=status,
            )
            await audit(ctx.session, staff, "setOpportunityStatus", "opportunity", idea.id)
