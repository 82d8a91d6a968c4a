"""Measures and targets: creation, lookup, listing. Callers own the transaction.

Other areas (transportation) use ``MeasureSpec``/``ensure_measure`` and
``ComputedValue``/``record_computed_measurements`` (re-exported here) to publish their
roll-ups as measurements.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page, keyset_page
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.measures.jobs import enqueue_refresh
from district_ppm.measures.models import (
    Aggregation,
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Stage,
    Target,
    Unit,
    default_aggregation,
)
from district_ppm.measures.recording import (
    ComputedValue,
    MeasurementValue,
    record_computed_measurements,
    record_measurements,
)
from district_ppm.processes.models import Process
from district_ppm.school_calendar import check_school_year
from district_ppm.schools.models import School

__all__ = [
    "ComputedValue",
    "MeasureCreate",
    "MeasureSpec",
    "MeasurementValue",
    "TargetSet",
    "create_measure",
    "ensure_measure",
    "get_measure",
    "get_measure_or_raise",
    "list_measures",
    "record_computed_measurements",
    "record_measurements",
    "set_target",
]

MAX_CODE_LENGTH = 40
MAX_TEXT_LENGTH = 200  # name, owner, data source: String(200) columns


@dataclass(frozen=True)
class MeasureSpec:
    """A measure named by codes only, for templates and other areas' standard KPIs."""

    code: str
    name: str
    unit: Unit
    direction: Direction
    stage: Stage
    frequency: Frequency
    level: MeasureLevel
    process_code: str | None = None
    definition: str | None = None
    aggregation: Aggregation | None = None


@dataclass(frozen=True, slots=True)
class MeasureCreate:
    code: str
    name: str
    unit: Unit
    direction: Direction
    stage: Stage
    frequency: Frequency
    level: MeasureLevel
    process_id: uuid.UUID | None = None
    definition: str | None = None
    aggregation: Aggregation | None = None
    owner: str | None = None
    data_source: str | None = None


def validate_measure(data: MeasureCreate) -> list[BadInput]:
    problems = []
    if not data.code.strip():
        problems.append(BadInput("code", "must not be empty"))
    elif len(data.code) > MAX_CODE_LENGTH:
        problems.append(BadInput("code", f"must be at most {MAX_CODE_LENGTH} characters"))
    if not data.name.strip():
        problems.append(BadInput("name", "must not be empty"))
    elif len(data.name) > MAX_TEXT_LENGTH:
        problems.append(BadInput("name", f"must be at most {MAX_TEXT_LENGTH} characters"))
    for field, value in (("owner", data.owner), ("dataSource", data.data_source)):
        if value is not None and len(value) > MAX_TEXT_LENGTH:
            problems.append(BadInput(field, f"must be at most {MAX_TEXT_LENGTH} characters"))
    if data.aggregation is not None and data.level is MeasureLevel.DISTRICT:
        problems.append(BadInput("aggregation", "only SCHOOL-level measures aggregate"))
    return problems


async def create_measure(
    *, session: AsyncSession, district_id: uuid.UUID, data: MeasureCreate
) -> Measure:
    """Create a measure. Its code is unique in the district (CONFLICT otherwise)."""
    problems = validate_measure(data)
    if problems:
        raise problems[0]
    code = data.code.strip()
    if await session.scalar(
        select(Measure.id).where(Measure.district_id == district_id, Measure.code == code)
    ):
        raise Conflict("code", f"a measure with code {code} exists in this district")
    if (
        data.process_id is not None
        and await session.get(Process, (district_id, data.process_id)) is None
    ):
        raise NotFound("processId", "no such process")
    measure = Measure(
        id=uuid.uuid4(),
        district_id=district_id,
        code=code,
        name=data.name.strip(),
        definition=data.definition,
        unit=data.unit,
        direction=data.direction,
        stage=data.stage,
        frequency=data.frequency,
        level=data.level,
        aggregation=data.aggregation or default_aggregation(data.unit),
        process_id=data.process_id,
        owner=data.owner,
        data_source=data.data_source,
    )
    session.add(measure)
    await session.flush()
    return measure


