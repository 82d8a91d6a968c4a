"""Sustainability plans and reviews: keyword-only services that never commit.

Who may call them is declared on the GraphQL fields (IMPROVEMENT_LEAD and DISTRICT_ADMIN run
plans, DOMAIN.md "Roles"). Each write queues ``check_sustainability`` for its plan, so the
stored verdict follows it.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.improvement.projects import get_project_or_raise
from district_ppm.jobs.service import enqueue_job
from district_ppm.measures.models import Direction, Frequency, Measure
from district_ppm.measures.service import measures_by_ids
from district_ppm.sustainability.models import PlanMeasure, SustainabilityPlan, SustainabilityReview
from district_ppm.sustainability.periods import add_months
from district_ppm.tenancy.principal import Principal

MAX_CONTROL_MEASURES = 20
MAX_NAME_LENGTH = 200  # owner, reviewer (String(200) columns)
MAX_TEXT_LENGTH = 10_000  # response plan, review result and notes
MAX_DURATION_MONTHS = 600
# Dates outside are typing mistakes, not plans; bounded so that a DAILY measure's due periods
# stay a few thousand.
FIRST_YEAR, LAST_YEAR = 2000, 2199


@dataclass(frozen=True, slots=True)
class PlanCreate:
    """A new plan. Field names in errors are the input's camelCase ones."""

    project_id: uuid.UUID
    measure_ids: Sequence[uuid.UUID]
    review_cadence: Frequency
    start_date: date
    response_plan: str
    owner: str | None = None  # the creator when not given
    duration_months: int | None = None  # None: checked until the plan is ended
    # (measure id, target): a control measure held to the plan's own target instead of the
    # measure's targets for each school year.
    targets: Sequence[tuple[uuid.UUID, float]] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class ReviewLog:
    plan_id: uuid.UUID
    reviewed_on: date
    result: str
    notes: str | None = None


