"""POST /api/v1/imports/measurements: streamed by COPY into staging, checked in SQL, written.

Only the header line is read in Python. The body goes from the request, chunk by chunk,
through PostgreSQL's COPY into a temporary table of text cells numbered in input order; one
statement then resolves codes, schools and dates (casts guarded by patterns, so a bad cell
becomes an error, not an aborted statement) into typed rows, each flagged when a check
refuses it. One aggregate over the rows (the survey) then says whether any is flagged and
whether any measurement is stored in the file's range; only a flagged file is explained cell
by cell, and any error rejects the whole file before a single measurement is written.

A file whose measurements are all new (nothing stored for each of its measures between its
first and last period in the file: a first import, or the periods since the last one) is
written by a plain INSERT in key order (recording.insert_new_measurements): no anti-join, no
conflict arm, no history to keep. A repeated key in the file, or a row a racing writer stored
since, breaks the unique key: the INSERT is rolled back to its savepoint and the general write
settles it. The general write, for every other file, looks for repeated keys and merges
(recording.merge_measurements), keeping history and skipping equal values, so a re-sent file
changes nothing. Memory stays flat whatever the file's size.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.unit_of_work import UNIQUE_VIOLATION, UnitOfWork
from district_ppm.imports.csvfile import (
    MAX_REPORTED_ERRORS,
    RowError,
    no_rows,
    reject_if_any,
    shown_sql,
)
from district_ppm.imports.registry import register_import
from district_ppm.imports.staging import stage_cells
from district_ppm.imports.stream import CsvStream, check_header
from district_ppm.measures.models import Frequency, Source
from district_ppm.measures.periods import period_problem
from district_ppm.measures.recording import insert_new_measurements, merge_measurements
from district_ppm.tenancy.calendar import get_district_calendar
from district_ppm.tenancy.models import Role

REQUIRED = ("measure_code", "school", "period_start", "value")
OPTIONAL = ("numerator", "denominator")
CELLS = "measurement_import_cells"  # text, as the file has it
ROWS = "measurement_import_rows"  # resolved, typed, flagged: what the checks and writes read
# Sorting and hashing 720,000 keys (the writes' order, duplicates, the merge's join) spill to
# disk at 4MB.
WORK_MEM = "128MB"

# A number: no NaN or infinity. At most 64 characters and an exponent of at most two digits,
# so the cast can neither fail nor overflow (|x| < 1e164). Bounded repetitions ({1,30}) make
# PostgreSQL's regular expressions twice as slow, hence the separate length and exponent tests.
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def _number(cell: str) -> str:
    return (
        # Most cells are plain decimals (digits and at most one point, which the pattern
        # takes too): cast at once, sparing two pattern matches per cell.
        f"CASE WHEN length({cell}) <= 64 AND translate({cell}, '0123456789', '') IN ('', '.') "
        f"AND {cell} <> '.' THEN {cell}::float8 "
        f"WHEN length({cell}) > 64 OR {cell} !~ '{_NUMBER}' THEN NULL "
        f"WHEN strpos(lower({cell}), 'e') > 0 AND {cell} !~ '[eE][+-]?[0-9]{{1,2}}$' THEN NULL "
        f"ELSE {cell}::float8 END"
    )


_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

_MISALIGNED = """CASE r.frequency
    WHEN 'DAILY' THEN false
    WHEN 'WEEKLY' THEN extract(isodow FROM r.period_start) <> 1
    WHEN 'MONTHLY' THEN extract(day FROM r.period_start) <> 1
    WHEN 'QUARTERLY' THEN extract(day FROM r.period_start) <> 1
        OR extract(month FROM r.period_start) NOT IN (1, 4, 7, 10)
    WHEN 'SCHOOL_YEAR' THEN extract(day FROM r.period_start) <> 1
        OR extract(month FROM r.period_start) <> 7
    ELSE extract(day FROM r.period_start) <> 1
        OR extract(month FROM r.period_start) <> :fiscal_month END"""

_NOT_YOURS = "(r.school_id IS NULL OR NOT r.school_id = ANY(CAST(:allowed AS uuid[])))"

# A row some check refuses (_CELL_ERRORS says which and why); NULL counts as not refused.
_SUSPECT = f"""(r.measure_id IS NULL OR r.period_start IS NULL OR r.value IS NULL
    OR (r.numerator_text IS NOT NULL AND r.numerator IS NULL)
    OR (r.denominator_text IS NOT NULL AND (r.denominator IS NULL OR r.denominator <= 0))
    OR (r.level = 'SCHOOL' AND r.school_id IS NULL)
    OR (r.level = 'DISTRICT' AND r.school IS NOT NULL)
    OR (:leader AND {_NOT_YOURS})
    OR {_MISALIGNED}) IS TRUE"""

# The cells trimmed, empty ones NULL. OFFSET 0 is a fence: each cell is trimmed once, not
# once for each use of it further up.
_TRIMMED = f"""
SELECT line, nullif(trim(measure_code), '') AS measure_code,
       nullif(trim(school), '') AS school, nullif(trim(period_start), '') AS period_text,
       nullif(trim(value), '') AS value_text, nullif(trim(numerator), '') AS numerator_text,
       nullif(trim(denominator), '') AS denominator_text