async def ensure_measure(
    *, session: AsyncSession, district_id: uuid.UUID, spec: MeasureSpec
) -> uuid.UUID:
    """The id of the district's measure with ``spec.code``, created from ``spec`` if missing.

    An existing measure is left as the district has it (they may have renamed it or set an
    owner). ``spec.process_code`` links the new measure to that process when it exists.
    """
    existing = await session.scalar(
        select(Measure.id).where(Measure.district_id == district_id, Measure.code == spec.code)
    )
    if existing is not None:
        return existing
    process_id = None
    if spec.process_code is not None:
        process_id = await session.scalar(
            select(Process.id).where(
                Process.district_id == district_id, Process.code == spec.process_code
            )
        )
    measure = await create_measure(
        session=session,
        district_id=district_id,
        data=MeasureCreate(
            code=spec.code,
            name=spec.name,
            unit=spec.unit,
            direction=spec.direction,
            stage=spec.stage,
            frequency=spec.frequency,
            level=spec.level,
            process_id=process_id,
            definition=spec.definition,
            aggregation=spec.aggregation,
        ),
    )
    return measure.id


async def get_measure(
    *, session: AsyncSession, district_id: uuid.UUID, measure_id: uuid.UUID
) -> Measure | None:
    return await session.get(Measure, (district_id, measure_id))


async def get_measure_or_raise(
    *, session: AsyncSession, district_id: uuid.UUID, measure_id: uuid.UUID, field: str
) -> Measure:
    """The measure, or NOT_FOUND naming ``field`` (another district's looks missing too)."""
    measure = await get_measure(session=session, district_id=district_id, measure_id=measure_id)
    if measure is None:
        raise NotFound(field, "no such measure")
    return measure


async def list_measures(
    *, session: AsyncSession, district_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Measure]:
    """Measures by code (then id), one keyset page at a time."""
    stmt = select(Measure).where(Measure.district_id == district_id)
    return await keyset_page(
        session, stmt, order_by=[Measure.code, Measure.id], first=first, after=after
    )


async def measures_by_ids(
    *, session: AsyncSession, district_id: uuid.UUID, measure_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Measure]:
    rows = await session.scalars(
        select(Measure).where(Measure.district_id == district_id, Measure.id.in_(measure_ids))
    )
    return {measure.id: measure for measure in rows}


@dataclass(frozen=True, slots=True)
class TargetSet:
    measure_id: uuid.UUID
    school_year: int
    value: float
    red_threshold: float
    school_id: uuid.UUID | None = None
    baseline: float | None = None


async def set_target(*, session: AsyncSession, district_id: uuid.UUID, data: TargetSet) -> Target:
    """Set (or replace) the target of a measure for one school year, district-wide or per school.

    The red threshold lies on the bad side of the target for the measure's direction.
    """
    measure = await get_measure_or_raise(
        session=session, district_id=district_id, measure_id=data.measure_id, field="measureId"
    )
    if data.school_id is not None:
        if measure.level is MeasureLevel.DISTRICT:
            raise BadInput("schoolId", "a DISTRICT-level measure has district-wide targets only")
        if await session.get(School, (district_id, data.school_id)) is None:
            raise NotFound("schoolId", "no such school")
    check_school_year(data.school_year)
    if measure.direction is Direction.HIGHER_IS_BETTER and data.red_threshold > data.value:
        raise BadInput("redThreshold", "must not exceed the target when higher is better")
    if measure.direction is Direction.LOWER_IS_BETTER and data.red_threshold < data.value:
        raise BadInput("redThreshold", "must not be below the target when lower is better")
    values = insert(Target).values(
        id=uuid.uuid4(),
        district_id=district_id,
        measure_id=measure.id,
        school_id=data.school_id,
        school_year=data.school_year,
        value=data.value,
        red_threshold=data.red_threshold,
        baseline=data.baseline,
    )
    stmt = values.on_conflict_do_update(
        index_elements=["district_id", "measure_id", "school_id", "school_year"],
        set_={
            "value": values.excluded.value,
            "red_threshold": values.excluded.red_threshold,
            "baseline": values.excluded.baseline,
        },
    ).returning(Target)
    target = (await session.scalars(stmt)).one()
    await enqueue_refresh(session=session, district_id=district_id, measure_ids=[measure.id])
    return target
