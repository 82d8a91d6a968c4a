"""Onboarding schools from a OneRoster 1.1 ``orgs.csv``, streamed like every import.

Rows of type ``school`` become schools keyed by NCES id (``identifier``); other org types
(district, department, ...) are skipped, as are rows marked ``tobedeleted``. A new school
starts at level OTHER with first bell 08:00 until someone sets them; a re-sent file updates
names and changes nothing else. The body goes by COPY into text cells (imports.staging), one
query names every bad cell and every repeated NCES id, and one statement writes the schools.
"""

from __future__ import annotations

from datetime import time

from sqlalchemy import text

from district_ppm.db.unit_of_work import UnitOfWork
from district_ppm.imports.csvfile import (
    MAX_REPORTED_ERRORS,
    RowError,
    no_rows,
    reject_if_any,
    shown_sql,
)
from district_ppm.imports.registry import register_import
from district_ppm.imports.staging import has_cells, stage_cells
from district_ppm.imports.stream import CsvStream, check_header
from district_ppm.jobs.service import enqueue_job
from district_ppm.schools.jobs import recount_schools_job
from district_ppm.schools.models import SchoolLevel
from district_ppm.tenancy.models import Role

DEFAULT_FIRST_BELL = time(8, 0)
ORG_TYPES = ("district", "department", "local", "national", "school", "state")
COLUMNS = (
    "sourcedId",
    "status",
    "dateLastModified",
    "name",
    "type",
    "identifier",
    "parentSourcedId",
)
MAX_NAME = 200
CELLS = "oneroster_org_cells"
_ORG_TYPES = ", ".join(f"'{org_type}'" for org_type in ORG_TYPES)

# The rows that become schools, their cells trimmed.
_ORGS = f"""
SELECT line, nullif(trim("sourcedId"), '') AS sourced_id, nullif(trim(status), '') AS status,
       nullif(trim(name), '') AS name, nullif(trim(type), '') AS org_type,
       nullif(trim(identifier), '') AS nces_id
FROM {CELLS}
WHERE {has_cells(COLUMNS)}
"""  # noqa: S608
_LIVE_SCHOOL = "o.org_type = 'school' AND o.status IS DISTINCT FROM 'tobedeleted'"

_ERRORS_SQL = f"""
WITH orgs AS MATERIALIZED ({_ORGS}),
repeated AS (
    SELECT o.line, o.nces_id,
           min(o.line) OVER (PARTITION BY o.nces_id) AS first_line
    FROM orgs o WHERE {_LIVE_SCHOOL} AND o.nces_id ~ '^[0-9]{{12}}$'
)
SELECT o.line, e.col, e.msg
FROM orgs o
LEFT JOIN repeated r ON r.line = o.line
CROSS JOIN LATERAL (VALUES
  ('sourcedId', CASE WHEN o.sourced_id IS NULL THEN 'must not be empty' END),
  ('status', CASE WHEN o.status NOT IN ('active', 'tobedeleted')
     THEN 'status must be active or tobedeleted' END),
  ('name', CASE
     WHEN o.name IS NULL THEN 'must not be empty'
     WHEN {_LIVE_SCHOOL} AND length(o.name) > {MAX_NAME}
       THEN 'must be at most {MAX_NAME} characters' END),
  ('type', CASE
     WHEN o.org_type IS NULL THEN 'must not be empty'
     WHEN o.org_type NOT IN ({_ORG_TYPES})
       THEN 'OneRoster org type must be one of {", ".join(ORG_TYPES)}' END),
  ('identifier', CASE
     WHEN NOT ({_LIVE_SCHOOL}) THEN NULL
     WHEN o.nces_id IS NULL OR o.nces_id !~ '^[0-9]{{12}}$'
       THEN 'an NCES school id is exactly 12 digits'
     WHEN r.line > r.first_line
       THEN 'NCES id ' || {shown_sql("o.nces_id")} || ' appears twice in the file' END)
) AS e(col, msg)
WHERE e.msg IS NOT NULL
ORDER BY o.line
LIMIT {MAX_REPORTED_ERRORS}
"""  # noqa: S608

# New schools get defaults; a known NCES id gets the file's name when it differs.
_WRITE_SQL = f"""
WITH orgs AS ({_ORGS}),
written AS (
    INSERT INTO schools AS s (district_id, id, name, nces_id, level, first_bell)
    SELECT :district_id, gen_random_uuid(), o.name, o.nces_id, :level, :first_bell
    FROM orgs o WHERE {_LIVE_SCHOOL}
    ORDER BY o.nces_id
    ON CONFLICT (district_id, nces_id) DO UPDATE SET name = excluded.name
    WHERE s.name IS DISTINCT FROM excluded.name
    RETURNING xmax = 0 AS created
)
SELECT (SELECT count(*) FROM orgs o WHERE {_LIVE_SCHOOL}),
       (SELECT count(*) FROM orgs),
       (SELECT count(*) FROM written WHERE created)
"""  # noqa: S608


@register_import("oneroster-orgs", Role.DISTRICT_ADMIN)
async def import_oneroster_orgs(uow: UnitOfWork, source: CsvStream) -> int:
    """OneRoster 1.1 ``orgs.csv``, every column present; returns the schools in the file."""
    header = await source.header()
    check_header(header, COLUMNS)
    session, district_id = uow.session, uow.district_id
    await stage_cells(session=session, source=source, table=CELLS, columns=COLUMNS)
    found = await session.execute(text(_ERRORS_SQL))
    reject_if_any(source.errors, [RowError(line, column, msg) for line, column, msg in found])
    schools, orgs, created = (
        await session.execute(
            text(_WRITE_SQL),
            {
                "district_id": district_id,
                "level": SchoolLevel.OTHER.value,
                "first_bell": DEFAULT_FIRST_BELL,
            },
        )
    ).one()
    if not orgs:
        raise no_rows()
    await enqueue_job(session=session, district_id=district_id, actor_name=recount_schools_job.name)
    uow.audit("school", None, created=created, updated=schools - created)
    return int(schools)