def _text(value: str, name: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise BadInput(name, "must not be empty")
    if len(text) > limit:
        raise BadInput(name, f"must be at most {limit} characters")
    return text


def _check_date(value: date, name: str) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise BadInput(name, f"must be a date between {FIRST_YEAR} and {LAST_YEAR}")


def validate_plan(data: PlanCreate) -> None:
    """Shape checks, before anything is read."""
    if not data.measure_ids:
        raise BadInput("measureIds", "a plan needs at least one control measure")
    if len(data.measure_ids) > MAX_CONTROL_MEASURES:
        raise BadInput("measureIds", f"a plan has at most {MAX_CONTROL_MEASURES} control measures")
    seen: set[uuid.UUID] = set()
    for index, measure_id in enumerate(data.measure_ids):
        if measure_id in seen:
            raise BadInput(f"measureIds.{index}", "lists a measure twice")
        seen.add(measure_id)
    _check_date(data.start_date, "startDate")
    if data.duration_months is not None and not 1 <= data.duration_months <= MAX_DURATION_MONTHS:
        raise BadInput("durationMonths", f"must be between 1 and {MAX_DURATION_MONTHS} months")
    _text(data.response_plan, "responsePlan", MAX_TEXT_LENGTH)
    if data.owner is not None:
        _text(data.owner, "owner", MAX_NAME_LENGTH)
    targeted: set[uuid.UUID] = set()
    for index, (measure_id, target) in enumerate(data.targets):
        if measure_id not in seen:
            raise BadInput(f"targets.{index}.measureId", "is not one of the plan's measureIds")
        if measure_id in targeted:
            raise BadInput(f"targets.{index}.measureId", "has a target already")
        if not math.isfinite(target):
            raise BadInput(f"targets.{index}.target", "must be a finite number")
        targeted.add(measure_id)


async def create_plan(
    *, session: AsyncSession, district_id: uuid.UUID, principal: Principal, data: PlanCreate
) -> SustainabilityPlan:
    """The project's sustainability plan: NOT_FOUND for an unknown project or measure,
    CONFLICT when the project has a plan already (one per project)."""
    validate_plan(data)
    # Locked, so two requests creating the project's plan take turns and the second sees
    # the first's plan (the unique key is the last guard).
    project = await get_project_or_raise(
        session=session, district_id=district_id, project_id=data.project_id, for_update=True
    )
    measures = await measures_by_ids(
        session=session, district_id=district_id, measure_ids=data.measure_ids
    )
    for index, measure_id in enumerate(data.measure_ids):
        if measure_id not in measures:
            raise NotFound(f"measureIds.{index}", "no such measure")
    if await get_plan_for_project(session=session, district_id=district_id, project_id=project.id):
        raise Conflict("projectId", "the project has a sustainability plan already")
    plan = SustainabilityPlan(
        id=uuid.uuid4(),
        district_id=district_id,
        project_id=project.id,
        owner=_text(data.owner, "owner", MAX_NAME_LENGTH) if data.owner else principal.actor,
        review_cadence=data.review_cadence,
        start_date=data.start_date,
        duration_months=data.duration_months,
        response_plan=_text(data.response_plan, "responsePlan", MAX_TEXT_LENGTH),
        created_by=principal.actor,
    )
    session.add(plan)
    await session.flush()
    targets = dict(data.targets)
    session.add_all(
        PlanMeasure(
            id=uuid.uuid4(),
            district_id=district_id,
            plan_id=plan.id,
            measure_id=measure_id,
            position=position,
            target=targets.get(measure_id),
        )
        for position, measure_id in enumerate(data.measure_ids)
    )
    await session.flush()
    await enqueue_check(session=session, district_id=district_id, plan_id=plan.id)
    return plan


async def log_review(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    principal: Principal,
    data: ReviewLog,
    today: date,
) -> SustainabilityReview:
    """A review of the plan by the calling principal, dated between the plan's start and
    ``today`` (the district's date): a review cannot be logged ahead of time."""
    plan = await get_plan_or_raise(session=session, district_id=district_id, plan_id=data.plan_id)
    if data.reviewed_on > today:
        raise BadInput("reviewedOn", f"is after today ({today.isoformat()})")
    if data.reviewed_on < plan.start_date:
        raise BadInput(
            "reviewedOn", f"is before the plan's start date ({plan.start_date.isoformat()})"
        )
    review = SustainabilityReview(
        id=uuid.uuid4(),
        district_id=district_id,
        plan_id=plan.id,
        reviewed_on=data.reviewed_on,
        reviewer=principal.actor,
        result=_text(data.result, "result", MAX_TEXT_LENGTH),
        notes=_text(data.notes, "notes", MAX_TEXT_LENGTH) if data.notes else None,
    )
    session.add(review)
    await session.flush()
    await enqueue_check(session=session, district_id=district_id, plan_id=plan.id)
    return review


async def enqueue_check(
    *, session: AsyncSession, district_id: uuid.UUID, plan_id: uuid.UUID
) -> None:
    """Queue the plan's compliance check, after the caller commits."""
    # Imported here: jobs.py imports the compliance module, which reads plans through this one.
    from district_ppm.sustainability.jobs import check_sustainability

    await enqueue_job(
        session=session,
        district_id=district_id,
        actor_name=check_sustainability.name,
        payload={"plan_id": str(plan_id)},
        dedupe_key=f"plan:{plan_id}",
    )


async def get_plan_for_project(
    *, session: AsyncSession, district_id: uuid.UUID, project_id: uuid.UUID
) -> SustainabilityPlan | None:
    """The project's sustainability plan (a project has at most one), or None."""
    plan: SustainabilityPlan | None = await session.scalar(
        select(SustainabilityPlan).where(
            SustainabilityPlan.district_id == district_id,
            SustainabilityPlan.project_id == project_id,
        )
    )
    return plan


async def get_plan_or_raise(
    *, session: AsyncSession, district_id: uuid.UUID, plan_id: uuid.UUID, field: str = "planId"
) -> SustainabilityPlan:
    """The plan, or NOT_FOUND naming ``field`` (another district's looks missing too)."""
    plan = await session.get(SustainabilityPlan, (district_id, plan_id))
    if plan is None:
        raise NotFound(field, "no such sustainability plan")
    return plan


async def plans_for_projects(
    *, session: AsyncSession, district_id: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SustainabilityPlan]:
    rows = await session.scalars(
        select(SustainabilityPlan).where(
            SustainabilityPlan.district_id == district_id,
            SustainabilityPlan.project_id.in_(project_ids),
        )
    )
    return {plan.project_id: plan for plan in rows}


class PlanFields(Protocol):
    """What is read of a plan: the ORM row, or ``PlanRow`` where plans are listed."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def project_id(self) -> uuid.UUID: ...
    @property
    def owner(self) -> str: ...
    @property
    def review_cadence(self) -> Frequency: ...
    @property
    def start_date(self) -> date: ...
    @property
    def duration_months(self) -> int | None: ...
    @property
    def response_plan(self) -> str: ...


class PlanRow(NamedTuple):
    """A plan's columns read by Core (a district's plans are listed whole: no ORM objects). A
    tuple, not a frozen dataclass (whose every field is set by a Python call)."""

    id: uuid.UUID
    project_id: uuid.UUID
    owner: str
    review_cadence: Frequency
    start_date: date
    duration_months: int | None
    response_plan: str


# PlanRow's columns, in its field order.
PLAN_COLUMNS = (
    SustainabilityPlan.id,
    SustainabilityPlan.project_id,
    SustainabilityPlan.owner,
    SustainabilityPlan.review_cadence,
    SustainabilityPlan.start_date,
    SustainabilityPlan.duration_months,
    SustainabilityPlan.response_plan,
)


def plan_row(values: Sequence[Any]) -> PlanRow:
    """A plan from the values of ``PLAN_COLUMNS`` (the start of a Core row)."""
    # tuple.__new__ in C, not the NamedTuple's own __new__ (a Python call per plan).
    return tuple.__new__(PlanRow, tuple(values[: len(PLAN_COLUMNS)]))


@dataclass(frozen=True, slots=True)
class ReviewRow:
    id: uuid.UUID
    reviewed_on: date
    reviewer: str
    result: str
    notes: str | None


async def reviews_of(
    *, session: AsyncSession, district_id: uuid.UUID, plan_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ReviewRow]]:
    """Each plan's reviews, oldest first. One statement."""
    found: dict[uuid.UUID, list[ReviewRow]] = defaultdict(list)
    rows = await session.execute(
        select(
            SustainabilityReview.plan_id,
            SustainabilityReview.id,
            SustainabilityReview.reviewed_on,
            SustainabilityReview.reviewer,
            SustainabilityReview.result,
            SustainabilityReview.notes,
        )
        .where(
            SustainabilityReview.district_id == district_id,
            SustainabilityReview.plan_id.in_(plan_ids),
        )
        .order_by(SustainabilityReview.reviewed_on, SustainabilityReview.created_at)
    )
    for plan_id, review_id, reviewed_on, reviewer, result, notes in rows.all():
        found[plan_id].append(ReviewRow(review_id, reviewed_on, reviewer, result, notes))
    return {plan_id: found[plan_id] for plan_id in plan_ids}


