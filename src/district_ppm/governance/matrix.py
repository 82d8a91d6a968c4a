"""A process compared across schools: every school x each SCHOOL-level measure of the process
and its descendants, for one school year (the administrators' view of the design card).

Columns are the measures by code; rows every school of the district by name (a school with no
value still has its row, so a heat map shows the gap). Each cell holds:

- ``value``: the school's latest value in the school year (the newest period starting in it),
  as served (HOURS to two decimals); null when the school has none. It is the worker's (the
  status row's ``latest_value``) unless the measure was written since the worker's last
  refresh, in which case it is computed from the data: the same figure either way, never
  older than a committed write;
- ``status``: the school's row of ``measure_statuses`` for the year (the worker's scorecard
  status against the school's target, else the district's); NO_DATA when there is no row;
- ``rank``: among the schools with a value, 1 = best for the measure's direction; ties share
  the best rank and the next rank skips (as ``schoolComparison`` ranks, on ``value``).

Each column also carries the peer-group median per school level (the peer group of
``schoolComparison``: schools of the same level), over the schools of that level with a value,
to four decimals as ``schoolComparison``'s ``peerMedian``. Four statements whatever the number
of schools and measures.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import any_, bindparam, func, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY, UUID, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.aggregation import derived
from district_ppm.analytics.comparison import competition_ranks
from district_ppm.analytics.status import Status
from district_ppm.db.plain_rows import fetch_plain, fetch_tuples
from district_ppm.errors import NotFound
from district_ppm.governance.responsibilities import descendants
from district_ppm.measures.models import (
    Direction,
    Measure,
    MeasureDirtyMark,
    MeasureLevel,
    Measurement,
    MeasureStatus,
    Unit,
    served,
)
from district_ppm.processes.models import Process
from district_ppm.school_calendar import check_school_year, school_year_bounds
from district_ppm.schools.models import School, SchoolLevel
from district_ppm.schools.service import SCHOOL_COLUMNS, SchoolFields

LEVEL_ORDER = list(SchoolLevel)


@dataclass(frozen=True, slots=True)
class MatrixMeasure:
    id: uuid.UUID
    code: str
    name: str
    unit: Unit
    direction: Direction


@dataclass(frozen=True, slots=True)
class PeerMedian:
    level: SchoolLevel
    median: float
    schools: int  # schools of the level with a value


@dataclass(frozen=True, slots=True)
class MatrixColumn:
    measure: MatrixMeasure
    peer_medians: list[PeerMedian]  # levels with a value, in SchoolLevel order


class MatrixCell(NamedTuple):
    """A tuple, not a dataclass: a matrix makes one per school and measure (800 for 20 schools
    x 40 measures), and a frozen dataclass sets each field by a Python call."""

    value: float | None
    period_start: date | None
    status: Status
    rank: int | None


EMPTY = MatrixCell(None, None, Status.NO_DATA, None)
# A stored status by its value (a dict lookup: Status(value) costs an enum call per cell).
STATUS_OF = {status.value: status for status in Status}


@dataclass(frozen=True, slots=True)
class MatrixRow:
    school: SchoolFields
    cells: list[MatrixCell]  # one per column, in the columns' order


@dataclass(frozen=True, slots=True)
class ProcessMatrix:
    process_id: uuid.UUID
    school_year: int
    columns: list[MatrixColumn]
    rows: list[MatrixRow]


async def process_matrix(
    *, session: AsyncSession, district_id: uuid.UUID, process_id: uuid.UUID, school_year: int
) -> ProcessMatrix:
    """The matrix (see the module docstring). NOT_FOUND (``processId``) for a process not in
    the district; BAD_INPUT (``schoolYear``) for a year out of range."""
    check_school_year(school_year)
    # The whole tree (a few hundred rows at most) in one statement: the process and, below
    # it, its descendants.
    in_district = {"district_id": district_id}
    tree = await fetch_tuples(session, _PROCESS_TREE, in_district)
    if process_id not in {node_id for node_id, _ in tree}:
        raise NotFound("processId", "no such process")
    ids = descendants(tree, {process_id})[process_id]
    measures = sorted(
        (
            MatrixMeasure(*row)
            for row in await fetch_tuples(
                session, _SCHOOL_MEASURES, {**in_district, "process_ids": list(ids)}
            )
        ),
        key=lambda m: (m.code, m.id),
    )
    schools: list[SchoolFields] = sorted(
        await fetch_plain(session, _SCHOOLS, in_district), key=lambda s: (s.name, s.id)
    )
    if not measures or not schools:
        rows = [MatrixRow(school, [EMPTY] * len(measures)) for school in schools]
        return ProcessMatrix(process_id, school_year, [MatrixColumn(m, []) for m in measures], rows)
    # The grid by position: each id is hashed once per row read, not once per cell looked up.
    # Each row found comes with its column and row (PostgreSQL's array_position over the
    # measures and schools as listed): hashing a uuid.UUID is a Python call, and two per
    # row read were a fifth of the matrix's CPU (py-spy).
    positions = {
        **in_district,
        "school_year": school_year,
        "measure_ids": [m.id for m in measures],
        "school_ids": [s.id for s in schools],
    }
    latest: list[list[tuple[date, float] | None]] = [[None] * len(schools) for _ in measures]
    statuses: list[list[Status]] = [[Status.NO_DATA] * len(schools) for _ in measures]
    first, last = school_year_bounds(school_year)
    for column, row, status, period, value, stale in await fetch_tuples(
        session, _CELLS, {**positions, "first": first, "last": last}
    ):
        if row is None:
            continue
        if status is not None:  # the stored row
            statuses[column - 1][row - 1] = STATUS_OF[status]
            if stale:
                continue  # its value is the computed row's
        if period is not None:  # a year with a target but no value has a row without one
            latest[column - 1][row - 1] = (period, served(measures[column - 1].unit, value))
    columns = []
    cells: list[list[MatrixCell]] = [[] for _ in schools]
    for column, measure in enumerate(measures):
        # Ranks and medians as schoolComparison takes them (analytics.comparison): competition
        # ranks over the schools with a value, each level's median once.
        reported = [r for r, found in enumerate(latest[column]) if found is not None]
        values = [latest[column][r][1] for r in reported]  # type: ignore[index]
        ranks = dict(
            zip(
                reported,
                competition_ranks(
                    values, higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER
                ),
                strict=True,
            )
        )
        by_level: dict[SchoolLevel, list[float]] = defaultdict(list)
        for r, value in zip(reported, values, strict=True):
            by_level[schools[r].level].append(value)
        columns.append(
            MatrixColumn(
                measure,
                [
                    PeerMedian(
                        level, derived(statistics.median(by_level[level])), len(by_level[level])
                    )
                    for level in LEVEL_ORDER
                    if by_level[level]
                ],
            )
        )
        for r, found in enumerate(latest[column]):
            cells[r].append(
                MatrixCell(
                    value=None if found is None else found[1],
                    period_start=None if found is None else found[0],
                    status=statuses[column][r],
                    rank=ranks.get(r),
                )
            )
    rows = [MatrixRow(school, cells[r]) for r, school in enumerate(schools)]
    return ProcessMatrix(process_id, school_year, columns, rows)


# The four statements, built once with bound parameters (an id list is one uuid[] parameter)
# and fetched by asyncpg itself (db.plain_rows): building them per request and SQLAlchemy's
# ORM execution were about a fifth of the matrix's CPU (py-spy, 20 schools x 40 measures).
_IDS = ARRAY(UUID(as_uuid=True))
_PROCESS_TREE = select(Process.id, Process.parent_id).where(
    Process.district_id == bindparam("district_id")
)
_SCHOOL_MEASURES = select(
    Measure.id, Measure.code, Measure.name, Measure.unit, Measure.direction
).where(
    Measure.district_id == bindparam("district_id"),
    Measure.process_id == any_(bindparam("process_ids", type_=_IDS)),
    Measure.level == MeasureLevel.SCHOOL,
)
_SCHOOLS = select(*SCHOOL_COLUMNS).where(School.district_id == bindparam("district_id"))
# A row's column and row: array_position is 1-based, NULL for an id not in the list.
_COLUMN_OF = bindparam("measure_ids", type_=_IDS)
_ROW_OF = bindparam("school_ids", type_=_IDS)
# Each cell's stored row (the worker's ``measure_statuses``: its status, and the newest value
# of the year the worker read), and, for a measure written since the worker's last refresh
# (a dirty mark, ``measures.jobs``), the newest values computed from the data instead: one
# statement, so one snapshot, and a value is never older than a committed write (the
# argument of ``measures.latest_points``). Computing every cell's newest value from the data
# was 4 of the matrix's 5 ms of PostgreSQL (36 measures x 20 schools, 2,840 values).
_MARKED = select(MeasureDirtyMark.measure_id).where(
    MeasureDirtyMark.district_id == bindparam("district_id")
)
_STORED_CELLS = select(
    func.array_position(_COLUMN_OF, MeasureStatus.measure_id),
    func.array_position(_ROW_OF, MeasureStatus.school_id),
    MeasureStatus.status,
    MeasureStatus.latest_period,
    MeasureStatus.latest_value,
    MeasureStatus.measure_id.in_(_MARKED).label("stale"),
).where(
    MeasureStatus.district_id == bindparam("district_id"),
    MeasureStatus.school_year == bindparam("school_year"),
    MeasureStatus.school_id.is_not(None),
    MeasureStatus.measure_id == any_(_COLUMN_OF),
)
# Each school's newest period in the school year, per marked measure; its positions found
# once the newest are picked (over every value of the year, array_position cost 2 ms).
_NEWEST = (
    select(
        Measurement.measure_id, Measurement.school_id, Measurement.period_start, Measurement.value
    )
    .where(
        Measurement.district_id == bindparam("district_id"),
        Measurement.measure_id == any_(_COLUMN_OF),
        Measurement.measure_id.in_(_MARKED),
        Measurement.school_id.is_not(None),
        Measurement.period_start.between(bindparam("first"), bindparam("last")),
    )
    .order_by(Measurement.measure_id, Measurement.school_id, Measurement.period_start.desc())
    .ext(distinct_on(Measurement.measure_id, Measurement.school_id))
    .subquery("newest")
)
_COMPUTED_CELLS = select(
    func.array_position(_COLUMN_OF, _NEWEST.c.measure_id),
    func.array_position(_ROW_OF, _NEWEST.c.school_id),
    null(),  # no status: a computed row is told from a stored one by it
    _NEWEST.c.period_start,
    _NEWEST.c.value,
    null(),
)
_CELLS = select(*union_all(_STORED_CELLS, _COMPUTED_CELLS).subquery("cells").c)
