"""Writing measurements: validation of a batch, the one merge every writer uses, and a plain
insert of keys not yet stored for bulk imports.

A write to an existing (measure, school, period) key replaces the value and the database moves
the old one to ``measurement_revisions`` (a trigger on the replaced row itself, so racing
writers lose nothing); writing the same value again changes nothing at all.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.errors import BadInput, BatchErrors, DomainError, Forbidden, NotFound
from district_ppm.measures.jobs import enqueue_refresh
from district_ppm.measures.models import Measure, MeasureLevel, Source
from district_ppm.measures.periods import period_problem
from district_ppm.schools.models import School
from district_ppm.tenancy.calendar import get_district_calendar

MAX_BATCH = 10_000
COMPUTED_BY = "system:computed"

# A statement's new ids: this prefix (the UUID version 7 layout: milliseconds, then random
# bits), then the row's number in key order (see MERGE_SQL).
ID_PREFIX_SQL = """
SELECT lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
       || '7' || substr(md5(random()::text), 1, 3)
       || '8' || substr(md5(random()::text), 1, 7) AS prefix
"""

# ``{incoming}`` is a relation of (measure_id, school_id, period_start, value, numerator,
# denominator) without duplicate keys. ``changes`` keeps only the rows that are new or carry a
# different value (a re-sent file finds none, so it writes nothing and queues nothing). The
# join's school key is coalesced so that a hash join can use it (district-wide rows have no
# school).
#
# The history is not written here: the ``measurements_keep_history`` trigger (migration 0010)
# copies the row each UPDATE really replaces. This statement's snapshot may be older than the
# row that ON CONFLICT ends up updating (a concurrent writer committed in between); copying
# from the snapshot lost such values.
#
# New rows get time-ordered ids (the UUID version 7 layout: milliseconds, random bits, then
# the row's number in key order), so they land at the right edge of the primary-key index
# instead of on random pages, and in key order in the unique index: a bulk import spends a
# third less time on index upkeep than with random ids. The ON CONFLICT clause still settles
# a row written by someone else since this statement's snapshot.
MERGE_SQL = """
WITH incoming AS ({incoming}),
changes AS MATERIALIZED (
    SELECT i.measure_id, i.school_id, i.period_start, i.value, i.numerator, i.denominator,
           row_number() OVER (ORDER BY i.measure_id, i.period_start, i.school_id) AS n
    FROM incoming i
    LEFT JOIN measurements m
      ON m.district_id = :district_id
     AND m.measure_id = i.measure_id
     AND m.period_start = i.period_start
     AND coalesce(m.school_id, '00000000-0000-0000-0000-000000000000'::uuid)
       = coalesce(i.school_id, '00000000-0000-0000-0000-000000000000'::uuid)
    WHERE m.id IS NULL
       OR (m.value, m.numerator, m.denominator)
          IS DISTINCT FROM (i.value, i.numerator, i.denominator)
),
ids AS ({id_prefix}),
written AS (
    INSERT INTO measurements (
        district_id, id, measure_id, school_id, period_start, value, numerator, denominator,
        source, recorded_by, recorded_at, created_at)
    SELECT :district_id, CAST(ids.prefix || lpad(to_hex(c.n), 8, '0') AS uuid), c.measure_id,
           c.school_id, c.period_start, c.value, c.numerator, c.denominator, :source,
           :recorded_by, now(), now()
    FROM changes c CROSS JOIN ids
    ORDER BY c.n  -- key order: racing batches lock shared keys in one order, never deadlock
    ON CONFLICT (district_id, measure_id, school_id, period_start) DO UPDATE
    SET value = excluded.value, numerator = excluded.numerator,
        denominator = excluded.denominator, source = excluded.source,
        recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at
    WHERE (measurements.value, measurements.numerator, measurements.denominator)
          IS DISTINCT FROM (excluded.value, excluded.numerator, excluded.denominator)
    RETURNING measure_id
)
SELECT DISTINCT measure_id FROM written
"""

# ``{incoming}`` is a relation like MERGE_SQL's whose keys none is stored; ``{key_order}``
# sorts its rows (aliased ``c``) by key (measure, period, school). A plain INSERT (no conflict
# arm: nothing is replaced, so there is no history to keep), with MERGE_SQL's ids, in key
# order; the window and the insert share one sort.
INSERT_NEW_SQL = """
WITH ids AS ({id_prefix})
INSERT INTO measurements (
    district_id, id, measure_id, school_id, period_start, value, numerator, denominator,
    source, recorded_by, recorded_at, created_at)
