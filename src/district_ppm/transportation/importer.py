"""POST /api/v1/imports/bus-runs: hundreds of thousands of runs, streamed, all or nothing.

The body goes by COPY, as it arrives, into a temporary table of text cells (imports.staging);
lines that cannot be split into cells are reported by imports.lines on the way.

Most files are sound and new (a first import, or the days since the last one). They take the
fast path: one plain INSERT straight from the cells, each cell cast, each route resolved and
the runs put in key order by that statement, as close to a COPY into bus_runs as the app role
can come (COPY FROM is refused under row-level security); the same statement marks, for each
route of the file, the span of months it wrote. Every check is made by the INSERT failing:
a bad cell, an unknown route or one outside the caller's schools, a repeated key, or a run
stored already (a file sent again, or a racing writer's) rolls it back to its savepoint,
having written nothing, and the file takes the general path from its cells:

The cells are cast into typed rows in one statement, PostgreSQL reading each date and time far
faster than a pattern could check it, each row's route resolved by the same statement and the
remaining checks (route codes, the caller's school scope, the riders' range) computed into
one flag per row. A file with a cell that does not cast takes the slow path: one pass over the
text cells names every bad one by line and column. Then one of two writes, chosen by one
aggregate over the typed rows:

- the file's runs are new (no run is stored for its routes between each route's first and
  last day in the file): a plain INSERT in key order. No anti-join, no conflict arm. A
  repeated key in the file, or a run that a racing writer stored since, breaks the primary
  key: the INSERT is rolled back to its savepoint and the general write below settles it
  (naming the repeated lines, or merging).
- otherwise the general merge: one statement that skips unchanged runs, writes the rest in key
  order and marks each changed route's span of months, so a re-sent file changes no row and
  queues no recompute.

A mark is one row per route, first month through last (``BusRunDirtyMonth``): a first import
of three school years for 1,500 routes writes 1,500 marks where one per (route, month) was
40,500, a quarter of the import's PostgreSQL time.

Memory stays flat whatever the file's size.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.unit_of_work import UNIQUE_VIOLATION, UnitOfWork
from district_ppm.imports.csvfile import (
    MAX_REPORTED_ERRORS,
    ImportRejected,
    RowError,
    no_rows,
    reject_if_any,
    shown,
    shown_sql,
)
from district_ppm.imports.registry import register_import
from district_ppm.imports.staging import has_cells, stage_cells
from district_ppm.imports.stream import CsvStream, check_header
from district_ppm.jobs.service import enqueue_job
from district_ppm.tenancy.models import Role
from district_ppm.transportation.jobs import recompute_time_loss_job
from district_ppm.transportation.service import MAX_RIDERS

COLUMNS = ("route_code", "service_date", "scheduled_arrival", "actual_arrival", "riders")
REQUIRED, OPTIONAL = COLUMNS[:4], COLUMNS[4:]
REPORTED_ERRORS = MAX_REPORTED_ERRORS
DATA_EXCEPTION = "22"  # SQLSTATE class of a cast that failed (bad date, time, integer)
NOT_NULL_VIOLATION = "23502"
CELLS = "bus_run_cells"  # text, as the file has it

# A date's month and day in range by the pattern; only days 29 to 31 need the calendar.
_DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_TIME = r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
_RIDERS = f"must be a whole number from 0 to {MAX_RIDERS}"


def _date_of(cell: str) -> str:
    """SQL casting a date cell, NULL when it is. PostgreSQL also reads words as dates
    (infinity, today, epoch) and takes a suffix (BC, a time zone); a file's YYYY-MM-DD starts
    and ends with a digit. Any other cell fails the cast as a malformed date does (the cast
    of a text that is not constant runs only when reached), and the general path names it;
    an infinite date once imported this way made the months to recompute an endless series.
    The test reads the cell as it is: the general path gives it trimmed, the fast path as
    the file has it (a padded date fails there, and the general path takes the file). Two
    ``ascii`` calls cost PostgreSQL 0.3 s over 810,000 cells; the trims, slices and
    collated comparisons they replace cost 1.3 s."""
    digit = "BETWEEN 48 AND 57"
    return (
        f"CASE WHEN ascii({cell}) {digit} AND ascii(right({cell}, 1)) {digit} "
        f"THEN {cell}::date ELSE ('not a date: ' || {cell})::date END"
    )


def _problems(s: str) -> dict[str, str]:
    """Per column, SQL naming the problem of row ``s``'s cell, or NULL. CASE, unlike OR,
    fixes the order of evaluation: no cast runs before the pattern that makes it safe."""
    date = f"trim({s}.service_date)"

    def time_(column: str) -> str:
        cell = f"trim({s}.{column})"
        return f"""CASE WHEN coalesce({cell}, '') = '' THEN 'must not be empty'
            WHEN {cell} !~ '{_TIME}' THEN 'must be a time HH:MM or HH:MM:SS' END"""

    return {
        "route_code": f"""CASE WHEN coalesce(trim({s}.route_code), '') = ''
              THEN 'must not be empty'
            WHEN {s}.route_id IS NULL
              THEN 'no bus route with code ' || {shown_sql(f"trim({s}.route_code)")}
            WHEN NOT (:any_school OR {s}.school_id = ANY(CAST(:school_ids AS uuid[])))
              THEN 'the route serves a school outside yours' END""",
        "service_date": f"""CASE WHEN coalesce({date}, '') = '' THEN 'must not be empty'
            WHEN {date} !~ '{_DATE}' THEN 'must be a date YYYY-MM-DD'
            WHEN substr({date}, 9, 2) < '29' THEN NULL
            WHEN substr({date}, 1, 4) = '0000' OR substr({date}, 9, 2)::int > extract(day FROM
                   make_date(substr({date}, 1, 4)::int, substr({date}, 6, 2)::int, 1)
                   + interval '1 month - 1 day')
              THEN 'must be a date YYYY-MM-DD' END""",
        "scheduled_arrival": time_("scheduled_arrival"),
        "actual_arrival": time_("actual_arrival"),
        "riders": f"""CASE WHEN coalesce(trim({s}.riders), '') = '' THEN NULL
            WHEN trim({s}.riders) !~ '^[0-9]{{1,6}}$' OR trim({s}.riders)::int > {MAX_RIDERS}
              THEN '{_RIDERS}' END""",
    }


# The slow path, for a file with a cell that does not cast: one pass finds the bad rows, then
# only those are explained column by column.
_CELL_ERRORS_SQL = f"""
WITH staged AS (
    SELECT s.*, rt.id AS route_id, rt.school_id
    FROM {CELLS} s
    LEFT JOIN bus_routes rt ON rt.district_id = :district_id AND rt.code = trim(s.route_code)
    WHERE {has_cells(COLUMNS, "s")}
), bad AS MATERIALIZED (
    SELECT * FROM staged s
    WHERE num_nonnulls({", ".join(_problems("s").values())}) > 0
)
SELECT b.line, e.col, e.msg
FROM bad b
CROSS JOIN LATERAL (VALUES
  {", ".join(f"('{column}', {problem})" for column, problem in _problems("b").items())}
) AS e(col, msg)
WHERE e.msg IS NOT NULL
ORDER BY b.line
LIMIT {REPORTED_ERRORS}
"""  # noqa: S608 - constants only; values are bound parameters

ROWS = "bus_run_rows"  # typed, routes resolved: what the checks and both writes read
# Sorting 800,000 runs for the write (and hashing them for the checks) spills to disk at 4MB.
WORK_MEM = "128MB"

# The last day a run can have: a date of more than four year digits casts (PostgreSQL's
# dates run to the year 5874897), but is no YYYY-MM-DD, and past the year 294276 a month of
# it is no timestamp (that once answered a 500).
LAST_DAY = "DATE '9999-12-31'"

# A row that a check beyond the casts refuses; _ROW_ERRORS_SQL says which and why.
_SUSPECT = f"""(rt.id IS NULL
    OR NOT (:any_school OR rt.school_id = ANY(CAST(:school_ids AS uuid[])))
    OR c.service_date IS NULL OR c.service_date > {LAST_DAY}
    OR c.scheduled_arrival IS NULL OR c.actual_arrival IS NULL
    OR c.scheduled_arrival = '24:00' OR c.actual_arrival = '24:00'
    OR c.riders NOT BETWEEN 0 AND {MAX_RIDERS}) IS TRUE"""

# Empty cells become NULL, which the checks name; a cell that does not cast aborts the
# statement, and the slow path names it (with every other cell its patterns refuse). Codes,
# dates and riders are trimmed once, in the fenced subquery; a date or time cell of spaces
# alone fails its cast, for the slow path to name as empty (times are not trimmed: their
# casts skip surrounding spaces themselves; riders are: an empty riders cell is allowed).
# Each route is resolved here, once, with the rank of its id among the district's routes:
# the write's key order as a cheap integer.
_TYPED_CELLS = f"""
    SELECT line, route_code, {_date_of("service_date")} AS service_date,
           nullif(scheduled_arrival, '')::time AS scheduled_arrival,
           nullif(actual_arrival, '')::time AS actual_arrival, riders::integer AS riders
    FROM (
        SELECT line, trim(route_code) AS route_code,
               trim(nullif(service_date, '')) AS service_date, scheduled_arrival,
               actual_arrival, nullif(trim(riders), '') AS riders
        FROM {CELLS}
        OFFSET 0  -- a fence: each cell is trimmed once
    ) c
    -- A line with a route code is not blank: most lines skip the test of every cell.
    WHERE route_code <> '' OR num_nonnulls(nullif(service_date, ''),
                                           nullif(trim(scheduled_arrival), ''),
                                           nullif(trim(actual_arrival), ''), riders) > 0
    OFFSET 0  -- a fence: each cell is cast once, not once for each use of it above
