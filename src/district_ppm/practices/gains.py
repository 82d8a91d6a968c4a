"""The worker's computation of adoption gains, stored per (adoption, measure).

The math is ``analytics.adoption``; this module reads what it needs set-based (the adoptions
with their practices' SCHOOL-level measures, then the adopting schools' values of those
measures) and brings the stored rows of the adoptions it was asked about up to date.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.adoption import Gain, adoption_gain
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

    Idempotent: a repeated or concurrent run leaves the same figures. Every stored row of the
    adoptions gets the run's ``computed_at``; only figures that changed are rewritten. Returns
    the number of (adoption, measure) gains computed.
    """
    calendar = await get_district_calendar(session=session, district_id=district_id)
    subjects = await _subjects(session=session, district_id=district_id, adoption_ids=adoption_ids)
    series = (
        await _series(session=session, district_id=district_id, adoption_ids=adoption_ids)
        if subjects
        else {}
    )
    fresh: dict[tuple[uuid.UUID, uuid.UUID], Gain] = {}
    # Values as the API serves them (HOURS to two decimals), once per series: a school that
    # adopted several practices with the same measure shares one.
    served_series: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[date, float]]] = {}
    for subject in subjects:
        adoption_period = period_containing(
            subject.frequency, subject.adopted_on, calendar.fiscal_year_start_month
        )
        key = (subject.measure_id, subject.school_id)
        if key not in served_series:
            served_series[key] = [
                (start, served(subject.unit, value)) for start, value in series.get(key, [])
            ]
        fresh[(subject.adoption_id, subject.measure_id)] = adoption_gain(
            served_series[key],
            adoption_period=adoption_period,
            higher_is_better=subject.direction is Direction.HIGHER_IS_BETTER,
        )
    await _store(session=session, district_id=district_id, adoption_ids=adoption_ids, fresh=fresh)
    return len(fresh)


async def _store(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    adoption_ids: Sequence[uuid.UUID] | None,
    fresh: dict[tuple[uuid.UUID, uuid.UUID], Gain],
) -> None:
    """Make the stored rows of the adoptions in scope exactly ``fresh``.

    The job follows every measurement write, and most writes move no adoption's gains: rows
    whose figures did not change are only stamped (no new row, no foreign-key checks), and
    rows of pairs that no longer exist (a measure now DISTRICT-level) are deleted.
    """
    # The table, not the mapped class: Core statements, no ORM bookkeeping per row.
    table = cast(Table, AdoptionGain.__table__)
    scope = [table.c.district_id == district_id]
    if adoption_ids is not None:
        scope.append(table.c.adoption_id.in_(adoption_ids))
    stored = {
        (row.adoption_id, row.measure_id): row
        for row in (
            await session.execute(
                select(
                    table.c.id,
                    table.c.adoption_id,
                    table.c.measure_id,
                    table.c.before,
                    table.c.after,
                    table.c.gain,
                ).where(*scope)
            )
        ).all()
    }
    stale = [row.id for key, row in stored.items() if key not in fresh]
    changed = [
        {"row_id": stored[key].id, "new_before": g.before, "new_after": g.after, "new_gain": g.gain}
        for key, g in fresh.items()
        if key in stored
        and (stored[key].before, stored[key].after, stored[key].gain) != (g.before, g.after, g.gain)
    ]
    if not stored and not fresh:
        return  # nothing stored, nothing to store (a district without adoptions)
    computed_at = await session.scalar(select(func.now()))
    if stale:
        await session.execute(
            delete(table).where(table.c.district_id == district_id, table.c.id.in_(stale))
        )
    if changed:
        await session.execute(
            update(table)
            .where(table.c.district_id == district_id, table.c.id == bindparam("row_id"))
            .values(
                before=bindparam("new_before"),
                after=bindparam("new_after"),
                gain=bindparam("new_gain"),
            ),
            changed,
        )
    # Every row in scope was computed now, changed or not: computedAt says how fresh they are.
    if stored:
        await session.execute(update(table).where(*scope).values(computed_at=computed_at))
    new = [
        {
            "district_id": district_id,
            "id": uuid.uuid4(),
            "adoption_id": adoption_id,
            "measure_id": measure_id,
            "before": g.before,
            "after": g.after,
            "gain": g.gain,
            "computed_at": computed_at,
        }
        for (adoption_id, measure_id), g in fresh.items()
        if (adoption_id, measure_id) not in stored
    ]
    if new:
        await session.execute(insert(table), new)


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
    # One row per (measure, school) with its series as two arrays: tens of thousands of
    # values arrive as a few hundred rows, without a Python object per value.
    rows = await session.execute(
        select(
            Measurement.measure_id,
            Measurement.school_id,
            func.array_agg(aggregate_order_by(Measurement.period_start, Measurement.period_start)),
            func.array_agg(aggregate_order_by(Measurement.value, Measurement.period_start)),
        )
        .join(
            pairs,
            (Measurement.measure_id == pairs.c.measure_id)
            & (Measurement.school_id == pairs.c.school_id),
        )
        # The tenant's filter, spelt out for the index (and Citus routing).
        .where(Measurement.district_id == district_id)
        .group_by(Measurement.measure_id, Measurement.school_id)
    )
    return {
        (measure_id, school_id): list(zip(starts, values, strict=True))
        for measure_id, school_id, starts, values in rows.all()
    }