FROM {CELLS}
OFFSET 0
"""  # noqa: S608 - constants only
# ... and the numbers parsed, each once (the same fence).
_PARSED = f"""
SELECT c.*, {_number("value_text")} AS value, {_number("numerator_text")} AS numerator,
       {_number("denominator_text")} AS denominator
FROM ({_TRIMMED}) c
OFFSET 0
"""  # noqa: S608 - constants only

# Each distinct period text is parsed, and each distinct school key looked up, once. CASE
# fixes the order of evaluation: no cast runs before the pattern that makes it safe matched.
# Measures and schools carry the rank of their id: the write's key order as cheap integers.
# The rows keep only what the checks, the survey and the writes read; the cells' text is
# read again for the few flagged rows only (_CELL_ERRORS).
_RESOLVE = f"""
CREATE TEMP TABLE {ROWS} ON COMMIT DROP AS
WITH periods AS (
    SELECT p AS period_text, CASE
        WHEN p !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN NULL
        WHEN substr(p, 1, 4)::int < 1 OR substr(p, 6, 2)::int NOT BETWEEN 1 AND 12 THEN NULL
        WHEN substr(p, 9, 2)::int NOT BETWEEN 1 AND extract(day FROM
                 make_date(substr(p, 1, 4)::int, substr(p, 6, 2)::int, 1)
                 + interval '1 month - 1 day') THEN NULL
        ELSE p::date END AS period_start
    FROM (SELECT DISTINCT trim(period_start) AS p FROM {CELLS}) d
), named_schools AS (
    -- A school is named by its NCES id or its id.
    SELECT s.school_text, s.school_id, dense_rank() OVER (ORDER BY s.school_id) AS ordinal
    FROM (
        SELECT d.s AS school_text, coalesce(n.id, i.id) AS school_id
        FROM (SELECT DISTINCT trim(school) AS s FROM {CELLS}) d
        LEFT JOIN schools n ON n.district_id = :district_id AND n.nces_id = d.s
        LEFT JOIN schools i ON i.district_id = :district_id
            AND i.id = CASE WHEN d.s ~* '{_UUID}' THEN d.s::uuid END
    ) s
), ranked_measures AS (
    SELECT id, code, level, frequency, row_number() OVER (ORDER BY id) AS ordinal
    FROM measures WHERE district_id = :district_id
)
SELECT r.line, r.measure_id, r.measure_ordinal, r.level, r.frequency, r.school_id,
       r.school_ordinal,
       -- An unknown school is keyed by how the file names it (the duplicate check).
       CASE WHEN r.school_id IS NULL THEN r.school END AS school_text,
       r.period_start, r.value, r.numerator, r.denominator, {_SUSPECT} AS suspect
FROM (
    SELECT c.line, c.school, c.numerator_text, c.denominator_text, c.value, c.numerator,
           c.denominator, m.id AS measure_id, m.ordinal AS measure_ordinal, m.level,
           m.frequency, k.school_id, k.ordinal AS school_ordinal, p.period_start
    FROM ({_PARSED}) c
    LEFT JOIN ranked_measures m ON m.code = c.measure_code
    LEFT JOIN named_schools k ON k.school_text = c.school
    LEFT JOIN periods p ON p.period_text = c.period_text
    -- A blank line (all cells empty) carries nothing.
    WHERE num_nonnulls(c.measure_code, c.school, c.period_text, c.value_text, c.numerator_text,
                       c.denominator_text) > 0
) r
"""  # noqa: S608 - constants only; values are bound parameters

# One pass over the rows, summed per measure, decides the write: how many rows, whether any
# is flagged, whether any measurement is stored between the measure's first and last period
# in the file (one index probe per measure), and the measures written.
_SURVEY = f"""
SELECT coalesce(sum(m.rows), 0), coalesce(bool_or(m.suspect), false),
       coalesce(bool_or(EXISTS (
           SELECT 1 FROM measurements x
           WHERE x.district_id = :district_id AND x.measure_id = m.measure_id
             AND x.period_start BETWEEN m.first_period AND m.last_period)), false),
       coalesce(array_agg(m.measure_id) FILTER (WHERE m.measure_id IS NOT NULL), '{{}}')
