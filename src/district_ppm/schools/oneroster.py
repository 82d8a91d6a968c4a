"""Onboarding schools from a OneRoster 1.1 ``orgs.csv``.

Rows of type ``school`` become schools keyed by NCES id (``identifier``); other org types
(district, department, ...) are skipped. A new school starts at level OTHER with first bell
08:00 until someone sets them; a re-sent file updates names and changes nothing else.
"""

from __future__ import annotations

import uuid
from datetime import time

from sqlalchemy import select

from district_ppm.api.context import UnitOfWork
from district_ppm.imports.csvfile import Column, ErrorLog, parse_rows
from district_ppm.imports.registry import register_import
from district_ppm.jobs.service import enqueue_job
from district_ppm.schools.models import School, SchoolLevel
from district_ppm.schools.service import NCES_SCHOOL_ID
from district_ppm.tenancy.models import Role

DEFAULT_FIRST_BELL = time(8, 0)
ORG_TYPES = {"school", "district", "department", "local", "state", "national"}


def _org_type(value: str) -> str:
    if value not in ORG_TYPES:
        raise ValueError(f"OneRoster org type must be one of {', '.join(sorted(ORG_TYPES))}")
    return value


def _status(value: str) -> str:
    if value not in {"active", "tobedeleted"}:
        raise ValueError("status must be active or tobedeleted")
    return value


COLUMNS = [
    Column("sourcedId", str),
    Column("status", _status, required=True, allow_empty=True),
    Column("dateLastModified", str, required=True, allow_empty=True),
    Column("name", str),
    Column("type", _org_type),
    Column("identifier", str, required=True, allow_empty=True),
    Column("parentSourcedId", str, required=True, allow_empty=True),
]


@register_import("oneroster-orgs", Role.DISTRICT_ADMIN)
async def import_oneroster_orgs(uow: UnitOfWork, text: str) -> int:
    errors = ErrorLog()
    schools: dict[str, str] = {}  # NCES id -> name
    for line, row in parse_rows(text, COLUMNS, errors):
        if row["type"] != "school" or row["status"] == "tobedeleted":
            continue
        nces_id = row["identifier"]
        if not nces_id or not NCES_SCHOOL_ID.match(nces_id):
            errors.add(line, "identifier", "an NCES school id is exactly 12 digits")
        elif nces_id in schools:
            errors.add(line, "identifier", f"NCES id {nces_id} appears twice in the file")
        elif len(row["name"]) > 200:
            errors.add(line, "name", "must be at most 200 characters")
        else:
            schools[nces_id] = row["name"]
    errors.raise_if_any()

    session, district_id = uow.session, uow.district_id
    existing = {
        school.nces_id: school
        for school in await session.scalars(
            select(School).where(School.district_id == district_id, School.nces_id.in_(schools))
        )
    }
    for nces_id, name in schools.items():
        if nces_id in existing:
            existing[nces_id].name = name
        else:
            session.add(
                School(
                    id=uuid.uuid4(),
                    district_id=district_id,
                    name=name,
                    nces_id=nces_id,
                    level=SchoolLevel.OTHER,
                    first_bell=DEFAULT_FIRST_BELL,
                )
            )
    await session.flush()
    await enqueue_job(session=session, district_id=district_id, actor_name="recount_schools")
    uow.audit("school", None, created=len(schools) - len(existing), updated=len(existing))
    return len(schools)
