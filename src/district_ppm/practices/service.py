"""Practices and their adoptions: writing them and reading them. Callers own the transaction.

Who may write (DOMAIN.md "Opportunities and practices"): IMPROVEMENT_LEAD and DISTRICT_ADMIN,
declared on the GraphQL fields. Gains are computed by the worker (``gains.py``); writing an
adoption queues that computation.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, any_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.id_lists import ids_param
from district_ppm.db.plain_rows import fetch_plain, fetch_tuples
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.improvement.models import Project
from district_ppm.jobs.service import enqueue_job
from district_ppm.measures.models import Measure, MeasureLevel
from district_ppm.practices.jobs import compute_adoption_gains_job
from district_ppm.practices.models import Adoption, AdoptionGain, Practice, PracticeMeasure
from district_ppm.schools.models import School
from district_ppm.schools.service import SCHOOL_COLUMNS

MAX_TITLE_LENGTH = 200  # String(200) column
# A practice shows its effect on a few measures; the bound also keeps what one practice
# answers (adoptions x gains) within a query's cost budget.
MAX_MEASURES = 10
# Adoption dates a district's data can be about; anything else is a typing slip.
MIN_YEAR, MAX_YEAR = 1900, 2199


@dataclass(frozen=True, slots=True)
class PracticeCreate:
    """A practice to document. Field names in errors are the input's camelCase ones."""

    title: str
    description: str
    measure_ids: Sequence[uuid.UUID]
    project_id: uuid.UUID | None = None


def validate_practice(data: PracticeCreate) -> list[BadInput]:
    """Every problem with the practice's own values (references are checked on the data)."""
    problems = []
    if not data.title.strip():
        problems.append(BadInput("title", "must not be empty"))
    elif len(data.title) > MAX_TITLE_LENGTH:
        problems.append(BadInput("title", f"must be at most {MAX_TITLE_LENGTH} characters"))
    if not data.description.strip():
        problems.append(BadInput("description", "must not be empty: say what the practice is"))
    if not data.measure_ids:
        problems.append(
            BadInput("measureIds", "must name at least one measure that shows the effect")
        )
    elif len(data.measure_ids) > MAX_MEASURES:
        problems.append(BadInput("measureIds", f"holds at most {MAX_MEASURES} measures"))
    seen: set[uuid.UUID] = set()
    for index, measure_id in enumerate(data.measure_ids):
        if measure_id in seen:
            problems.append(BadInput(f"measureIds.{index}", "names a measure twice"))
        seen.add(measure_id)
    return problems


async def create_practice(
    *, session: AsyncSession, district_id: uuid.UUID, data: PracticeCreate, created_by: str
) -> Practice:
    """Document a practice and the SCHOOL-level measures that show its effect.

    A DISTRICT-level measure is BAD_INPUT: gains compare one school's own values before and
    after it adopted the practice, which a district-wide figure does not have.
    """
    problems = validate_practice(data)
    if problems:
        raise problems[0]
    if (
        data.project_id is not None
        and await session.get(Project, (district_id, data.project_id)) is None
    ):
        raise NotFound("projectId", "no such project")
    measures = {
        measure.id: measure
        for measure in await session.scalars(
            select(Measure).where(
                Measure.district_id == district_id, Measure.id.in_(data.measure_ids)
            )
        )
    }
    for index, measure_id in enumerate(data.measure_ids):
        measure = measures.get(measure_id)
        if measure is None:
            raise NotFound(f"measureIds.{index}", "no such measure")
        if measure.level is not MeasureLevel.SCHOOL:
            raise BadInput(
                f"measureIds.{index}",
                f"{measure.code} is a DISTRICT-level measure; a practice's gains are measured "
                "on each adopting school's own values, so name SCHOOL-level measures",
            )
    practice = Practice(
        id=uuid.uuid4(),
        district_id=district_id,
        title=data.title.strip(),
        description=data.description,
        project_id=data.project_id,
        created_by=created_by,
    )
    session.add(practice)
    await session.flush()
    session.add_all(
        PracticeMeasure(district_id=district_id, practice_id=practice.id, measure_id=measure_id)
        for measure_id in data.measure_ids
    )
    await session.flush()
    return practice


@dataclass(frozen=True, slots=True)
class AdoptionCreate:
    practice_id: uuid.UUID
    school_id: uuid.UUID
    adopted_on: date


async def adopt_practice(
    *, session: AsyncSession, district_id: uuid.UUID, data: AdoptionCreate, created_by: str
) -> tuple[Adoption, School]:
    """Record that a school took up a practice on a date, and queue its gains' computation.

    A school adopts a practice once (CONFLICT otherwise). Returns the adoption and its school.
    """
    if not MIN_YEAR <= data.adopted_on.year <= MAX_YEAR:
        raise BadInput("adoptedOn", f"must lie in the years {MIN_YEAR} to {MAX_YEAR}")
    if await session.get(Practice, (district_id, data.practice_id)) is None:
        raise NotFound("practiceId", "no such practice")
    school = await session.get(School, (district_id, data.school_id))
    if school is None:
        raise NotFound("schoolId", "no such school")
    if await session.scalar(
        select(Adoption.id).where(
            Adoption.district_id == district_id,
            Adoption.practice_id == data.practice_id,
            Adoption.school_id == data.school_id,
        )
    ):
        raise Conflict("schoolId", "this school has already adopted the practice")
    adoption = Adoption(
        id=uuid.uuid4(),
        district_id=district_id,
        practice_id=data.practice_id,
        school_id=data.school_id,
        adopted_on=data.adopted_on,
        created_by=created_by,
    )
    session.add(adoption)
    await session.flush()
    await enqueue_job(
        session=session,
        district_id=district_id,
        actor_name=compute_adoption_gains_job.name,
        payload={"adoption_id": str(adoption.id)},
        dedupe_key=f"adoption:{adoption.id}",
    )
    return adoption, school