"""  # noqa: S608
# The district's routes, each with the rank of its id: the writes' key order as an integer.
_ROUTES = """
    SELECT id, code, school_id, riders, row_number() OVER (ORDER BY id) AS ordinal
    FROM bus_routes WHERE district_id = :district_id
"""
# (route id, service date) as one integer: the route's rank above 32 bits, the day below (a
# date is within 2^31 days of 1970). Racing writers take keys in that one order, and the
# primary key grows at its right edge.
_KEY_ORDER = "({ordinal} << 32) + ({day} - DATE '1970-01-01')"

_CELLS_TO_ROWS = f"""
CREATE TEMP TABLE {ROWS} ON COMMIT DROP AS
SELECT c.line, c.route_code, rt.id AS route_id, rt.school_id, rt.riders AS route_riders,
       rt.ordinal AS route_ordinal, c.service_date, c.scheduled_arrival, c.actual_arrival,
       c.riders, {_SUSPECT} AS suspect
FROM ({_TYPED_CELLS}) c
LEFT JOIN ({_ROUTES}) rt ON rt.code = c.route_code
"""  # noqa: S608 - constants only; values are bound parameters

# The flagged rows explained, column by column.
_ROW_ERRORS_SQL = f"""
SELECT b.line, e.col, e.msg
FROM {ROWS} b
CROSS JOIN LATERAL (VALUES
  ('route_code', CASE
     WHEN coalesce(b.route_code, '') = '' THEN 'must not be empty'
     WHEN b.route_id IS NULL THEN 'no bus route with code ' || {shown_sql("b.route_code")}
     WHEN NOT (:any_school OR b.school_id = ANY(CAST(:school_ids AS uuid[])))
       THEN 'the route serves a school outside yours' END),
  ('service_date', CASE WHEN b.service_date IS NULL THEN 'must not be empty'
     WHEN b.service_date > {LAST_DAY} THEN 'must be a date YYYY-MM-DD' END),
  ('scheduled_arrival', CASE WHEN b.scheduled_arrival IS NULL THEN 'must not be empty'
     WHEN b.scheduled_arrival = '24:00' THEN 'must be a time HH:MM or HH:MM:SS' END),
  ('actual_arrival', CASE WHEN b.actual_arrival IS NULL THEN 'must not be empty'
     WHEN b.actual_arrival = '24:00' THEN 'must be a time HH:MM or HH:MM:SS' END),
  ('riders', CASE WHEN b.riders NOT BETWEEN 0 AND {MAX_RIDERS} THEN '{_RIDERS}' END)
) AS e(col, msg)
WHERE b.suspect AND e.msg IS NOT NULL
ORDER BY b.line
LIMIT {REPORTED_ERRORS}
"""  # noqa: S608

MONTHS = "bus_run_months"  # the file's (route, month) pairs: the survey, then the marks
# One pass over the rows, summed per route and month, decides the write: how many rows,
# whether any is flagged, and whether any run is stored between the pair's first and last day
# in the file (one index probe per pair). A new file's routes are then marked from their
# first month to their last.
_MONTHS_SQL = f"""
CREATE TEMP TABLE {MONTHS} ON COMMIT DROP AS
SELECT route_id,
       date_trunc('month', least(service_date, {LAST_DAY})::timestamp)::date AS month,
       count(*) AS rows, bool_or(suspect) AS suspect,
       min(service_date) AS first_day, max(service_date) AS last_day
