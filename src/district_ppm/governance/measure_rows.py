"""The measures the management reads list, as Core rows: the agenda's scope, the reminders'
district, a person's measures (hundreds each; no ORM object is needed to title, chart or
remind them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import Aggregation
from district_ppm.measures.models import Direction, Frequency, Measure, MeasureLevel, Unit


@dataclass(frozen=True, slots=True)
class MeasureRow:
    id: uuid.UUID
    code: str
    name: str
    unit: Unit
    direction: Direction
    frequency: Frequency
    level: MeasureLevel
    aggregation: Aggregation
    process_id: uuid.UUID | None
    owner: str | None


# MeasureRow's columns, in its field order.
_COLUMNS = (
    Measure.id,
    Measure.code,
    Measure.name,
    Measure.unit,
    Measure.direction,
    Measure.frequency,
    Measure.level,
    Measure.aggregation,
    Measure.process_id,
    Measure.owner,
)


async def measure_rows(
    *, session: AsyncSession, district_id: uuid.UUID, where: Sequence[ColumnElement[bool]] = ()
) -> list[MeasureRow]:
    """The district's measures matching ``where``, by code (then id). One statement."""
    rows = await session.execute(
        select(*_COLUMNS).where(Measure.district_id == district_id, *where)
    )
    return sorted((MeasureRow(**row._asdict()) for row in rows.all()), key=lambda m: (m.code, m.id))