@dataclass(frozen=True, slots=True)
class ControlRow:
    """A plan's control measure with what the API shows of the measure."""

    measure_id: uuid.UUID
    code: str
    direction: Direction
    frequency: Frequency
    target: float | None  # the plan's own target, if it sets one


async def controls_of(
    *, session: AsyncSession, district_id: uuid.UUID, plan_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ControlRow]]:
    """Each plan's control measures in the plan's order, with their measures. One statement."""
    found: dict[uuid.UUID, list[ControlRow]] = defaultdict(list)
    rows = await session.execute(
        select(
            PlanMeasure.plan_id,
            PlanMeasure.measure_id,
            Measure.code,
            Measure.direction,
            Measure.frequency,
            PlanMeasure.target,
        )
        .join(
            Measure,
            (Measure.district_id == PlanMeasure.district_id)
            & (Measure.id == PlanMeasure.measure_id),
        )
        .where(PlanMeasure.district_id == district_id, PlanMeasure.plan_id.in_(plan_ids))
        .order_by(PlanMeasure.plan_id, PlanMeasure.position)
    )
    for plan_id, measure_id, code, direction, frequency, target in rows.all():
        found[plan_id].append(ControlRow(measure_id, code, direction, frequency, target))
    return {plan_id: found[plan_id] for plan_id in plan_ids}


@dataclass(frozen=True, slots=True)
class PlanView:
    """A plan with its control measures (each with its measure), as the API shows it."""

    plan: PlanFields
    controls: list[ControlRow]


async def plan_views(
    *, session: AsyncSession, district_id: uuid.UUID, plans: Sequence[PlanFields]
) -> list[PlanView]:
    """The plans with their control measures, in one statement whatever their number."""
    controls = await controls_of(
        session=session, district_id=district_id, plan_ids=[plan.id for plan in plans]
    )
    return [PlanView(plan, controls[plan.id]) for plan in plans]


def plan_end(plan: PlanFields) -> date | None:
    """The last day the plan is checked (its start plus its duration), None when open-ended."""
    if plan.duration_months is None:
        return None
    return add_months(plan.start_date, plan.duration_months)


def is_checked_on(plan: PlanFields, day: date) -> bool:
    """Whether the plan is checked (and reported) as of ``day``: from its start date to its
    end, both inclusive, whatever its project's phase (CLOSED projects included)."""
    end = plan_end(plan)
    return plan.start_date <= day and (end is None or day <= end)