class PracticeRow(NamedTuple):
    """A practice as it is listed (a district's practices are read whole)."""

    id: uuid.UUID
    title: str
    description: str
    project_id: uuid.UUID | None


# The district's practices, and some of them; each practice's measures: built once, fetched by
# the driver (db.plain_rows). Through the ORM session, each cost about 0.7 ms of CPU.
_PRACTICES = (
    select(Practice.id, Practice.title, Practice.description, Practice.project_id)
    .where(Practice.district_id == bindparam("district_id"))
    .order_by(Practice.title, Practice.id)
)
_SOME_PRACTICES = _PRACTICES.where(Practice.id == any_(ids_param("practice_ids")))
_PRACTICE_MEASURES = (
    select(PracticeMeasure.practice_id, PracticeMeasure.measure_id)
    .join(
        Measure,
        (Measure.district_id == PracticeMeasure.district_id)
        & (Measure.id == PracticeMeasure.measure_id),
    )
    .where(
        PracticeMeasure.district_id == bindparam("district_id"),
        PracticeMeasure.practice_id == any_(ids_param("practice_ids")),
    )
    .order_by(Measure.code, Measure.id)
)


async def practice_rows(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    practice_ids: Sequence[uuid.UUID] | None = None,
) -> list[PracticeRow]:
    """The district's practices (or those of ``practice_ids``), by title, then id."""
    if practice_ids is None:
        rows = await fetch_tuples(session, _PRACTICES, {"district_id": district_id})
    else:
        rows = await fetch_tuples(
            session,
            _SOME_PRACTICES,
            {"district_id": district_id, "practice_ids": list(practice_ids)},
        )
    return [PracticeRow(*row) for row in rows]


async def measure_ids_of(
    *, session: AsyncSession, district_id: uuid.UUID, practice_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each practice's measures, by measure code."""
    rows = await fetch_tuples(
        session,
        _PRACTICE_MEASURES,
        {"district_id": district_id, "practice_ids": list(practice_ids)},
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for practice_id, measure_id in rows:
        found[practice_id].append(measure_id)
    return found


async def adoptions_of(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    practice_ids: Sequence[uuid.UUID] | None = None,
    adoption_ids: Sequence[uuid.UUID] | None = None,
) -> dict[uuid.UUID, list[Any]]:
    """Each practice's adoptions (of the practices, or the adoptions, named), earliest first,
    then by school name: rows of the school's ``SCHOOL_COLUMNS`` with ``adoption_id``,
    ``practice_id`` and ``adopted_on``. One statement."""
    parameters: dict[str, Any] = {"district_id": district_id}
    if practice_ids is not None:
        parameters["practice_ids"] = list(practice_ids)
    if adoption_ids is not None:
        parameters["adoption_ids"] = list(adoption_ids)
    statement = _adoptions(of_practices=practice_ids is not None, by_id=adoption_ids is not None)
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in await fetch_plain(session, statement, parameters):
        found[row.practice_id].append(row)
    return found


@cache  # four statements, each built once, fetched by the driver (db.plain_rows)
def _adoptions(*, of_practices: bool, by_id: bool) -> Select[*tuple[Any, ...]]:
    statement = (
        select(
            Adoption.id.label("adoption_id"),
            Adoption.practice_id,
            Adoption.adopted_on,
            *SCHOOL_COLUMNS,
        )
        .join(
            School, (School.district_id == Adoption.district_id) & (School.id == Adoption.school_id)
        )
        .where(Adoption.district_id == bindparam("district_id"))
        .order_by(Adoption.adopted_on, School.name, Adoption.id)
    )
    if of_practices:
        statement = statement.where(Adoption.practice_id == any_(ids_param("practice_ids")))
    if by_id:
        statement = statement.where(Adoption.id == any_(ids_param("adoption_ids")))
    return statement


@dataclass(frozen=True, slots=True)
class StoredGain:
    measure_id: uuid.UUID
    before: float | None
    after: float | None
    gain: float | None
    computed_at: datetime


async def gains_of(
    *, session: AsyncSession, district_id: uuid.UUID, adoption_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[StoredGain]]:
    """Each adoption's stored gains, by measure code (none before the worker has run)."""
    rows = await fetch_tuples(
        session, _GAINS_OF, {"district_id": district_id, "adoption_ids": list(adoption_ids)}
    )
    found: dict[uuid.UUID, list[StoredGain]] = defaultdict(list)
    for adoption_id, measure_id, before, after, gain, computed_at in rows:
        found[adoption_id].append(StoredGain(measure_id, before, after, gain, computed_at))
    return found


# Some adoptions' stored gains: built once, fetched by the driver (db.plain_rows).
_GAINS_OF = (
    select(
        AdoptionGain.adoption_id,
        AdoptionGain.measure_id,
        AdoptionGain.before,
        AdoptionGain.after,
        AdoptionGain.gain,
        AdoptionGain.computed_at,
    )
    .join(
        Measure,
        (Measure.district_id == AdoptionGain.district_id) & (Measure.id == AdoptionGain.measure_id),
    )
    .where(
        AdoptionGain.district_id == bindparam("district_id"),
        AdoptionGain.adoption_id == any_(ids_param("adoption_ids")),
    )
    .order_by(Measure.code, Measure.id)
)
