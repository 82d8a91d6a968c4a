"""A measure as plain rows: for reads that select columns instead of building ORM objects
(the scorecard; the agenda, the reminders and a person's measures, hundreds each)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from itertools import starmap
from typing import Any, NamedTuple, Protocol

from sqlalchemy import any_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.id_lists import ids_param
from district_ppm.db.plain_rows import fetch_tuples
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
    """A ``Measure``, a row of ``MEASURE_COLUMNS`` or a ``MeasureRow`` (read-only: frozen rows
    are ones)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def definition(self) -> str | None: ...
    @property
    def unit(self) -> Unit: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def stage(self) -> Stage: ...
    @property
    def frequency(self) -> Frequency: ...
    @property
    def level(self) -> MeasureLevel: ...
    @property
    def aggregation(self) -> Aggregation: ...
    @property
    def process_id(self) -> uuid.UUID | None: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def data_source(self) -> str | None: ...


class MeasureRow(NamedTuple):
    """A row of ``MEASURE_COLUMNS``, kept after its result is gone.

    A tuple, not a frozen dataclass (whose every field is set by a Python call): reads build
    hundreds (300 measures: 0.13 ms against 0.68)."""

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


# Built once with bound parameters, fetched by the driver (db.plain_rows): the district's
# measures, and those of an id list (built per read with hundreds of ids, it was a fifth of
# metricsHygiene: py-spy).
_ALL = select(*MEASURE_COLUMNS).where(Measure.district_id == bindparam("district_id"))
_AMONG = _ALL.where(Measure.id == any_(ids_param("ids")))


def _by_code(rows: Iterable[tuple[Any, ...]]) -> list[MeasureRow]:
    # By position: the columns are the row's fields in order (Row._asdict cost more than
    # building the row).
    return sorted(starmap(MeasureRow, rows), key=lambda m: (m.code, m.id))


async def measure_rows(*, session: AsyncSession, district_id: uuid.UUID) -> list[MeasureRow]:
    """The district's measures, by code (then id). One statement."""
    return _by_code(await fetch_tuples(session, _ALL, {"district_id": district_id}))


async def measure_rows_among(
    *, session: AsyncSession, district_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> list[MeasureRow]:
    """The district's measures of ``ids``, by code (then id). One statement."""
    return _by_code(
        await fetch_tuples(session, _AMONG, {"district_id": district_id, "ids": list(ids)})
    )
