"""A process compared across schools: every school x each SCHOOL-level measure of the process
and its descendants, for one school year (the administrators' view of the design card).

Columns are the measures by code; rows every school of the district by name (a school with no
value still has its row, so a heat map shows the gap). Each cell holds:

- ``value``: the school's latest value in the school year (the newest period starting in it),
  as served (HOURS to two decimals); null when the school has none;
- ``status``: the school's row of ``measure_statuses`` for the year (the worker's scorecard
  status against the school's target, else the district's); NO_DATA when there is no row;
- ``rank``: among the schools with a value, 1 = best for the measure's direction; ties share
  the best rank and the next rank skips (as ``schoolComparison`` ranks, on ``value``).

Each column also carries the peer-group median per school level (the peer group of
``schoolComparison``: schools of the same level), over the schools of that level with a value,
to four decimals as ``schoolComparison``'s ``peerMedian``. Five statements whatever the number
of schools and measures.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.comparison import Entry, Ranked, compare
from district_ppm.analytics.status import Status
from district_ppm.errors import NotFound
from district_ppm.governance.responsibilities import descendants
from district_ppm.measures.models import (
    Direction,
    Measure,
    MeasureLevel,
    Measurement,
    MeasureStatus,
    served,
)
from district_ppm.processes.models import Process
from district_ppm.school_calendar import check_school_year, school_year_bounds
from district_ppm.schools.models import School, SchoolLevel

LEVEL_ORDER = list(SchoolLevel)


@dataclass(frozen=True, slots=True)
class PeerMedian:
    level: SchoolLevel
    median: float
    schools: int  # schools of the level with a value


@dataclass(frozen=True, slots=True)
class MatrixColumn:
    measure: Measure
    peer_medians: list[PeerMedian]  # levels with a value, in SchoolLevel order


@dataclass(frozen=True, slots=True)
class MatrixCell:
    value: float | None
    period_start: date | None
    status: Status
    rank: int | None


@dataclass(frozen=True, slots=True)
class MatrixRow:
    school: School
    cells: list[MatrixCell]  # one per column, in the columns' order


@dataclass(frozen=True, slots=True)
class ProcessMatrix:
    process: Process
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
    tree = {
        p.id: p
        for p in await session.scalars(select(Process).where(Process.district_id == district_id))
    }
    process = tree.get(process_id)
    if process is None:
        raise NotFound("processId", "no such process")
    ids = descendants(((p.id, p.parent_id) for p in tree.values()), {process_id})[process_id]
    measures = sorted(
        await session.scalars(
            select(Measure).where(
                Measure.district_id == district_id,
                Measure.process_id.in_(ids),
                Measure.level == MeasureLevel.SCHOOL,
            )
        ),
        key=lambda m: (m.code, m.id),
    )
    schools = sorted(
        await session.scalars(select(School).where(School.district_id == district_id)),
        key=lambda s: (s.name, s.id),
    )
    if not measures or not schools:
        empty = [MatrixCell(None, None, Status.NO_DATA, None) for _ in measures]
        rows = [MatrixRow(school, list(empty)) for school in schools]
        return ProcessMatrix(process, school_year, [MatrixColumn(m, []) for m in measures], rows)
    latest = await _latest_values(session, district_id, measures, school_year)
    statuses = {
        (measure_id, school_id): status
        for measure_id, school_id, status in (
            await session.execute(
                select(
                    MeasureStatus.measure_id, MeasureStatus.school_id, MeasureStatus.status
                ).where(
                    MeasureStatus.district_id == district_id,
                    MeasureStatus.school_year == school_year,
                    MeasureStatus.school_id.is_not(None),
                    MeasureStatus.measure_id.in_([m.id for m in measures]),
                )
            )
        )
    }
    columns, ranks = [], {}
    for measure in measures:
        # Ranked and medians taken exactly as schoolComparison does it (analytics.comparison).
        ranked = compare(
            [
                Entry(school.id, school.level, latest[(measure.id, school.id)][1])
                for school in schools
                if (measure.id, school.id) in latest
            ],
            higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
        )
        ranks.update({(measure.id, r.key): r.rank for r in ranked})
        levels = {school.id: school.level for school in schools}
        by_level: dict[SchoolLevel, list[Ranked]] = defaultdict(list)
        for r in ranked:
            by_level[levels[r.key]].append(r)  # type: ignore[index]
        columns.append(
            MatrixColumn(
                measure,
                [
                    PeerMedian(level, by_level[level][0].peer_median, len(by_level[level]))
                    for level in LEVEL_ORDER
                    if by_level[level]
                ],
            )
        )
    rows = [
        MatrixRow(
            school,
            [
                MatrixCell(
                    value=latest.get((m.id, school.id), (None, None))[1],
                    period_start=latest.get((m.id, school.id), (None, None))[0],
                    status=Status(statuses.get((m.id, school.id), Status.NO_DATA.value)),
                    rank=ranks.get((m.id, school.id)),
                )
                for m in measures
            ],
        )
        for school in schools
    ]
    return ProcessMatrix(process, school_year, columns, rows)


async def _latest_values(
    session: AsyncSession, district_id: uuid.UUID, measures: list[Measure], school_year: int
) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[date, float]]:
    """(measure, school) -> (period, value served) of the newest period in the school year."""
    first, last = school_year_bounds(school_year)
    units = {m.id: m.unit for m in measures}
    rows = await session.execute(
        select(
            Measurement.measure_id,
            Measurement.school_id,
            Measurement.period_start,
            Measurement.value,
        )
        .where(
            Measurement.district_id == district_id,
            Measurement.measure_id.in_(list(units)),
            Measurement.school_id.is_not(None),
            Measurement.period_start.between(first, last),
        )
        .order_by(Measurement.measure_id, Measurement.school_id, Measurement.period_start.desc())
        .ext(distinct_on(Measurement.measure_id, Measurement.school_id))
    )
    # school_id is never NULL here (the statement leaves district-wide rows out).
    return {
        (measure_id, school_id): (period, served(units[measure_id], value))  # type: ignore[misc]
        for measure_id, school_id, period, value in rows
    }
