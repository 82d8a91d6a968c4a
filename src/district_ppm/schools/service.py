"""Schools: creation, lookup, listing, enrollment. Callers own the transaction."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import NamedTuple, Protocol

from sqlalchemy import ScalarSelect, bindparam, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page, keyset_page
from district_ppm.errors import BadInput, Conflict
from district_ppm.jobs.service import enqueue_job
from district_ppm.school_calendar import school_year_of
from district_ppm.schools.jobs import recount_schools_job
from district_ppm.schools.models import School, SchoolEnrollment, SchoolLevel

NCES_SCHOOL_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True, slots=True)
class SchoolCreate:
    name: str
    level: SchoolLevel
    first_bell: time
    nces_id: str | None = None
    enrollment: int | None = None


def validate_school(data: SchoolCreate) -> list[BadInput]:
    """Every problem with ``data``, each naming its camelCase field."""
    problems = []
    if not data.name.strip():
        problems.append(BadInput("name", "must not be empty"))
    elif len(data.name) > 200:
        problems.append(BadInput("name", "must be at most 200 characters"))
    if data.nces_id is not None and not NCES_SCHOOL_ID.match(data.nces_id):
        problems.append(BadInput("ncesId", "an NCES school id is exactly 12 digits"))
    if data.enrollment is not None and data.enrollment < 0:
        problems.append(BadInput("enrollment", "must not be negative"))
    return problems


async def create_school(
    *, session: AsyncSession, district_id: uuid.UUID, data: SchoolCreate, today: date
) -> School:
    """Create a school; ``enrollment`` is recorded for the school year containing ``today``."""
    problems = validate_school(data)
    if problems:
        raise problems[0]
    if data.nces_id is not None and await session.scalar(
        select(School.id).where(School.district_id == district_id, School.nces_id == data.nces_id)
    ):
        raise Conflict("ncesId", f"a school with NCES id {data.nces_id} exists in this district")
    school = School(
        id=uuid.uuid4(),
        district_id=district_id,
        name=data.name.strip(),
        nces_id=data.nces_id,
        level=data.level,
        first_bell=data.first_bell,
    )
    session.add(school)
    await session.flush()
    if data.enrollment is not None:
        await set_enrollment(
            session=session,
            district_id=district_id,
            school_id=school.id,
            school_year=school_year_of(today),
            enrollment=data.enrollment,
        )
    await enqueue_job(session=session, district_id=district_id, actor_name=recount_schools_job.name)
    return school


async def set_enrollment(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    school_id: uuid.UUID,
    school_year: int,
    enrollment: int,
) -> None:
    stmt = insert(SchoolEnrollment).values(
        district_id=district_id, school_id=school_id, school_year=school_year, enrollment=enrollment
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["district_id", "school_id", "school_year"],
            set_={"enrollment": stmt.excluded.enrollment},
        )
    )


async def get_school(
    *, session: AsyncSession, district_id: uuid.UUID, school_id: uuid.UUID
) -> School | None:
    return await session.get(School, (district_id, school_id))


# What the API shows of a school, for reads that select rows instead of ORM objects.
SCHOOL_COLUMNS = (School.id, School.name, School.nces_id, School.level, School.first_bell)


class SchoolFields(Protocol):
    """A ``School`` or a row of ``SCHOOL_COLUMNS`` (read-only: a NamedTuple row is one)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def nces_id(self) -> str | None: ...
    @property
    def level(self) -> SchoolLevel: ...
    @property
    def first_bell(self) -> time: ...


class ListedSchool(SchoolFields, Protocol):
    """A row of ``list_schools``: the school's columns and its latest enrollment."""

    @property
    def enrollment(self) -> int | None: ...


class ListedSchoolRow(NamedTuple):
    """A row of ``list_schools``' statement (``SCHOOL_COLUMNS`` and the enrollment)."""

    id: uuid.UUID
    name: str
    nces_id: str | None
    level: SchoolLevel
    first_bell: time
    enrollment: int | None


def _latest_enrollment() -> ScalarSelect[int]:
    return (
        select(SchoolEnrollment.enrollment)
        .where(
            SchoolEnrollment.district_id == School.district_id,
            SchoolEnrollment.school_id == School.id,
        )
        .order_by(SchoolEnrollment.school_year.desc())
        .limit(1)
        .correlate(School)
        .scalar_subquery()
    )


_LISTED_SCHOOLS = select(*SCHOOL_COLUMNS, _latest_enrollment().label("enrollment")).where(
    School.district_id == bindparam("district_id")
)
_LISTED_ORDER = (School.name, School.id)


async def list_schools(
    *, session: AsyncSession, district_id: uuid.UUID, first: int | None, after: str | None
) -> Page[ListedSchool]:
    """Schools by name (then id), one keyset page at a time, each with its latest enrollment.

    Plain rows, the enrollment joined (one index probe per school): a dashboard lists every
    school of a district, and building ORM objects then batching a second query per page
    cost most of the request.
    """
    return await keyset_page(
        session,
        _LISTED_SCHOOLS,
        order_by=_LISTED_ORDER,
        first=first,
        after=after,
        row_type=ListedSchoolRow,
        parameters={"district_id": district_id},
    )


async def latest_enrollments(
    *, session: AsyncSession, district_id: uuid.UUID, school_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The most recent school year's enrollment of each school that has one."""
    rows = await session.execute(
        select(SchoolEnrollment.school_id, SchoolEnrollment.enrollment)
        .where(
            SchoolEnrollment.district_id == district_id,
            SchoolEnrollment.school_id.in_(school_ids),
        )
        .ext(distinct_on(SchoolEnrollment.school_id))
        .order_by(SchoolEnrollment.school_id, SchoolEnrollment.school_year.desc())
    )
    return {school_id: enrollment for school_id, enrollment in rows.all()}
