"""Opportunities: improvement ideas, scored and ranked, triaged, and converted into projects.
Callers own the transaction.

Statuses: NEW on creation; NEW, ACCEPTED and DECLINED are set freely by triage
(``set_opportunity_status``); CONVERTED only by ``convert_opportunity``, and it is final.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.improvement.models import (
    Opportunity,
    OpportunitySource,
    OpportunityStatus,
    Project,
)
from district_ppm.improvement.paging import (
    SortKey,
    aware_datetime,
    finite_decimal,
    sorted_page,
)
from district_ppm.improvement.projects import (
    MAX_NAME_LENGTH,
    ProjectCharter,
    check_references,
    create_project,
)
from district_ppm.improvement.scoring import MAX_SCORE, MIN_SCORE
from district_ppm.measures.models import Measure, MeasureStatus

MAX_DESCRIPTION_LENGTH = 10_000
MAX_SAVINGS = Decimal("999999999999.99")  # NUMERIC(14, 2)
TRIAGE_STATUSES = frozenset(
    {OpportunityStatus.NEW, OpportunityStatus.ACCEPTED, OpportunityStatus.DECLINED}
)


@dataclass(frozen=True, slots=True)
class OpportunityCreate:
    """An idea as entered. Field names in errors are the input's camelCase ones."""

    title: str
    source: OpportunitySource
    impact: int
    effort: int
    alignment: int
    process_id: uuid.UUID | None = None
    measure_id: uuid.UUID | None = None
    estimated_savings: Decimal | None = None
    description: str | None = None


def validate_scores(*, impact: int, effort: int, alignment: int) -> list[BadInput]:
    return [
        BadInput(name, f"must be a whole score from {MIN_SCORE} to {MAX_SCORE}, not {value}")
        for name, value in (("impact", impact), ("effort", effort), ("alignment", alignment))
        if not MIN_SCORE <= value <= MAX_SCORE
    ]


def validate_savings(amount: Decimal | None, field: str = "estimatedSavings") -> list[BadInput]:
    if amount is None:
        return []
    if not amount.is_finite() or amount < 0:
        return [BadInput(field, "must be an amount in USD, zero or more")]
    if amount > MAX_SAVINGS:
        return [BadInput(field, f"must be at most {MAX_SAVINGS}")]
    if amount != amount.quantize(Decimal("0.01")):
        return [BadInput(field, "has more than 2 decimals (whole cents only)")]
    return []


