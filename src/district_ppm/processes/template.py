"""The K-12 starter template: key processes and a few standard KPIs each, in our own words.

Applying it is idempotent: processes and measures whose codes exist are left as they are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.measures.models import Aggregation, Measure
from district_ppm.measures.models import Direction as D
from district_ppm.measures.models import Frequency as F
from district_ppm.measures.models import MeasureLevel as L
from district_ppm.measures.models import Stage as S
from district_ppm.measures.models import Unit as U
from district_ppm.measures.service import MeasureSpec, ensure_measure
from district_ppm.processes.models import Process, ProcessKind
from district_ppm.processes.service import code_sort_key

INSTR, OPS, MGMT = ProcessKind.INSTRUCTIONAL, ProcessKind.OPERATIONAL, ProcessKind.MANAGEMENT
UP, DOWN = D.HIGHER_IS_BETTER, D.LOWER_IS_BETTER


@dataclass(frozen=True, slots=True)
class TemplateProcess:
    code: str
    name: str
    kind: ProcessKind
    is_key: bool = False


PROCESSES = [
    TemplateProcess("1", "Teaching and learning", INSTR),
    TemplateProcess("1.1", "Plan and align curriculum", INSTR, True),
    TemplateProcess("1.2", "Deliver instruction", INSTR, True),
    TemplateProcess("1.3", "Assess learning and act on results", INSTR, True),
    TemplateProcess("2", "Student support", INSTR),
    TemplateProcess("2.1", "Keep students attending", INSTR, True),
    TemplateProcess("2.2", "Provide counseling and interventions", INSTR),
    TemplateProcess("3", "Nutrition services", OPS),
    TemplateProcess("3.1", "Plan, prepare and serve meals", OPS, True),
    TemplateProcess("4", "Transportation", OPS),
    TemplateProcess("4.1", "Plan routes", OPS),
    TemplateProcess("4.2", "Run daily bus service", OPS, True),
    TemplateProcess("5", "Facilities", OPS),
    TemplateProcess("5.1", "Maintain buildings and grounds", OPS, True),
    TemplateProcess("6", "Technology", OPS),
    TemplateProcess("6.1", "Support devices and help desk", OPS, True),
    TemplateProcess("7", "Finance", MGMT),
    TemplateProcess("7.1", "Budget and pay", MGMT, True),
    TemplateProcess("8", "Human resources", MGMT),
    TemplateProcess("8.1", "Recruit, hire and keep staff", MGMT, True),
    TemplateProcess("9", "Governance", MGMT),
    TemplateProcess("9.1", "Set strategy and review performance", MGMT, True),
]


def _m(
    code: str,
    name: str,
    unit: U,
    direction: D,
    stage: S,
    level: L,
    process: str | None,
    frequency: F = F.MONTHLY,
    definition: str | None = None,
    aggregation: Aggregation | None = None,
) -> MeasureSpec:
    # Every school-level percent or ratio below is a quotient of two amounts a school can
    # report (days attended of days enrolled, meals served of labour hours): given both, the
    # district's figure pools them (RATIO), and given only the value it is still their mean.
    if aggregation is None and level is L.SCHOOL and unit in (U.PERCENT, U.RATIO):
        aggregation = Aggregation.RATIO
    return MeasureSpec(
        code=code,
        name=name,
        unit=unit,
        direction=direction,
        stage=stage,
        frequency=frequency,
        level=level,
        process_code=process,
        definition=definition,
        aggregation=aggregation,
    )


MEASURES = [
    _m("TL-PD-HOURS", "Teacher professional learning hours", U.HOURS, UP, S.INPUT, L.SCHOOL, "1.1"),
    _m(
        "TL-WALKTHROUGHS",
        "Classroom walkthroughs completed",
        U.COUNT,
        UP,
        S.ACTIVITY,
        L.SCHOOL,
        "1.2",
    ),
    _m("TL-PLC-MEETINGS", "Team planning meetings held", U.COUNT, UP, S.ACTIVITY, L.SCHOOL, "1.2"),
    _m(
        "TL-ASSESS-DONE",
        "Interim assessments completed on time",
        U.PERCENT,
        UP,
        S.OUTPUT,
        L.SCHOOL,
        "1.3",
    ),
    _m(
        "TL-ELA-PROF",
        "Students proficient in reading",
        U.PERCENT,
        UP,
        S.INTERMEDIATE_OUTCOME,
        L.SCHOOL,
        "1.3",
        F.SCHOOL_YEAR,
    ),
    _m(
        "TL-MATH-PROF",
        "Students proficient in math",
        U.PERCENT,
        UP,
        S.INTERMEDIATE_OUTCOME,
        L.SCHOOL,
        "1.3",
        F.SCHOOL_YEAR,
    ),
    _m(
        "TL-ON-TRACK-9",
        "Ninth graders on track to graduate",
        U.PERCENT,
        UP,
        S.SHORT_TERM_OUTCOME,
        L.SCHOOL,
        "1.3",
    ),
    _m(
        "TL-GRAD-RATE",
        "Four-year graduation rate",
        U.PERCENT,
        UP,
        S.LONG_TERM_OUTCOME,
        L.DISTRICT,
        None,
        F.SCHOOL_YEAR,
    ),
    _m("SS-ADA", "Average daily attendance", U.PERCENT, UP, S.OUTPUT, L.SCHOOL, "2.1"),
    _m(
        "SS-CHRONIC-ABS",
        "Chronically absent students",
        U.PERCENT,
        DOWN,
        S.SHORT_TERM_OUTCOME,
        L.SCHOOL,
        "2.1",
        definition="Share of enrolled students who missed 10% or more of the days enrolled so far.",
    ),
    _m("SS-OUTREACH", "Attendance outreach contacts", U.COUNT, UP, S.ACTIVITY, L.SCHOOL, "2.1"),
    _m("SS-COUNSELOR-RATIO", "Students per counselor", U.RATIO, DOWN, S.INPUT, L.SCHOOL, "2.2"),
    _m(
        "SS-SUSPENSIONS",
        "Out-of-school suspensions",
        U.COUNT,
        DOWN,
        S.SHORT_TERM_OUTCOME,
        L.SCHOOL,
        "2.2",
    ),
    _m("NUT-MPLH", "Meals per labor hour", U.RATIO, UP, S.OUTPUT, L.SCHOOL, "3.1"),
    _m(
        "NUT-ADP-LUNCH",
        "Average daily participation, lunch",
        U.PERCENT,
        UP,
        S.OUTPUT,
        L.SCHOOL,
        "3.1",
    ),
    _m(
        "NUT-ADP-BREAKFAST",
        "Average daily participation, breakfast",
        U.PERCENT,
        UP,
        S.OUTPUT,
        L.SCHOOL,
        "3.1",
    ),
    _m("NUT-FOOD-COST", "Food cost per meal", U.DOLLARS, DOWN, S.INPUT, L.DISTRICT, "3.1"),
    _m("NUT-WASTE", "Plate waste", U.PERCENT, DOWN, S.OUTPUT, L.SCHOOL, "3.1"),
    _m(
        "TRN-ON-TIME",
        "On-time arrival rate",
        U.PERCENT,
        UP,
        S.OUTPUT,
        L.SCHOOL,
        "4.2",
        definition=(
            "Runs that were not late (no more than the district's grace minutes after their "
            "scheduled arrival, in whole minutes) as a percent of the period's runs, to four "
            "decimals. District-wide: all schools' on-time runs over all their runs."
        ),
    ),
    _m(
        "TRN-LATE-INSTANCES",
        "Late bus arrivals",
        U.COUNT,
        DOWN,
        S.OUTPUT,
        L.SCHOOL,
        "4.2",
        definition="Runs arriving later than scheduled plus the district's grace minutes.",
    ),
    _m(
        "TRN-AVG-LATE-MIN",
        "Average minutes late per late arrival",
        U.MINUTES,
        DOWN,
        S.OUTPUT,
        L.SCHOOL,
        "4.2",
        definition=(
            "The minutes late of the period's late runs, summed, divided by the number of late "
            "runs; 0 when no run was late. A run's minutes late are the whole minutes from its "
            "scheduled to its actual arrival (none when early; seconds ignored), and it is a "
            "late run when they exceed the district's grace minutes. District-wide: all "
            "schools' late minutes over all their late runs."
        ),
        # Its values carry late minutes over late runs: the district's average is the sum of
        # the one over the sum of the other, as instructionalTimeLost reports it.
        aggregation=Aggregation.RATIO,
    ),
    _m(
        "TRN-INSTR-HOURS-LOST",
        "Instructional hours lost to late buses",
        U.HOURS,
        DOWN,
        S.OUTPUT,
        L.SCHOOL,
        "4.2",
        definition=(
            "Whole minutes each run arrived after the first bell of the school it serves (0 when "
            "it arrived by the bell; seconds ignored), summed over all the period's runs, late "
            "or not, and divided by 60. Rounded to two decimals only after summing; "
            "district-wide, after summing the schools."
        ),
    ),
    _m(
        "TRN-STUDENT-INSTR-HOURS-LOST",
        "Student instructional hours lost to late buses",
        U.HOURS,
        DOWN,
        S.OUTPUT,
        L.SCHOOL,
        "4.2",
        definition="Minutes a bus arrived after first bell times its riders, in hours.",
    ),
    _m(
        "TRN-COST-PER-RIDER",
        "Transportation cost per rider",
        U.DOLLARS,
        DOWN,
        S.INPUT,
        L.DISTRICT,
        "4.1",
    ),
    _m(
        "FAC-WO-CLOSED-ON-TIME",
        "Work orders closed within target days",
        U.PERCENT,
        UP,
        S.OUTPUT,
        L.SCHOOL,
        "5.1",
    ),
    _m("FAC-WO-BACKLOG", "Open work orders", U.COUNT, DOWN, S.ACTIVITY, L.SCHOOL, "5.1"),
    _m(
        "FAC-ENERGY-SQFT",
        "Energy cost per square foot",
        U.DOLLARS,
        DOWN,
        S.INPUT,
        L.SCHOOL,
        "5.1",
        # Dollars, but a rate: the district's figure is total cost over total floor area.
        aggregation=Aggregation.RATIO,
    ),
    _m(
        "TEC-TICKET-RESOLVE",
        "Help-desk tickets resolved within a day",
        U.PERCENT,
        UP,
        S.OUTPUT,
        L.DISTRICT,
        "6.1",
    ),
    _m(
        "TEC-DEVICE-UPTIME",
        "Student devices in working order",
        U.PERCENT,
        UP,
        S.OUTPUT,
        L.SCHOOL,
        "6.1",
    ),
    _m("FIN-INVOICES-ON-TIME", "Invoices paid on time", U.PERCENT, UP, S.OUTPUT, L.DISTRICT, "7.1"),
    _m(
        "FIN-BUDGET-VARIANCE",
        "Spending variance from budget",
        U.PERCENT,
        DOWN,
        S.OUTPUT,
        L.DISTRICT,
        "7.1",
    ),
    _m("HR-TIME-TO-FILL", "Days to fill a vacancy", U.COUNT, DOWN, S.ACTIVITY, L.DISTRICT, "8.1"),
    _m("HR-VACANCIES", "Open teaching positions", U.COUNT, DOWN, S.INPUT, L.SCHOOL, "8.1"),
    _m(
        "HR-TEACHER-RETENTION",
        "Teachers retained year to year",
        U.PERCENT,
        UP,
        S.INTERMEDIATE_OUTCOME,
        L.SCHOOL,
        "8.1",
        F.SCHOOL_YEAR,
    ),
    _m(
        "GOV-DECISIONS-ON-TIME",
        "Board decisions completed by their due date",
        U.PERCENT,
        UP,
        S.OUTPUT,
        L.DISTRICT,
        "9.1",
    ),
    _m(
        "GOV-FAMILY-SATISFACTION",
        "Families satisfied with their school",
        U.PERCENT,
        UP,
        S.SHORT_TERM_OUTCOME,
        L.SCHOOL,
        "9.1",
        F.SCHOOL_YEAR,
    ),
]


@dataclass(frozen=True, slots=True)
class TemplateResult:
    processes_created: int
    measures_created: int


async def apply_template(*, session: AsyncSession, district_id: uuid.UUID) -> TemplateResult:
    """Create the template's missing processes (parents first) and measures."""
    existing = {
        p.code: p.id
        for p in await session.scalars(select(Process).where(Process.district_id == district_id))
    }
    created = 0
    for item in sorted(PROCESSES, key=lambda p: code_sort_key(p.code)):
        if item.code in existing:
            continue
        parent_code = item.code.rpartition(".")[0]
        process = Process(
            id=uuid.uuid4(),
            district_id=district_id,
            code=item.code,
            name=item.name,
            kind=item.kind,
            is_key=item.is_key,
            parent_id=existing.get(parent_code),
        )
        session.add(process)
        existing[item.code] = process.id
        created += 1
    await session.flush()
    before = set(
        await session.scalars(select(Measure.code).where(Measure.district_id == district_id))
    )
    for spec in MEASURES:
        await ensure_measure(session=session, district_id=district_id, spec=spec)
    return TemplateResult(
        processes_created=created,
        measures_created=len({m.code for m in MEASURES} - before),
    )
