"""How many values each period of a measure holds: school values, and whether a district-wide
value is there. Data-entry reminders (``governance.reminders``) ask it of the trailing year of
every measure someone owns.

Counted from the data, that is every measurement of the year read on each read: 13,500 rows
and about 8 ms of PostgreSQL for the 121 measures of one person at 20 schools. So the status
refresh job stores each measure's counts (``store_period_counts``), computed from the
histories it read, in the transaction where it takes the measure's dirty marks, as it stores
the latest chart points (``measures.latest_points`` gives the argument in full): a reader takes
a stored row only when, in the same statement, the measure has no dirty mark, and counts every
other measure from the data in that statement's second half. A write marks its measures in the
writer's transaction, and the job takes the marks before it reads, so a row without a mark
holds every committed write; a measure without a row (before its first refresh) is counted.
Writes made outside the application (``psql``) mark nothing, as for the status rows.

A row is written only when its counts changed: a quiet nightly run writes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import any_, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.array_text import array_text
from district_ppm.db.id_lists import ids_param
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.measures.models import PeriodCounts
from district_ppm.measures.series import History

# (periods in order, school values of each, a district-wide value in each)
Counts = tuple[list[date], list[int], list[bool]]


def counts_of(histories: Sequence[History]) -> Counts:
    """A measure's counts from its histories (one per school, None for district-wide)."""
    schools: Counter[date] = Counter()
    district_wide: set[date] = set()
    for school_id, periods, *_ in histories:
        if school_id is None:
            district_wide.update(periods)
        else:
            schools.update(periods)
    ordered = sorted(district_wide.union(schools))
    return ordered, [schools[p] for p in ordered], [p in district_wide for p in ordered]


_STORED = select(
    PeriodCounts.measure_id, PeriodCounts.periods, PeriodCounts.schools, PeriodCounts.district_wide
).where(
    PeriodCounts.district_id == bindparam("district_id"),
    PeriodCounts.measure_id == any_(ids_param("ids")),
)

# Every changed row in one statement, whatever their number. A row's arrays travel as their
# text ('{2024-01-01,2024-02-01}'): unnest cannot take arrays of uneven lengths.
_UPSERT = text(
    """
INSERT INTO measure_period_counts AS c (district_id, measure_id, periods, schools, district_wide)
SELECT :district_id, u.measure_id, CAST(u.periods AS date[]), CAST(u.schools AS int[]),
       CAST(u.district_wide AS boolean[])
FROM unnest(CAST(:measure_ids AS uuid[]), CAST(:periods AS text[]), CAST(:schools AS text[]),
            CAST(:district_wide AS text[])) AS u(measure_id, periods, schools, district_wide)
ON CONFLICT (district_id, measure_id) DO UPDATE
SET periods = excluded.periods, schools = excluded.schools,
    district_wide = excluded.district_wide
"""
)


async def store_period_counts(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_ids: Sequence[uuid.UUID],
    histories: Mapping[uuid.UUID, Sequence[History]],
) -> int:
    """Store the counts of each of ``measure_ids`` computed from ``histories`` (what the
    status refresh read in this transaction, after taking the marks); a measure with no
    history stores empty counts. Only rows that differ from the stored ones are written.
    Returns how many. Called by the status refresh job only (see the module docstring)."""
    if not measure_ids:
        return 0
    stored = {
        row[0]: (list(row[1]), list(row[2]), list(row[3]))
        for row in await fetch_tuples(
            session, _STORED, {"district_id": district_id, "ids": list(measure_ids)}
        )
    }
    changed = {
        measure_id: counts
        for measure_id in measure_ids
        if stored.get(measure_id) != (counts := counts_of(histories.get(measure_id, [])))
    }
    if changed:
        await session.execute(
            _UPSERT,
            {
                "district_id": district_id,
                "measure_ids": list(changed),
                "periods": [array_text(c[0]) for c in changed.values()],
                "schools": [array_text(c[1]) for c in changed.values()],
                "district_wide": [array_text(c[2]) for c in changed.values()],
            },
        )
    return len(changed)