FROM {ROWS}
GROUP BY 1, 2
"""  # noqa: S608
_SURVEY_SQL = f"""
SELECT coalesce(sum(m.rows), 0), coalesce(bool_or(m.suspect), false),
       coalesce(bool_or(EXISTS (
           SELECT 1 FROM bus_runs x
           WHERE x.district_id = :district_id AND x.route_id = m.route_id
             AND x.service_date BETWEEN m.first_day AND m.last_day)), false)
FROM {MONTHS} m
"""  # noqa: S608

# New runs only (the survey found none stored in their range): a plain INSERT in key order.
_INSERT_NEW_SQL = f"""
INSERT INTO bus_runs (district_id, route_id, service_date, scheduled_arrival, actual_arrival,
                      riders)
SELECT :district_id, route_id, service_date, scheduled_arrival, actual_arrival,
       coalesce(riders, route_riders)
FROM {ROWS}
WHERE NOT suspect
ORDER BY {_KEY_ORDER.format(ordinal="route_ordinal", day="service_date")}
"""  # noqa: S608
# Every month of a new run changed: one mark per route spans them. Marks are this
# transaction's own (their key's ``marked_by`` defaults to its id): they never merge into
# another writer's.
_MARK_NEW_SQL = f"""
INSERT INTO bus_run_dirty_months (district_id, route_id, first_month, last_month)
SELECT :district_id, route_id, min(month), max(month) FROM {MONTHS} GROUP BY route_id
ON CONFLICT DO NOTHING
"""  # noqa: S608

# The fast path: sound new runs (most files: a first import, or the days since the last one)
# go into bus_runs by one INSERT straight from the text cells: cast, routes resolved and key
# ordered in that statement, with no typed copy of the file, no survey and no flags. Whatever
# the general path would flag makes this INSERT fail instead: an unknown route, or one
# outside the caller's schools, joins no route and leaves route_id NULL; an empty cell, a
# 24:00, riders out of range or a date past LAST_DAY become NULL too (every column is NOT
# NULL), a cell that does not cast raises, a repeated or stored key breaks the primary key.
# Rows whose key is NULL come first, so most bad files fail before anything is written. The
# INSERT is then rolled back to its savepoint and the general path takes the file from its
# cells.
#
# Only cells as sound files write them take this path, which spares the checks that trim:
# only the lines with no cell at all (blank lines, and those refused on the way) are left
# out, a route code must be written exactly, a date must start and end with a digit as it
# stands (``_date_of`` untrimmed), and a cell of spaces or a quoted empty one ("") fails its
# cast. A date or route code padded with spaces, or riders given as "", thus fail this
# INSERT, and the general path, which trims and reads "" as blank, writes the file as it
# always has (times and riders padded with spaces cast here as they do there).
#
# The statement also marks, per route, the months from its first written day's through its
# last's: from the rows it wrote (RETURNING), each date cast once. One group per route, not
# per (route, month): a three-year file's 40,500 pairs cost a quarter of the import's
# PostgreSQL time. Marking in a second statement, over the cells again, cost a fifth of it.
_FAST_INSERT_SQL = f"""
WITH written AS (
    INSERT INTO bus_runs (district_id, route_id, service_date, scheduled_arrival,
                          actual_arrival, riders)
    SELECT :district_id, rt.id, CASE WHEN c.service_date <= {LAST_DAY} THEN c.service_date END,
           nullif(c.scheduled_arrival, '24:00'),
           nullif(c.actual_arrival, '24:00'),
           CASE WHEN c.riders IS NULL THEN rt.riders
                WHEN c.riders BETWEEN 0 AND {MAX_RIDERS} THEN c.riders END
    FROM (
        SELECT route_code,
               {_date_of("service_date")} AS service_date,
               scheduled_arrival::time AS scheduled_arrival,
               actual_arrival::time AS actual_arrival,
               riders::integer AS riders
        FROM {CELLS}
        WHERE num_nonnulls({", ".join(COLUMNS)}) > 0
        OFFSET 0  -- a fence: each cell is cast once, not once for each use of it above
    ) c
    LEFT JOIN ({_ROUTES}) rt ON rt.code = c.route_code
        AND (:any_school OR rt.school_id = ANY(CAST(:school_ids AS uuid[])))
    ORDER BY {_KEY_ORDER.format(ordinal="rt.ordinal", day="c.service_date")} NULLS FIRST
    RETURNING route_id, service_date
), marked AS (
    INSERT INTO bus_run_dirty_months (district_id, route_id, first_month, last_month)
    SELECT :district_id, route_id, date_trunc('month', min(service_date)::timestamp)::date,
           date_trunc('month', max(service_date)::timestamp)::date
    FROM written GROUP BY route_id
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM written
"""  # noqa: S608 - constants only; values are bound parameters
# What makes the fast INSERT fail rather than write: a cast (class 22), a NULL in a NOT NULL
# column, a key stored or repeated.
_FAST_REFUSALS = (DATA_EXCEPTION, NOT_NULL_VIOLATION, UNIQUE_VIOLATION)
# Whether the file's first staged run is stored already (a file sent again, or one that
# starts with stored days): then the fast INSERT would fail on its first key, and the general
# path is taken at once. Compared as text, so that no cell can make this probe fail.
_FIRST_RUN_STORED_SQL = f"""
SELECT EXISTS (
    SELECT 1 FROM (SELECT route_code, service_date FROM {CELLS} LIMIT 1) c
    JOIN bus_routes rt ON rt.district_id = :district_id AND rt.code = trim(c.route_code)
    JOIN bus_runs r ON r.district_id = :district_id AND r.route_id = rt.id
                   AND r.service_date::text = trim(c.service_date))
"""  # noqa: S608

_DUPLICATES_SQL = f"""
SELECT line, first_line, route_code, service_date FROM (
    SELECT line, route_code, service_date,
           min(line) OVER (PARTITION BY route_code, service_date) AS first_line
    FROM {ROWS}) d
WHERE line > first_line ORDER BY line LIMIT {REPORTED_ERRORS}
"""  # noqa: S608

_ANY_DUPLICATE_SQL = f"""
SELECT 1 FROM {ROWS} GROUP BY route_code, service_date HAVING count(*) > 1 LIMIT 1
"""  # noqa: S608

# The general write. Unchanged runs are skipped by an anti-join (cheaper than a no-op
# conflict per row); the rest go in key order, which keeps the primary-key index inserts
# sequential.
_MERGE_SQL = f"""
WITH incoming AS (
    SELECT route_id, service_date, scheduled_arrival, actual_arrival,
           coalesce(riders, route_riders) AS riders
    FROM {ROWS}
), changed AS (
    INSERT INTO bus_runs AS r (district_id, route_id, service_date, scheduled_arrival,
                               actual_arrival, riders)
    SELECT :district_id, i.route_id, i.service_date, i.scheduled_arrival, i.actual_arrival,
           i.riders
    FROM incoming i
    WHERE NOT EXISTS (
        SELECT 1 FROM bus_runs x
        WHERE x.district_id = :district_id AND x.route_id = i.route_id
          AND x.service_date = i.service_date AND x.scheduled_arrival = i.scheduled_arrival
          AND x.actual_arrival = i.actual_arrival AND x.riders = i.riders)
    ORDER BY i.route_id, i.service_date
    ON CONFLICT (district_id, route_id, service_date) DO UPDATE
    SET scheduled_arrival = excluded.scheduled_arrival,
        actual_arrival = excluded.actual_arrival, riders = excluded.riders
    WHERE (r.scheduled_arrival, r.actual_arrival, r.riders)
          IS DISTINCT FROM (excluded.scheduled_arrival, excluded.actual_arrival, excluded.riders)
    RETURNING r.route_id, r.service_date
), marked AS (
    INSERT INTO bus_run_dirty_months (district_id, route_id, first_month, last_month)
    SELECT :district_id, route_id, date_trunc('month', min(service_date))::date,
           date_trunc('month', max(service_date))::date
    FROM changed GROUP BY route_id
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM changed
"""  # noqa: S608


def _scope(uow: UnitOfWork) -> dict[str, Any]:
    scope = uow.principal.school_scope()  # None: routes of any school
    return {
        "district_id": uow.district_id,
        "any_school": scope is None,
        "school_ids": sorted(scope or ()),
    }


async def _errors(session: AsyncSession, sql: str, uow: UnitOfWork) -> list[RowError]:
    rows = (await session.execute(text(sql), _scope(uow))).all()
    return [RowError(line, column, message) for line, column, message in rows]


async def _cast_rows(session: AsyncSession, uow: UnitOfWork) -> bool:
    """Fill the typed rows; False (and no table) when a cell does not cast."""
    try:
        async with session.begin_nested():
            await session.execute(text(_CELLS_TO_ROWS), _scope(uow))
    except DBAPIError as error:
        if not str(getattr(error.orig, "sqlstate", "")).startswith(DATA_EXCEPTION):
            raise
        return False
    return True


async def _reject_duplicates(session: AsyncSession) -> None:
    rows = (await session.execute(text(_DUPLICATES_SQL))).all()
    raise ImportRejected(
        [
            RowError(
                line,
                "service_date",
                f"route {shown(code)} on {day} repeats line {first}: a run is one arrival a day",
            )
            for line, first, code, day in rows
        ]
    )


async def _insert_new(session: AsyncSession, district_id: uuid.UUID) -> bool:
    """Write runs none of whose keys was stored when surveyed; False, having written nothing,
    when one is there after all (repeated in the file, or stored by a racing writer since)."""
    params = {"district_id": district_id}
    try:
        async with session.begin_nested():
            await session.execute(text(_INSERT_NEW_SQL), params)
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return False
    await session.execute(text(_MARK_NEW_SQL), params)
    return True


async def _insert_fast(session: AsyncSession, uow: UnitOfWork) -> int:
    """The fast path (``_FAST_INSERT_SQL``): how many runs it wrote and marked, or 0, having
    written nothing, when the file is not all sound new runs."""
    if await session.scalar(text(_FIRST_RUN_STORED_SQL), {"district_id": uow.district_id}):
        return 0
    try:
        async with session.begin_nested():
            written = await session.scalar(text(_FAST_INSERT_SQL), _scope(uow))
    except DBAPIError as error:
        if not str(getattr(error.orig, "sqlstate", "")).startswith(_FAST_REFUSALS):
            raise
        return 0
    return int(written)


async def _merge(session: AsyncSession, district_id: uuid.UUID, rows: int) -> int:
    """The general write (module docstring); how many runs changed."""
    # Temporary tables have no statistics until analyzed; the anti-join's plan needs them.
    await session.execute(text(f"ANALYZE {ROWS}"))
    changed = 0
    try:
        async with session.begin_nested():
            changed = await session.scalar(text(_MERGE_SQL), {"district_id": district_id})
    except DBAPIError as error:
        # "ON CONFLICT DO UPDATE command cannot affect row a second time": a repeated key.
        if "second time" not in str(error):
            raise
        await _reject_duplicates(session)
    # Lines equal to the stored run are skipped before the conflict check, so a repeated key
    # whose other line was skipped raised nothing; look for one only when lines were skipped.
    if changed < rows and await session.scalar(text(_ANY_DUPLICATE_SQL)):
        await _reject_duplicates(session)
    return int(changed)


@register_import("bus-runs", Role.DISTRICT_ADMIN, Role.PROCESS_OWNER, Role.SCHOOL_LEADER)
async def import_bus_runs(uow: UnitOfWork, source: CsvStream) -> int:
    """Columns ``route_code, service_date, scheduled_arrival, actual_arrival, [riders]``;
    riders default to the route's; keyed by (route, service date). Same roles as
    ``recordBusRuns``: a SCHOOL_LEADER only for routes serving its schools."""
    check_header(await source.header(), REQUIRED, OPTIONAL)
    session = uow.session
    # A date like 03/04/2025 casts by the server's DateStyle (MDY or DMY, set by its locale);
    # under YMD it does not, and the slow path names the cell. ISO dates read alike under
    # every style. For this transaction only.
    await session.execute(text("SELECT set_config('DateStyle', 'ISO, YMD', true)"))
    await session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    await stage_cells(session=session, source=source, table=CELLS, columns=COLUMNS)
    rows = 0 if source.errors else await _insert_fast(session, uow)
    if rows:
        write, changed = "insert", rows
    else:
        rows, write, changed = await _write_checked(session, uow, source)
    if changed:
        await enqueue_job(
            session=session, district_id=uow.district_id, actor_name=recompute_time_loss_job.name
        )
    uow.audit("bus_run", None, rows=rows, changed=changed, bytes=source.bytes_read, write=write)
    return rows


async def _write_checked(
    session: AsyncSession, uow: UnitOfWork, source: CsvStream
) -> tuple[int, str, int]:
    """The general path (module docstring): (rows, how they were written, how many changed),
    or ImportRejected naming every bad line."""
    # The lines refused on the way (ragged, badly quoted, not UTF-8) go with the bad cells.
    if not await _cast_rows(session, uow):
        reject_if_any(source.errors, await _errors(session, _CELL_ERRORS_SQL, uow))
        raise RuntimeError("a bus-run cell does not cast, yet no check names it")
    await session.execute(text(_MONTHS_SQL))
    survey = (await session.execute(text(_SURVEY_SQL), {"district_id": uow.district_id})).one()
    rows, suspect, stored = int(survey[0]), bool(survey[1]), bool(survey[2])
    if suspect or source.errors:
        reject_if_any(source.errors, await _errors(session, _ROW_ERRORS_SQL, uow))
        raise RuntimeError("a bus run is flagged, yet no check names it")
    if not rows:
        raise no_rows()
    if not stored and await _insert_new(session, uow.district_id):
        return rows, "insert", rows
    return rows, "merge", await _merge(session, uow.district_id, rows)
