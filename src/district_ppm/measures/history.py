"""A measurement key's history: every value ever accepted for it, oldest first.

Replaced values are in ``measurement_revisions`` (written by the database from the row each
update replaced); the current value is the ``measurements`` row itself and comes last.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.measures.models import Measurement, MeasurementRevision
from district_ppm.measures.service import get_measure_or_raise


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    value: float
    numerator: float | None
    denominator: float | None
    source: str
    recorded_by: str
    recorded_at: datetime
    replaced_at: datetime | None  # None for the current value


async def get_measurement_history(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    school_id: uuid.UUID | None,
    period_start: date,
) -> list[HistoryEntry]:
    """Every value accepted for (measure, school, period), oldest first, the current one last.

    ``school_id`` None is the district-wide key. An unknown measure is NOT_FOUND on
    ``measureId``; a key never written has an empty history.
    """
    await get_measure_or_raise(
        session=session, district_id=district_id, measure_id=measure_id, field="measureId"
    )
    revisions = await session.scalars(
        select(MeasurementRevision)
        .where(
            MeasurementRevision.district_id == district_id,
            MeasurementRevision.measure_id == measure_id,
            MeasurementRevision.period_start == period_start,
            MeasurementRevision.school_id.is_(None)
            if school_id is None
            else MeasurementRevision.school_id == school_id,
        )
        .order_by(MeasurementRevision.replaced_at, MeasurementRevision.id)
    )
    current = await session.scalar(
        select(Measurement).where(
            Measurement.district_id == district_id,
            Measurement.measure_id == measure_id,
            Measurement.period_start == period_start,
            Measurement.school_id.is_(None)
            if school_id is None
            else Measurement.school_id == school_id,
        )
    )
    entries = [
        HistoryEntry(
            value=r.value,
            numerator=r.numerator,
            denominator=r.denominator,
            source=r.source.value,
            recorded_by=r.recorded_by,
            recorded_at=r.recorded_at,
            replaced_at=r.replaced_at,
        )
        for r in revisions
    ]
    if current is not None:
        entries.append(
            HistoryEntry(
                value=current.value,
                numerator=current.numerator,
                denominator=current.denominator,
                source=current.source.value,
                recorded_by=current.recorded_by,
                recorded_at=current.recorded_at,
                replaced_at=None,
            )
        )
    return entries
