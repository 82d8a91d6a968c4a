"""POST /api/v1/imports/measurements: COPY into staging, validate set-based, merge.

Cells are typed in Python while the CSV is read (dates, numbers); everything that needs the
database (codes, schools, levels, period alignment, duplicates, a school leader's schools) is
checked with a few set-based queries over the staged rows. Any error rejects the whole file
before a single measurement is written; the merge then keeps history and skips equal values,
so a re-sent file changes nothing.
"""

from __future__ import annotations

import csv
import io
import math
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.api.context import UnitOfWork
from district_ppm.imports.csvfile import (
    ErrorLog,
    ImportRejected,
    RowError,
)
from district_ppm.imports.registry import register_import
from district_ppm.measures.models import Frequency, Source
from district_ppm.measures.periods import period_problem
from district_ppm.measures.recording import merge_measurements
from district_ppm.tenancy.models import District, Role

REQUIRED = ("measure_code", "school", "period_start", "value")
OPTIONAL = ("numerator", "denominator")
# Temporary tables of the import transaction (ON COMMIT DROP).
STAGING = "measurement_import_staging"

# Only the first 100 errors are reported (imports.csvfile.MAX_REPORTED_ERRORS).
Record = tuple[int, str, str | None, date, float, float | None, float | None]


def _number(cell: str) -> float:
    number = float(cell)
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def parse_file(content: str, errors: ErrorLog) -> list[Record]:
    """Typed records ``(line, measure_code, school, period_start, value, num, den)``."""
    reader = csv.reader(io.StringIO(content, newline=""))
    header = [name.strip() for name in next(reader, None) or []]
    if not header:
        raise ImportRejected([RowError(1, None, "the file is empty: a header row is required")])
    problems = [RowError(1, n, "unknown column") for n in header if n not in REQUIRED + OPTIONAL]
    problems += [RowError(1, n, "required column is missing") for n in REQUIRED if n not in header]
    if len(set(header)) != len(header):
        problems.append(RowError(1, None, "a column is named twice"))
    if problems:
        raise ImportRejected(problems)
    at = {name: header.index(name) for name in header}
    width = len(header)
    records: list[Record] = []
    for line, cells in enumerate(reader, start=2):
        if len(cells) != width:
            if cells and any(c.strip() for c in cells):
                errors.add(line, None, f"expected {width} cells, found {len(cells)}")
            continue
        code = cells[at["measure_code"]].strip()
        school = cells[at["school"]].strip() or None
        ok = True
        if not code:
            errors.add(line, "measure_code", "must not be empty")
            ok = False
        try:
            period = date.fromisoformat(cells[at["period_start"]].strip())
        except ValueError:
            errors.add(line, "period_start", "must be a date YYYY-MM-DD")
            ok = False
        numbers: dict[str, float | None] = {}
        for name in ("value", *OPTIONAL):
            cell = cells[at[name]].strip() if name in at else ""
            if not cell:
                if name == "value":
                    errors.add(line, name, "must not be empty")
                    ok = False
                numbers[name] = None
                continue
            try:
                numbers[name] = _number(cell)
            except ValueError:
                errors.add(line, name, "must be a number")
                ok = False
        denominator = numbers.get("denominator")
        if denominator is not None and denominator <= 0:
            errors.add(line, "denominator", "must be greater than zero")
            ok = False
        if ok:
            records.append((line, code, school, period, numbers["value"],  # type: ignore[arg-type]
                            numbers["numerator"], denominator))
    return records


async def _stage(session: AsyncSession, district_id: uuid.UUID, records: list[Record]) -> None:
    await session.execute(text(
        "CREATE TEMP TABLE measurement_import_staging (line integer, measure_code text, "
        "school text, period_start date, value float8, numerator float8, denominator float8) "
        "ON COMMIT DROP"
    ))
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        STAGING, records=records,
        columns=["line", "measure_code", "school", "period_start", "value", "numerator",
                 "denominator"],
    )
    # School keys: the NCES id or the id itself, so one hash join resolves either.
    await session.execute(text("""
        CREATE TEMP TABLE measurement_import_resolved ON COMMIT DROP AS
        SELECT s.*, m.id AS measure_id, m.level, m.frequency, k.school_id
        FROM measurement_import_staging s
        LEFT JOIN measures m ON m.district_id = :district_id AND m.code = s.measure_code
        LEFT JOIN (
            SELECT nces_id AS key, id AS school_id FROM schools
            WHERE district_id = :district_id AND nces_id IS NOT NULL
            UNION ALL
            SELECT id::text, id FROM schools WHERE district_id = :district_id
        ) k ON k.key = lower(s.school)
    """), {"district_id": district_id})