SELECT :district_id,
       CAST((SELECT prefix FROM ids)
            || lpad(to_hex(row_number() OVER (ORDER BY {key_order})), 8, '0') AS uuid),
       c.measure_id, c.school_id, c.period_start, c.value, c.numerator, c.denominator, :source,
       :recorded_by, now(), now()
FROM ({incoming}) c
ORDER BY {key_order}
"""
KEY_ORDER = "c.measure_id, c.period_start, c.school_id"

UNNEST_SQL = """
SELECT * FROM unnest(
    CAST(:measure_ids AS uuid[]), CAST(:school_ids AS uuid[]), CAST(:periods AS date[]),
    CAST(:values AS float8[]), CAST(:numerators AS float8[]), CAST(:denominators AS float8[])
) AS t(measure_id, school_id, period_start, value, numerator, denominator)
"""


async def merge_measurements(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    incoming_sql: str,
    params: dict[str, Any],
    source: Source,
    recorded_by: str,
) -> set[uuid.UUID]:
    """Upsert the rows of ``incoming_sql``; the ids of the measures whose data changed.

    Changed measures get their status refresh queued.
    """
    result = await session.execute(
        text(MERGE_SQL.format(incoming=incoming_sql, id_prefix=ID_PREFIX_SQL)),
        {**params, "district_id": district_id, "source": source.value, "recorded_by": recorded_by},
    )
    changed = set(result.scalars().all())
    if changed:
        await enqueue_refresh(session=session, district_id=district_id, measure_ids=changed)
    return changed


async def insert_new_measurements(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    incoming_sql: str,
    params: dict[str, Any],
    measure_ids: Sequence[uuid.UUID],
    source: Source,
    recorded_by: str,
    key_order: str = KEY_ORDER,
) -> int:
    """Insert the rows of ``incoming_sql`` (see INSERT_NEW_SQL), of the measures
    ``measure_ids``; how many were written. For a bulk write of keys that were not stored:
    one stored after all (a racing writer's) raises a unique violation, so run it in a
    savepoint and fall back on ``merge_measurements``. ``key_order``: SQL sorting the rows
    (``c``) as KEY_ORDER does, say by cheaper columns of the same order.

    The measures get their status refresh queued.
    """
    sql = INSERT_NEW_SQL.format(incoming=incoming_sql, key_order=key_order, id_prefix=ID_PREFIX_SQL)
    result = await session.execute(
        text(sql),
        {**params, "district_id": district_id, "source": source.value, "recorded_by": recorded_by},
    )
    if measure_ids:
        await enqueue_refresh(session=session, district_id=district_id, measure_ids=measure_ids)
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class MeasurementValue:
    period_start: date
    value: float
    school_id: uuid.UUID | None = None
    numerator: float | None = None
    denominator: float | None = None


def _row_problems(
    index: int, row: MeasurementValue, measure: Measure, fiscal_year_start_month: int
) -> list[DomainError]:
    where = f"values.{index}"
    problems: list[DomainError] = []
    if measure.level is MeasureLevel.SCHOOL and row.school_id is None:
        problems.append(BadInput(f"{where}.schoolId", "a SCHOOL-level measure needs a school"))
    if measure.level is MeasureLevel.DISTRICT and row.school_id is not None:
        problems.append(BadInput(f"{where}.schoolId", "a DISTRICT-level measure takes no school"))
    why = period_problem(measure.frequency, row.period_start, fiscal_year_start_month)
    if why:
        problems.append(BadInput(f"{where}.periodStart", why))
    for name in ("value", "numerator", "denominator"):
        number = getattr(row, name)
        if number is not None and not math.isfinite(number):
            problems.append(BadInput(f"{where}.{name}", "must be a finite number"))
    if row.denominator is not None and row.denominator <= 0:
        problems.append(BadInput(f"{where}.denominator", "must be greater than zero"))
    return problems


def _raise_first(problems: list[DomainError]) -> None:
    if not problems:
        return
    missing = [p for p in problems if isinstance(p, NotFound)]
    if missing:
        raise missing[0]
    bad = [p for p in problems if isinstance(p, BadInput)]
    raise bad[0] if len(bad) == 1 else BatchErrors(bad)


async def record_measurements(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    values: Sequence[MeasurementValue],
    recorded_by: str,
    allowed_school_ids: frozenset[uuid.UUID] | None = None,
) -> int:
    """Record a batch of one measure's values, all or nothing; returns how many were given.

    Fields in errors are relative to the input (``values.3.periodStart``). Each period start
    must fit the measure's frequency; SCHOOL-level values need a school, DISTRICT-level ones
    refuse it. ``allowed_school_ids`` (a SCHOOL_LEADER's schools) limits where one may record;
    None means anywhere.
    """
    measure = await session.get(Measure, (district_id, measure_id))
    if measure is None:
        raise NotFound("measureId", "no such measure")
    if len(values) > MAX_BATCH:
        raise BadInput("values", f"at most {MAX_BATCH} values per call")
    if not values:
        return 0
    fy_month = (
        await get_district_calendar(session=session, district_id=district_id)
    ).fiscal_year_start_month
    problems: list[DomainError] = []
    seen: dict[tuple[uuid.UUID | None, date], int] = {}
    for index, row in enumerate(values):
        problems += _row_problems(index, row, measure, fy_month)
        key = (row.school_id, row.period_start)
        if key in seen:
            problems.append(
                BadInput(
                    f"values.{index}.periodStart",
                    f"the same school and period are already given at values.{seen[key]}",
                )
            )
        seen.setdefault(key, index)
    school_ids = {row.school_id for row in values if row.school_id is not None}
    if school_ids:
        known = set(
            await session.scalars(
                select(School.id).where(
                    School.district_id == district_id, School.id.in_(school_ids)
                )
            )
        )
        for index, row in enumerate(values):
            if row.school_id is not None and row.school_id not in known:
                problems.append(NotFound(f"values.{index}.schoolId", "no such school"))
    _raise_first(problems)
    if allowed_school_ids is not None and any(
        row.school_id is None or row.school_id not in allowed_school_ids for row in values
    ):
        raise Forbidden("a school leader records only for their own schools")
    await _merge_values(
        session=session,
        district_id=district_id,
        measure_id=measure.id,
        values=values,
        source=Source.MANUAL,
        recorded_by=recorded_by,
    )
    return len(values)


async def _merge_values(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    values: Sequence[MeasurementValue],
    source: Source,
    recorded_by: str,
) -> set[uuid.UUID]:
    params = {
        "measure_ids": [measure_id] * len(values),
        "school_ids": [row.school_id for row in values],
        "periods": [row.period_start for row in values],
        "values": [float(row.value) for row in values],
        "numerators": [row.numerator for row in values],
        "denominators": [row.denominator for row in values],
    }
    return await merge_measurements(
        session=session,
        district_id=district_id,
        incoming_sql=UNNEST_SQL,
        params=params,
        source=source,
        recorded_by=recorded_by,
    )


@dataclass(frozen=True, slots=True)
class ComputedValue:
    school_id: uuid.UUID | None
    period_start: date
    value: float
    numerator: float | None = None
    denominator: float | None = None


async def record_computed_measurements(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    values: Sequence[ComputedValue],
) -> int:
    """Upsert a roll-up's values as source COMPUTED; returns how many were given.

    For workers publishing computed KPIs: no role checks, the caller vouches for the values.
    History is kept when a value changes, the status refresh is queued through the outbox,
    and re-sending equal values changes nothing. A repeated key keeps its last value.
    """
    last: dict[tuple[uuid.UUID | None, date], ComputedValue] = {}
    for row in values:
        last[(row.school_id, row.period_start)] = row
    rows = [
        MeasurementValue(
            period_start=row.period_start,
            value=row.value,
            school_id=row.school_id,
            numerator=row.numerator,
            denominator=row.denominator,
        )
        for row in last.values()
    ]
    if rows:
        await _merge_values(
            session=session,
            district_id=district_id,
            measure_id=measure_id,
            values=rows,
            source=Source.COMPUTED,
            recorded_by=COMPUTED_BY,
        )
    return len(values)
