"""The worker's computation of adoption gains, stored per (adoption, measure).

The math is ``analytics.adoption``; this module reads what it needs set-based (the adoptions
with their practices' SCHOOL-level measures, then the adopting schools' values of those
measures) and rewrites the stored rows of the adoptions it was asked about.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.adoption import adoption_gain
from district_ppm.measures.models import (
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Measurement,
    Unit,
    served,
)
from district_ppm.measures.periods import period_containing
from district_ppm.practices.models import Adoption, AdoptionGain, PracticeMeasure
from district_ppm.tenancy.calendar import get_district_calendar


@dataclass(frozen=True, slots=True)
class _Subject:
    """One adoption on one of its practice's SCHOOL-level measures."""

    adoption_id: uuid.UUID
    school_id: uuid.UUID
    adopted_on: date
    measure_id: uuid.UUID
    frequency: Frequency
    direction: Direction
    unit: Unit


async def compute_adoption_gains(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    adoption_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Recompute and store the gains of the given adoptions (every adoption when None).

    Idempotent: the adoptions' rows are replaced as a whole, so a repeated or concurrent run
    leaves the same figures. Returns the number of rows written.
    """
    calendar = await get_district_calendar(session=session, district_id=district_id)
    subjects = await _subjects(session=session, district_id=district_id, adoption_ids=adoption_ids)
    series = await _series(session=session, district_id=district_id, adoption_ids=adoption_ids)
    computed_at = await session.scalar(select(func.now()))
    rows = []
    for subject in subjects:
        adoption_period = period_containing(
            subject.frequency, subject.adopted_on, calendar.fiscal_year_start_month
        )
        points = [
            (start, served(subject.unit, value))
            for start, value in series.get((subject.measure_id, subject.school_id), [])
        ]
        gain = adoption_gain(
            points,
            adoption_period=adoption_period,
            higher_is_better=subject.direction is Direction.HIGHER_IS_BETTER,
        )
        rows.append(
            {
                "district_id": district_id,
                "id": uuid.uuid4(),
                "adoption_id": subject.adoption_id,
                "measure_id": subject.measure_id,
                "before": gain.before,
                "after": gain.after,
                "gain": gain.gain,
                "computed_at": computed_at,
            }
        )
    stale = delete(AdoptionGain).where(AdoptionGain.district_id == district_id)
    if adoption_ids is not None:
        stale = stale.where(AdoptionGain.adoption_id.in_(adoption_ids))
    await session.execute(stale)
    if rows:
        await session.execute(insert(AdoptionGain), rows)
    return len(rows)


def _adoption_measures(
    district_id: uuid.UUID, adoption_ids: Sequence[uuid.UUID] | None
) -> Select[Adoption, Measure]:
    """Adoptions joined to their practices' SCHOOL-level measures (the pairs gains exist for)."""
    stmt = (
        select(Adoption, Measure)
        .join(
            PracticeMeasure,
            (PracticeMeasure.district_id == Adoption.district_id)
            & (PracticeMeasure.practice_id == Adoption.practice_id),
        )
        .join(
            Measure,
            (Measure.district_id == PracticeMeasure.district_id)
            & (Measure.id == PracticeMeasure.measure_id),
        )
        .where(Adoption.district_id == district_id, Measure.level == MeasureLevel.SCHOOL)
    )
    if adoption_ids is not None:
        stmt = stmt.where(Adoption.id.in_(adoption_ids))
    return stmt


async def _subjects(
    *, session: AsyncSession, district_id: uuid.UUID, adoption_ids: Sequence[uuid.UUID] | None
) -> list[_Subject]:
    stmt = _adoption_measures(district_id, adoption_ids).with_only_columns(
        Adoption.id,
        Adoption.school_id,
        Adoption.adopted_on,
        Measure.id,
        Measure.frequency,
        Measure.direction,
        Measure.unit,
    )
    return [_Subject(*row) for row in (await session.execute(stmt)).all()]


async def _series(
    *, session: AsyncSession, district_id: uuid.UUID, adoption_ids: Sequence[uuid.UUID] | None
) -> dict[tuple[uuid.UUID, uuid.UUID | None], list[tuple[date, float]]]:
    """The adopting schools' values of the practices' measures, by (measure, school)."""
    pairs = (
        _adoption_measures(district_id, adoption_ids)
        .with_only_columns(Measure.id.label("measure_id"), Adoption.school_id)
        .distinct()
        .subquery()
    )
    rows = await session.execute(
        select(
            Measurement.measure_id,
            Measurement.school_id,
            Measurement.period_start,
            Measurement.value,
        )
        .join(
            pairs,
            (Measurement.measure_id == pairs.c.measure_id)
            & (Measurement.school_id == pairs.c.school_id),
        )
        # The tenant's filter, spelt out for the index (and Citus routing).
        .where(Measurement.district_id == district_id)
    )
    found: dict[tuple[uuid.UUID, uuid.UUID | None], list[tuple[date, float]]]
    found = defaultdict(list)
    for measure_id, school_id, period_start, value in rows.all():
        found[(measure_id, school_id)].append((period_start, value))
    return found