FROM (
    SELECT measure_id, count(*) AS rows, bool_or(suspect) AS suspect,
           min(period_start) AS first_period, max(period_start) AS last_period
    FROM {ROWS} GROUP BY measure_id
) m
"""  # noqa: S608

# Every bad cell of the flagged rows, in line order, their cells' text read again;
# 'misaligned' is worded in Python by periods.period_problem.
_CELL_ERRORS = f"""
SELECT r.line, e.col, e.msg, r.frequency, r.period_start
FROM (
    SELECT r.*, c.measure_code, c.school, c.period_text, c.value_text, c.numerator_text,
           c.denominator_text
    FROM {ROWS} r
    JOIN ({_TRIMMED}) c ON c.line = r.line
    WHERE r.suspect
) r
CROSS JOIN LATERAL (VALUES
  ('measure_code', CASE
     WHEN r.measure_code IS NULL THEN 'must not be empty'
     WHEN r.measure_id IS NULL
       THEN 'no measure with code ' || {shown_sql("r.measure_code")} || ' in this district' END),
  ('school', CASE
     WHEN r.measure_id IS NULL THEN NULL
     WHEN r.level = 'SCHOOL' AND r.school IS NULL THEN 'a SCHOOL-level measure needs a school'
     WHEN r.level = 'DISTRICT' AND r.school IS NOT NULL
       THEN 'a DISTRICT-level measure takes no school'
     WHEN r.level = 'SCHOOL' AND r.school_id IS NULL
       THEN 'no school with NCES id or id ' || {shown_sql("r.school")}
     WHEN :leader AND {_NOT_YOURS}
       THEN 'a school leader records only for their own schools' END),
  ('period_start', CASE
     WHEN r.period_text IS NULL THEN 'must not be empty'
     WHEN r.period_start IS NULL THEN 'must be a date YYYY-MM-DD'
     WHEN r.measure_id IS NOT NULL AND {_MISALIGNED} THEN 'misaligned' END),
  ('value', CASE
     WHEN r.value_text IS NULL THEN 'must not be empty'
     WHEN r.value IS NULL THEN 'must be a number' END),
  ('numerator', CASE
     WHEN r.numerator_text IS NOT NULL AND r.numerator IS NULL THEN 'must be a number' END),
  ('denominator', CASE
     WHEN r.denominator_text IS NOT NULL AND r.denominator IS NULL THEN 'must be a number'
     WHEN r.denominator <= 0 THEN 'must be greater than zero' END)
) AS e(col, msg)
WHERE e.msg IS NOT NULL
ORDER BY r.line, e.col
LIMIT {MAX_REPORTED_ERRORS}
"""  # noqa: S608

# Repeated keys: a hash aggregate finds them (rarely any); only then are their lines listed.
_DUPLICATE_KEYS = f"""
SELECT measure_id, school_id, period_start, school_text
FROM {ROWS}
WHERE measure_id IS NOT NULL AND period_start IS NOT NULL
GROUP BY measure_id, school_id, period_start, school_text
HAVING count(*) > 1
"""  # noqa: S608
_DUPLICATE_LINES = f"""
SELECT array_agg(r.line ORDER BY r.line) AS lines
FROM {ROWS} r
JOIN unnest(CAST(:measure_ids AS uuid[]), CAST(:school_ids AS uuid[]),
            CAST(:periods AS date[]), CAST(:schools AS text[]))
     AS d(measure_id, school_id, period_start, school_text)
  ON r.measure_id = d.measure_id AND r.period_start = d.period_start
 AND r.school_id IS NOT DISTINCT FROM d.school_id
 AND r.school_text IS NOT DISTINCT FROM d.school_text
GROUP BY d.measure_id, d.school_id, d.period_start, d.school_text
ORDER BY 1
LIMIT {MAX_REPORTED_ERRORS}
"""  # noqa: S608

_INCOMING = f"""
SELECT measure_id, school_id, period_start, value, numerator, denominator FROM {ROWS}
"""  # noqa: S608
# The rows written when all are new, and their key order (measure id, period, school id) by
# the ranks of the ids: three integers sort faster than two uuids and a date.
_NEW_ROWS = f"""
SELECT measure_id, measure_ordinal, school_id, school_ordinal, period_start, value, numerator,
       denominator