CHECKS = {
    "measure_code": """
        SELECT line, 'no measure with code ' || measure_code || ' in this district'
        FROM measurement_import_resolved WHERE measure_id IS NULL""",
    "school": """
        SELECT line, CASE
            WHEN level = 'SCHOOL' AND school IS NULL THEN 'a SCHOOL-level measure needs a school'
            WHEN level = 'DISTRICT' THEN 'a DISTRICT-level measure takes no school'
            ELSE 'no school with NCES id or id ' || school END
        FROM measurement_import_resolved
        WHERE (level = 'SCHOOL' AND (school IS NULL OR school_id IS NULL))
           OR (level = 'DISTRICT' AND school IS NOT NULL)""",
    "period_start": """
        SELECT line, 'the same measure, school and period are on line ' || first_line
        FROM (SELECT line, min(line) OVER (
                  PARTITION BY measure_code, coalesce(school_id::text, school, ''), period_start
              ) AS first_line FROM measurement_import_resolved) d
        WHERE line <> first_line""",
}

MISALIGNED = """
    SELECT line, frequency, period_start FROM measurement_import_resolved
    WHERE measure_id IS NOT NULL AND CASE frequency
        WHEN 'DAILY' THEN false
        WHEN 'WEEKLY' THEN extract(isodow FROM period_start) <> 1
        WHEN 'MONTHLY' THEN extract(day FROM period_start) <> 1
        WHEN 'QUARTERLY' THEN extract(day FROM period_start) <> 1
            OR extract(month FROM period_start) NOT IN (1, 4, 7, 10)
        WHEN 'SCHOOL_YEAR' THEN extract(day FROM period_start) <> 1
            OR extract(month FROM period_start) <> 7
        ELSE extract(day FROM period_start) <> 1
            OR extract(month FROM period_start) <> :fiscal_month END
    ORDER BY line LIMIT 100"""

NOT_YOURS = """
    SELECT line FROM measurement_import_resolved
    WHERE measure_id IS NOT NULL AND (school_id IS NULL OR NOT school_id = ANY(:allowed))
    ORDER BY line LIMIT 100"""


async def _validate(
    session: AsyncSession, errors: ErrorLog, fiscal_month: int,
    allowed: frozenset[uuid.UUID] | None,
) -> None:
    for column, sql in CHECKS.items():
        rows = await session.execute(text(sql + " ORDER BY line LIMIT 100"))
        for line, message in rows.all():
            errors.add(line, column, message)
    for line, frequency, period in (
        await session.execute(text(MISALIGNED), {"fiscal_month": fiscal_month})
    ).all():
        errors.add(line, "period_start",
                   period_problem(Frequency(frequency), period, fiscal_month) or "misaligned")
    if allowed is not None:
        for (line,) in (await session.execute(text(NOT_YOURS), {"allowed": list(allowed)})).all():
            errors.add(line, "school", "a school leader records only for their own schools")


@register_import("measurements", Role.DISTRICT_ADMIN, Role.PROCESS_OWNER, Role.SCHOOL_LEADER)
async def import_measurements(uow: UnitOfWork, content: str) -> int:
    errors = ErrorLog()
    records = parse_file(content, errors)
    session, district_id = uow.session, uow.district_id
    fiscal_month = await session.scalar(
        select(District.fiscal_year_start_month).where(District.id == district_id)
    ) or 7
    principal = uow.principal
    allowed = principal.school_ids if principal.role is Role.SCHOOL_LEADER else None
    if records:
        await _stage(session, district_id, records)
        await _validate(session, errors, fiscal_month, allowed)
    if errors.errors:
        errors.errors.sort(key=lambda e: (e.line, e.column or ""))
        errors.raise_if_any()
    if not records:
        return 0
    params: dict[str, Any] = {}
    await merge_measurements(
        session=session, district_id=district_id,
        incoming_sql=(
            "SELECT measure_id, school_id, period_start, value, numerator, denominator "
            "FROM measurement_import_resolved"
        ),
        params=params, source=Source.IMPORT, recorded_by=principal.actor,
    )
    uow.audit("measurement", None, rows=len(records))
    return len(records)
