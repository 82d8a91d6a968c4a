"""The demo district's measures: the template tree with owners, three school years of monthly
data in realistic ranges (``demo_profiles.py``), targets set from the year before, annotated
changes, two logic models and two customer requirements.

Data are deterministic (each series is seeded by its measure code and school) and tell the
story of ``district_ppm.demo``: attendance outreach lowers chronic absence school by school as
schools adopt it, a scratch-cooked menu lifts lunch participation, share tables cut plate
waste, breakfast participation falls once breakfast closes at the first bell, food costs jump
with a new vendor contract, and tutoring hours grow at the middle schools.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.demo import ACADEMIC_OFFICER, OWNERS_BY_PROCESS, DemoStory
from district_ppm.measures.charts import annotate
from district_ppm.measures.demo_profiles import PROFILES
from district_ppm.measures.demo_series import Effect, effects_of, values_of
from district_ppm.measures.logic_service import (
    CustomerRequirementCreate,
    LinkChange,
    LogicModelCreate,
    create_customer_requirement,
    create_logic_model,
    link_measures,
)
from district_ppm.measures.models import (
    Aggregation,
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Measurement,
    Stage,
    Unit,
)
from district_ppm.measures.recording import record_measurements
from district_ppm.measures.series import load_district_series
from district_ppm.measures.service import MeasureSpec, TargetSet, ensure_measure, set_target
from district_ppm.processes.models import Process
from district_ppm.processes.template import apply_template
from district_ppm.school_calendar import school_year_of
from district_ppm.schools.models import School

DEMO_BY = "demo"
EXTRA_MEASURES = [
    MeasureSpec(
        "OUT-KINDER-READY",
        "Kindergartners ready to learn",
        Unit.PERCENT,
        Direction.HIGHER_IS_BETTER,
        Stage.SHORT_TERM_OUTCOME,
        Frequency.SCHOOL_YEAR,
        MeasureLevel.SCHOOL,
        "1.3",
    ),
    MeasureSpec(
        "OUT-COLLEGE-ENROLL",
        "Graduates enrolled in college in the fall",
        Unit.PERCENT,
        Direction.HIGHER_IS_BETTER,
        Stage.LONG_TERM_OUTCOME,
        Frequency.SCHOOL_YEAR,
        MeasureLevel.DISTRICT,
    ),
    MeasureSpec(
        "OUT-CAREER-CERT",
        "Graduates with an industry certificate",
        Unit.PERCENT,
        Direction.HIGHER_IS_BETTER,
        Stage.LONG_TERM_OUTCOME,
        Frequency.SCHOOL_YEAR,
        MeasureLevel.DISTRICT,
    ),
    MeasureSpec(
        "SS-MENTOR-HOURS",
        "Mentoring and tutoring hours for students at risk",
        Unit.HOURS,
        Direction.HIGHER_IS_BETTER,
        Stage.ACTIVITY,
        Frequency.MONTHLY,
        MeasureLevel.SCHOOL,
        "2.2",
    ),
]


async def seed_measures_demo(
    *, session: AsyncSession, district_id: uuid.UUID, story: DemoStory, schools: list[School]
) -> None:
    """Template, owners, data, targets, notes, logic models and customer requirements;
    skipped once the district has measurements."""
    await apply_template(session=session, district_id=district_id)
    for spec in EXTRA_MEASURES:
        await ensure_measure(session=session, district_id=district_id, spec=spec)
    if await session.scalar(
        select(Measurement.id).where(Measurement.district_id == district_id).limit(1)
    ):
        return
    measures = list(
        await session.scalars(
            select(Measure).where(Measure.district_id == district_id).order_by(Measure.code)
        )
    )
    await assign_owners(session=session, district_id=district_id, measures=measures)
    effects = effects_of(story)
    for measure in measures:
        profile = PROFILES.get(measure.code)
        if profile is None or profile.computed:
            continue
        values = values_of(measure, profile, story, schools, effects.get(measure.code, []))
        await record_measurements(
            session=session,
            district_id=district_id,
            measure_id=measure.id,
            values=values,
            recorded_by=DEMO_BY,
        )
    by_code = {measure.code: measure for measure in measures}
    await _annotate(session, district_id, by_code, schools, effects, story)
    await set_targets_from_baselines(
        session=session,
        district_id=district_id,
        story=story,
        measures=[m for m in measures if m.code in PROFILES and not PROFILES[m.code].computed],
    )
    await _logic_models(session, district_id, by_code)
    await _customer_requirements(session, district_id, by_code)


async def assign_owners(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[Measure]
) -> None:
    """Every process and measure gets the owner of its top-level process; outcomes without a
    process belong to the chief academic officer. (The contract has no way to change an
    owner once a measure exists, so the demo writes them as an import of the district's
    organisation chart would.)"""
    processes = list(
        await session.scalars(select(Process).where(Process.district_id == district_id))
    )
    code_of = {process.id: process.code for process in processes}
    for process in processes:
        if process.owner is None:
            process.owner = str(OWNERS_BY_PROCESS[process.code.split(".")[0]])
    for measure in measures:
        if measure.owner is None:
            code = code_of.get(measure.process_id) if measure.process_id else None
            owner = OWNERS_BY_PROCESS[code.split(".")[0]] if code else ACADEMIC_OFFICER
            measure.owner = str(owner)
    await session.flush()


async def set_targets_from_baselines(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    story: DemoStory,
    measures: Sequence[Measure],
) -> None:
    """Each year's district-wide target from the year before: its mean is the baseline, the
    target that baseline moved by the profile's step in the better direction, the red
    threshold the baseline moved the other way (so RED is always on the bad side)."""
    series = await load_district_series(session=session, district_id=district_id, measures=measures)
    for measure in measures:
        profile = PROFILES[measure.code]
        by_year: dict[int, list[float]] = defaultdict(list)
        for period, value in series.get(measure.id, []):
            by_year[school_year_of(period)].append(value)
        summed = measure.level is MeasureLevel.SCHOOL and measure.aggregation is Aggregation.SUM
        better = 1 if measure.direction is Direction.HIGHER_IS_BETTER else -1
        for year in range(story.school_year - 2, story.school_year + 1):
            before = by_year.get(year - 1)
            if not before:
                continue
            baseline = sum(before) / len(before)
            if summed:
                step = (profile.step or 0.03) * abs(baseline)
                red = (profile.red or 0.1) * abs(baseline)
            else:
                step = profile.step or 0.05 * (profile.high - profile.low)
                red = profile.red or 0.15 * (profile.high - profile.low)
            await set_target(
                session=session,
                district_id=district_id,
                data=TargetSet(
                    measure_id=measure.id,
                    school_year=year,
                    value=round(baseline + better * step, profile.decimals),
                    red_threshold=round(baseline - better * red, profile.decimals),
                    baseline=round(baseline, profile.decimals),
                ),
            )


async def _annotate(
    session: AsyncSession,
    district_id: uuid.UUID,
    by_code: dict[str, Measure],
    schools: list[School],
    effects: dict[str, list[Effect]],
    story: DemoStory,
) -> None:
    school_ids = {school.name: school.id for school in schools}
    notes = [
        (code, e.start, e.note, None)
        for code, found in effects.items()
        if code not in ("SS-ADA", "SS-OUTREACH")
        for e in found
    ]
    food = by_code["NUT-FOOD-COST"]
    last_month = story.today.replace(day=1)
    latest = max(
        await session.scalars(
            select(Measurement.period_start).where(
                Measurement.district_id == district_id, Measurement.measure_id == food.id
            )
        ),
        default=last_month,
    )
    notes.append(("NUT-FOOD-COST", latest, "New produce and dairy contract: prices up 14%", None))
    for code, day, note, _ in notes:
        await annotate(
            session=session,
            district_id=district_id,
            measure_id=by_code[code].id,
            school_id=None,
            occurred_on=day,
            note=note,
            created_by=DEMO_BY,
        )
    # The pilot is a school's own story: its note is on Lincoln's chart.
    await annotate(
        session=session,
        district_id=district_id,
        measure_id=by_code["SS-CHRONIC-ABS"].id,
        school_id=school_ids["Lincoln Elementary"],
        occurred_on=story.outreach_pilot,
        note="Pilot: an outreach team calls every family after the second absence",
        created_by=DEMO_BY,
    )


# Logic models: (name, description, measures, links "driver drives driven").
LOGIC_MODELS = [
    (
        "Attendance outreach",
        "Outreach teams call families after the second absence and plan each student's return; "
        "students who attend learn more and graduate.",
        ["SS-OUTREACH", "TRN-ON-TIME", "SS-ADA", "SS-CHRONIC-ABS", "TL-ELA-PROF", "TL-GRAD-RATE"],
        [
            ("SS-OUTREACH", "SS-ADA"),
            ("TRN-ON-TIME", "SS-ADA"),
            ("SS-ADA", "SS-CHRONIC-ABS"),
            ("SS-CHRONIC-ABS", "TL-ELA-PROF"),
            ("TL-ELA-PROF", "TL-GRAD-RATE"),
        ],
    ),
    (
        "Middle-school tutoring",
        "After-school tutoring in math for middle-school students at risk, paid from the "
        "transportation savings: more students on track in ninth grade, more graduates.",
        [
            "SS-MENTOR-HOURS",
            "TL-ASSESS-DONE",
            "TL-MATH-PROF",
            "TL-ON-TRACK-9",
            "TL-GRAD-RATE",
            "OUT-COLLEGE-ENROLL",
        ],
        [
            ("SS-MENTOR-HOURS", "TL-ASSESS-DONE"),
            ("TL-ASSESS-DONE", "TL-ON-TRACK-9"),
            ("SS-MENTOR-HOURS", "TL-MATH-PROF"),
            ("TL-ON-TRACK-9", "TL-GRAD-RATE"),
            ("TL-MATH-PROF", "TL-GRAD-RATE"),
            ("TL-GRAD-RATE", "OUT-COLLEGE-ENROLL"),
        ],
    ),
]


async def _logic_models(
    session: AsyncSession, district_id: uuid.UUID, by_code: dict[str, Measure]
) -> None:
    for name, description, codes, links in LOGIC_MODELS:
        model = await create_logic_model(
            session=session,
            district_id=district_id,
            data=LogicModelCreate(name, description, [by_code[code].id for code in codes]),
        )
        for driver, driven in links:
            await link_measures(
                session=session,
                district_id=district_id,
                data=LinkChange(model.id, by_code[driver].id, by_code[driven].id),
            )


async def _customer_requirements(
    session: AsyncSession, district_id: uuid.UUID, by_code: dict[str, Measure]
) -> None:
    for group, requirement, code, lower, upper in (
        (
            "Families of bus riders",
            "My child's bus arrives on time, before the first bell, at least 19 days in 20",
            "TRN-ON-TIME",
            95.0,
            None,
        ),
        (
            "Students",
            "Lunch is food we want to eat: no more than 30% of it thrown away",
            "NUT-WASTE",
            None,
            30.0,
        ),
    ):
        await create_customer_requirement(
            session=session,
            district_id=district_id,
            data=CustomerRequirementCreate(group, requirement, by_code[code].id, lower, upper),
        )