FROM {ROWS}
"""  # noqa: S608
_NEW_ROWS_ORDER = "c.measure_ordinal, c.period_start, c.school_ordinal"


async def _cell_errors(
    session: AsyncSession, params: dict[str, Any], fiscal_month: int
) -> list[RowError]:
    errors: list[RowError] = []
    cells = await session.execute(text(_CELL_ERRORS), params)
    for line, column, message, frequency, period in cells.all():
        if message == "misaligned":
            message = period_problem(Frequency(frequency), period, fiscal_month) or message
        errors.append(RowError(line, column, message))
    return errors


async def _duplicate_errors(session: AsyncSession) -> list[RowError]:
    errors: list[RowError] = []
    keys = (await session.execute(text(_DUPLICATE_KEYS))).all()
    if keys:
        measure_ids, school_ids, periods, schools = (
            list(column) for column in zip(*keys, strict=True)
        )
        duplicates = await session.execute(
            text(_DUPLICATE_LINES),
            {
                "measure_ids": measure_ids,
                "school_ids": school_ids,
                "periods": periods,
                "schools": schools,
            },
        )
        for (lines,) in duplicates.all():
            errors += [
                RowError(
                    line,
                    "period_start",
                    f"the same measure, school and period are on line {lines[0]}",
                )
                for line in lines[1:]
            ]
    return errors


async def _insert_new(uow: UnitOfWork, measure_ids: list[uuid.UUID]) -> bool:
    """Write rows none of whose keys was stored when surveyed; False, having written nothing,
    when one is there after all (repeated in the file, or stored by a racing writer since)."""
    try:
        async with uow.session.begin_nested():
            await insert_new_measurements(
                session=uow.session,
                district_id=uow.district_id,
                incoming_sql=_NEW_ROWS,
                key_order=_NEW_ROWS_ORDER,
                params={},
                measure_ids=measure_ids,
                source=Source.IMPORT,
                recorded_by=uow.principal.actor,
            )
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return False
    return True


@register_import("measurements", Role.DISTRICT_ADMIN, Role.PROCESS_OWNER, Role.SCHOOL_LEADER)
async def import_measurements(uow: UnitOfWork, source: CsvStream) -> int:
    """Columns ``measure_code, school, period_start, value, [numerator], [denominator]`` in
    any order; ``school`` is a school's NCES id or id, empty for DISTRICT-level measures.
    Same rules and roles as ``recordMeasurements``; all or nothing."""
    header = await source.header()
    check_header(header, REQUIRED, OPTIONAL)
    session, district_id = uow.session, uow.district_id
    calendar = await get_district_calendar(session=session, district_id=district_id)
    fiscal_month = calendar.fiscal_year_start_month
    scope = uow.principal.school_scope()  # None: any school (and district-wide rows)
    params = {
        "district_id": district_id,
        "leader": scope is not None,
        "allowed": sorted(scope or ()),
        "fiscal_month": fiscal_month,
    }
    await session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    await stage_cells(session=session, source=source, table=CELLS, columns=REQUIRED + OPTIONAL)
    await session.execute(text(_RESOLVE), params)
    survey = (await session.execute(text(_SURVEY), {"district_id": district_id})).one()
    rows, suspect, stored, measure_ids = int(survey[0]), bool(survey[1]), bool(survey[2]), survey[3]
    if suspect or source.errors:
        # The lines refused on the way (ragged, badly quoted, not UTF-8), the bad cells and
        # the repeated keys: everything to fix, in one answer.
        reject_if_any(
            source.errors,
            await _cell_errors(session, params, fiscal_month),
            await _duplicate_errors(session),
        )
        raise RuntimeError("a measurement row is flagged, yet no check names it")
    if not rows:
        raise no_rows()
    write = "insert"
    if stored or not await _insert_new(uow, measure_ids):
        write = "merge"
        reject_if_any(await _duplicate_errors(session))
        # Temporary tables have no statistics until analyzed; the merge's joins need them.
        await session.execute(text(f"ANALYZE {ROWS}"))
        await merge_measurements(
            session=session,
            district_id=district_id,
            incoming_sql=_INCOMING,
            params={},
            source=Source.IMPORT,
            recorded_by=uow.principal.actor,
        )
    uow.audit("measurement", None, rows=rows, bytes=source.bytes_read, write=write)
    return rows
