"""Metrics hygiene: the district's measures that nobody owns, nothing uses, or nobody feeds.

DOMAIN.md "Metrics hygiene". Each flagged measure carries every reason that applies:

- NO_OWNER: no owner named.
- NO_PROCESS_OR_LOGIC_MODEL: no process, and not placed in (or linked within) any logic model.
- NO_RECENT_DATA: no value, for the district or any school, in either of the two most recent
  complete periods of its frequency as of the given day (two missed periods).
- NO_TARGET: no target, district-wide or for any school, for the school year of that day.
- NOT_ON_ANY_FORUM: in no management forum's scope (named by a forum, or of a process a forum
  names or of one of its descendants: ``governance.forums.scope_measures``), so no review
  meeting ever looks at it.

Every check DOMAIN.md names now runs (``NOT_CHECKED`` is empty). Three statements for the whole
district: its calendar, the measures with their checks, and the measures in some forum's scope.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import column, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.errors import BadInput
from district_ppm.governance.forums import on_some_forum
from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import last_complete_periods
from district_ppm.measures.rows import MEASURE_COLUMNS, MeasureRow
from district_ppm.school_calendar import school_year_of
from district_ppm.tenancy.calendar import get_district_calendar

RECENT_PERIODS = 2
# The periods before asOf must be dates: near year 1 they are not (and no district has data).
MIN_YEAR, MAX_YEAR = 1900, 2199
NOT_CHECKED: list[str] = []  # every check DOMAIN.md names runs


class HygieneReason(enum.StrEnum):
    NO_OWNER = "NO_OWNER"
    NO_PROCESS_OR_LOGIC_MODEL = "NO_PROCESS_OR_LOGIC_MODEL"
    NO_RECENT_DATA = "NO_RECENT_DATA"
    NO_TARGET = "NO_TARGET"
    NOT_ON_ANY_FORUM = "NOT_ON_ANY_FORUM"


@dataclass(frozen=True, slots=True)
class HygieneLine:
    measure: MeasureRow
    reasons: list[HygieneReason]


_ON_SOME_FORUM = on_some_forum()  # built once, fetched by the driver (db.plain_rows)

# Every measure's columns (``MEASURE_COLUMNS``, a ``MeasureRow``) and whether each check fails.
# (The SQL is formatted from the model's own column names only, never from input.)
_CHECKS = f"""
SELECT {", ".join(f"m.{column.key}" for column in MEASURE_COLUMNS)},
       coalesce(btrim(m.owner), '') = '' AS no_owner,
       m.process_id IS NULL
         AND NOT EXISTS (SELECT 1 FROM logic_model_measures p
                         WHERE p.district_id = m.district_id AND p.measure_id = m.id)
         AND NOT EXISTS (SELECT 1 FROM measure_links l
                         WHERE l.district_id = m.district_id
                           AND (l.driver_id = m.id OR l.driven_id = m.id))
         AS unused,
       NOT EXISTS (SELECT 1 FROM measurements x
                   JOIN unnest(CAST(:frequencies AS text[]), CAST(:periods AS date[]))
                        AS r(frequency, period_start)
                     ON r.frequency = m.frequency AND r.period_start = x.period_start
                   WHERE x.district_id = m.district_id AND x.measure_id = m.id) AS no_data,
       NOT EXISTS (SELECT 1 FROM measure_targets t
                   WHERE t.district_id = m.district_id AND t.measure_id = m.id
                     AND t.school_year = :school_year) AS no_target
FROM measures m
WHERE m.district_id = :district_id
"""  # noqa: S608
# Built once, fetched by the driver (db.plain_rows) with the measures' enums converted: run
# through the session (a text clause per read), then the flagged measures read again by id,
# they were two fifths of the read's CPU (py-spy).
_CHECKS_READ = text(_CHECKS).columns(
    *MEASURE_COLUMNS, *map(column, ("no_owner", "unused", "no_data", "no_target"))
)


async def get_metrics_hygiene(
    *, session: AsyncSession, district_id: uuid.UUID, as_of: date
) -> list[HygieneLine]:
    """Every measure with at least one hygiene problem, by code, with all its reasons."""
    if not MIN_YEAR <= as_of.year <= MAX_YEAR:
        raise BadInput("asOf", f"must lie in the years {MIN_YEAR} to {MAX_YEAR}")
    fiscal_month = (
        await get_district_calendar(session=session, district_id=district_id)
    ).fiscal_year_start_month
    frequencies: list[str] = []
    periods: list[date] = []
    for frequency in Frequency:
        for start in last_complete_periods(frequency, as_of, fiscal_month, RECENT_PERIODS):
            frequencies.append(frequency.value)
            periods.append(start)
    rows = await fetch_tuples(
        session,
        _CHECKS_READ,
        {
            "district_id": district_id,
            "frequencies": frequencies,
            "periods": periods,
            "school_year": school_year_of(as_of),
        },
    )
    reviewed = {
        row[0] for row in await fetch_tuples(session, _ON_SOME_FORUM, {"district_id": district_id})
    }
    lines = []
    width = len(MEASURE_COLUMNS)
    for row in rows:
        measure = tuple.__new__(MeasureRow, row[:width])  # in C: no Python call per measure
        no_owner, unused, no_data, no_target = row[width:]
        reasons = [
            reason
            for reason, failed in (
                (HygieneReason.NO_OWNER, no_owner),
                (HygieneReason.NO_PROCESS_OR_LOGIC_MODEL, unused),
                (HygieneReason.NO_RECENT_DATA, no_data),
                (HygieneReason.NO_TARGET, no_target),
                (HygieneReason.NOT_ON_ANY_FORUM, measure.id not in reviewed),
            )
            if failed
        ]
        if reasons:
            lines.append(HygieneLine(measure, reasons))
    lines.sort(key=lambda line: (line.measure.code, line.measure.id))
    return lines