def validate_opportunity(data: OpportunityCreate) -> list[BadInput]:
    """Every problem with ``data``'s own values, each naming its field."""
    problems = []
    if not data.title.strip():
        problems.append(BadInput("title", "must not be empty"))
    elif len(data.title) > MAX_NAME_LENGTH:
        problems.append(BadInput("title", f"must be at most {MAX_NAME_LENGTH} characters"))
    problems += validate_scores(impact=data.impact, effort=data.effort, alignment=data.alignment)
    problems += validate_savings(data.estimated_savings)
    if data.description is not None and len(data.description) > MAX_DESCRIPTION_LENGTH:
        problems.append(
            BadInput("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
        )
    if data.source is OpportunitySource.OFF_TARGET_KPI and data.measure_id is None:
        problems.append(BadInput("measureId", "an OFF_TARGET_KPI opportunity names its measure"))
    return problems


async def create_opportunity(
    *, session: AsyncSession, district_id: uuid.UUID, data: OpportunityCreate, created_by: str
) -> Opportunity:
    """A NEW opportunity. Scores outside 1-5 are BAD_INPUT naming the score.

    Who may call: DISTRICT_ADMIN, PROCESS_OWNER, IMPROVEMENT_LEAD (declared on the field).
    """
    problems = validate_opportunity(data)
    if problems:
        raise problems[0]
    await check_references(
        session=session,
        district_id=district_id,
        process_id=data.process_id,
        measure_id=data.measure_id,
        measure_field="measureId",
    )
    opportunity = Opportunity(
        id=uuid.uuid4(),
        district_id=district_id,
        title=data.title.strip(),
        description=data.description,
        source=data.source,
        process_id=data.process_id,
        measure_id=data.measure_id,
        impact=data.impact,
        effort=data.effort,
        alignment=data.alignment,
        estimated_savings=data.estimated_savings,
        status=OpportunityStatus.NEW,
        created_by=created_by,
    )
    session.add(opportunity)
    await session.flush()
    return opportunity


@dataclass(frozen=True, slots=True)
class OffTargetMeasure:
    """An opportunity from a measure that is RED district-wide in ``school_year``."""

    measure_id: uuid.UUID
    school_year: int
    impact: int
    effort: int
    alignment: int
    title: str | None = None
    estimated_savings: Decimal | None = None
    description: str | None = None


async def create_opportunity_from_measure(
    *, session: AsyncSession, district_id: uuid.UUID, data: OffTargetMeasure, created_by: str
) -> Opportunity:
    """An OFF_TARGET_KPI opportunity with the measure, its process and a title filled in.

    The measure must be RED on the district-wide scorecard for ``school_year`` (its stored
    district-wide status row, as the scorecard shows it); otherwise CONFLICT, saying what its
    status is. The description, unless given, records the value and target that made it RED.
    """
    if not 1900 < data.school_year < 2200:
        raise BadInput("schoolYear", "is not a school year (named by the year it ends)")
    measure = await session.get(Measure, (district_id, data.measure_id))
    if measure is None:
        raise NotFound("measureId", "no such measure")
    status = await session.scalar(
        select(MeasureStatus).where(
            MeasureStatus.district_id == district_id,
            MeasureStatus.measure_id == measure.id,
            MeasureStatus.school_id.is_(None),
            MeasureStatus.school_year == data.school_year,
        )
    )
    if status is None or status.status != "RED":
        shown = "has no computed status" if status is None else f"is {status.status}"
        raise Conflict(
            "measureId",
            f"measure {measure.code} {shown} on the district-wide scorecard for "
            f"{data.school_year}; only a RED (off-target) measure becomes an OFF_TARGET_KPI "
            "opportunity this way",
        )
    title = data.title or f"{measure.code} off target in {data.school_year}: {measure.name}"
    return await create_opportunity(
        session=session,
        district_id=district_id,
        data=OpportunityCreate(
            title=title[:MAX_NAME_LENGTH] if data.title is None else title,
            source=OpportunitySource.OFF_TARGET_KPI,
            impact=data.impact,
            effort=data.effort,
            alignment=data.alignment,
            process_id=measure.process_id,
            measure_id=measure.id,
            estimated_savings=data.estimated_savings,
            description=data.description
            if data.description is not None
            else _off_target_description(status),
        ),
        created_by=created_by,
    )


def _off_target_description(status: MeasureStatus) -> str:
    return (
        f"Latest district-wide value {status.latest_value:g} (period {status.latest_period}) "
        f"against a target of {status.target:g}, RED below {status.red_threshold:g}."
    )


async def get_opportunity(
    *, session: AsyncSession, district_id: uuid.UUID, opportunity_id: uuid.UUID
) -> Opportunity | None:
    return await session.get(Opportunity, (district_id, opportunity_id))


async def get_opportunity_or_raise(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    opportunity_id: uuid.UUID,
    for_update: bool = False,
) -> Opportunity:
    """The opportunity, or NOT_FOUND on ``opportunityId`` (another district's looks missing)."""
    opportunity = await session.get(
        Opportunity, (district_id, opportunity_id), with_for_update=for_update or None
    )
    if opportunity is None:
        raise NotFound("opportunityId", "no such opportunity")
    return opportunity


async def set_opportunity_status(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    opportunity_id: uuid.UUID,
    status: OpportunityStatus,
) -> Opportunity:
    """Triage: NEW, ACCEPTED or DECLINED, in any order. CONVERTED is reached only by
    converting (BAD_INPUT here) and is final (CONFLICT).
    """
    if status not in TRIAGE_STATUSES:
        raise BadInput("status", "an opportunity becomes CONVERTED only by convertOpportunity")
    opportunity = await get_opportunity_or_raise(
        session=session, district_id=district_id, opportunity_id=opportunity_id, for_update=True
    )
    if opportunity.status is OpportunityStatus.CONVERTED:
        raise Conflict("opportunityId", "the opportunity is CONVERTED; its status is final")
    opportunity.status = status
    await session.flush()
    return opportunity


@dataclass(frozen=True, slots=True)
class Conversion:
    """The project's charter as the converter writes it; the rest comes from the opportunity."""

    problem_statement: str
    goal_statement: str
    primary_measure_id: uuid.UUID | None = None
    title: str | None = None
    baseline: float | None = None
    target: float | None = None
    baseline_school_year: int | None = None
    school_ids: Sequence[uuid.UUID] = ()
    scope: str | None = None
    sponsor: str | None = None
    lead: str | None = None
    team: Sequence[str] = ()


async def convert_opportunity(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    opportunity_id: uuid.UUID,
    conversion: Conversion,
    created_by: str,
) -> tuple[Opportunity, Project]:
    """A project from the opportunity, linked both ways; the opportunity becomes CONVERTED.

    The project takes the opportunity's title (unless given), its process, and its measure as
    primary measure (unless another is given). CONFLICT when the opportunity is already
    CONVERTED (naming its project) or DECLINED (triage it back to NEW or ACCEPTED first).
    Who may call: IMPROVEMENT_LEAD and DISTRICT_ADMIN (declared on the field).
    """
    opportunity = await get_opportunity_or_raise(
        session=session, district_id=district_id, opportunity_id=opportunity_id, for_update=True
    )
    if opportunity.status is OpportunityStatus.CONVERTED:
        raise Conflict(
            "opportunityId",
            f"the opportunity was already converted into project {opportunity.project_id}",
        )
    if opportunity.status is OpportunityStatus.DECLINED:
        raise Conflict(
            "opportunityId",
            "the opportunity was DECLINED; set it back to NEW or ACCEPTED before converting",
        )
    charter = ProjectCharter(
        title=opportunity.title if conversion.title is None else conversion.title,
        problem_statement=conversion.problem_statement,
        goal_statement=conversion.goal_statement,
        process_id=opportunity.process_id,
        primary_measure_id=conversion.primary_measure_id or opportunity.measure_id,
        baseline=conversion.baseline,
        target=conversion.target,
        baseline_school_year=conversion.baseline_school_year,
        school_ids=conversion.school_ids,
        scope=conversion.scope,
        sponsor=conversion.sponsor,
        lead=conversion.lead,
        team=conversion.team,
    )
    project = await create_project(
        session=session, district_id=district_id, charter=charter, created_by=created_by
    )
    opportunity.project_id = project.id
    opportunity.status = OpportunityStatus.CONVERTED
    await session.flush()
    return opportunity, project


# Highest priority first, ties by creation, then id (a total order for the cursor).
RANKING = (
    SortKey(Opportunity.priority_score, finite_decimal, descending=True),
    SortKey(Opportunity.created_at, aware_datetime),
    SortKey(Opportunity.id, uuid.UUID),
)


async def list_opportunities(
    *, session: AsyncSession, district_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Opportunity]:
    """Opportunities by priority score, highest first, ties by creation (oldest first)."""
    stmt = select(Opportunity).where(Opportunity.district_id == district_id)
    return await sorted_page(session, stmt, keys=RANKING, first=first, after=after)
