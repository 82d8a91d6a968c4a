"""A measure as plain rows: for reads that select columns instead of building ORM objects."""

from __future__ import annotations

import uuid
from typing import Protocol

from district_ppm.measures.models import (
    Aggregation,
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Stage,
    Unit,
)

# What the API shows of a measure.
MEASURE_COLUMNS = (
    Measure.id,
    Measure.code,
    Measure.name,
    Measure.definition,
    Measure.unit,
    Measure.direction,
    Measure.stage,
    Measure.frequency,
    Measure.level,
    Measure.aggregation,
    Measure.process_id,
    Measure.owner,
    Measure.data_source,
)


class MeasureFields(Protocol):
    """A ``Measure`` or a row of ``MEASURE_COLUMNS``."""

    id: uuid.UUID
    code: str
    name: str
    definition: str | None
    unit: Unit
    direction: Direction
    stage: Stage
    frequency: Frequency
    level: MeasureLevel
    aggregation: Aggregation
    process_id: uuid.UUID | None
    owner: str | None
    data_source: str | None
