"""DMAIC projects: the charter, reading them, and the schools they cover. Callers own the
transaction.

Phase moves (tollgates) are in ``phases.py``; opportunities, which can become projects, in
``opportunities.py``.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import any_, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.id_lists import ids_param
from district_ppm.db.pagination import Page
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.improvement.models import (
    PHASE_ORDER,
    Opportunity,
    Phase,
    Project,
    ProjectSchool,
)
from district_ppm.improvement.paging import SortKey, aware_datetime, sorted_page
from district_ppm.measures.models import Measure
from district_ppm.processes.models import Process
from district_ppm.schools.models import School

MAX_NAME_LENGTH = 200  # titles, sponsor, lead, team members (String(200) columns)
MAX_TEAM_SIZE = 50
MAX_SCHOOLS = 300  # a project over more schools than this is district-wide: it names none


@dataclass(frozen=True, slots=True)
class ProjectCharter:
    """What a project sets out to do. Field names in errors are the input's camelCase ones."""

    title: str
    problem_statement: str
    goal_statement: str
    process_id: uuid.UUID | None = None
    primary_measure_id: uuid.UUID | None = None
    baseline: float | None = None
    target: float | None = None
    baseline_school_year: int | None = None
    school_ids: Sequence[uuid.UUID] = ()
    scope: str | None = None
    sponsor: str | None = None
    lead: str | None = None
    team: Sequence[str] = field(default_factory=tuple)


def validate_charter(charter: ProjectCharter) -> list[BadInput]:
    """Every problem with the charter's own values (references are checked against the data)."""
    problems = []
    for name, value in (
        ("title", charter.title),
        ("problemStatement", charter.problem_statement),
        ("goalStatement", charter.goal_statement),
    ):
        if not value.strip():
            problems.append(BadInput(name, "must not be empty"))
    if len(charter.title) > MAX_NAME_LENGTH:
        problems.append(BadInput("title", f"must be at most {MAX_NAME_LENGTH} characters"))
    for name, person in (("sponsor", charter.sponsor), ("lead", charter.lead)):
        if person is not None and len(person) > MAX_NAME_LENGTH:
            problems.append(BadInput(name, f"must be at most {MAX_NAME_LENGTH} characters"))
    if len(charter.team) > MAX_TEAM_SIZE:
        problems.append(BadInput("team", f"holds at most {MAX_TEAM_SIZE} people"))
    for index, member in enumerate(charter.team):
        if not member.strip() or len(member) > MAX_NAME_LENGTH:
            problems.append(BadInput(f"team.{index}", f"must be 1 to {MAX_NAME_LENGTH} characters"))
    for name, number in (("baseline", charter.baseline), ("target", charter.target)):
        if number is not None and not math.isfinite(number):
            problems.append(BadInput(name, "must be a finite number"))
    year = charter.baseline_school_year
    if year is not None and not 1900 < year < 2200:
        problems.append(
            BadInput("baselineSchoolYear", "is not a school year (named by the year it ends)")
        )
    if len(charter.school_ids) > MAX_SCHOOLS:
        problems.append(BadInput("schoolIds", f"holds at most {MAX_SCHOOLS} schools"))
    seen: set[uuid.UUID] = set()
    for index, school_id in enumerate(charter.school_ids):
        if school_id in seen:
            problems.append(BadInput(f"schoolIds.{index}", "names a school twice"))
        seen.add(school_id)
    return problems


async def check_references(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    process_id: uuid.UUID | None,
    measure_id: uuid.UUID | None,
    measure_field: str,
    school_ids: Sequence[uuid.UUID] = (),
) -> None:
    """NOT_FOUND naming the first process, measure or school that is not this district's."""
    if process_id is not None and await session.get(Process, (district_id, process_id)) is None:
        raise NotFound("processId", "no such process")
    if measure_id is not None and await session.get(Measure, (district_id, measure_id)) is None:
        raise NotFound(measure_field, "no such measure")
    if school_ids:
        found = set(
            await session.scalars(
                select(School.id).where(
                    School.district_id == district_id, School.id.in_(school_ids)
                )
            )
        )
        for index, school_id in enumerate(school_ids):
            if school_id not in found:
                raise NotFound(f"schoolIds.{index}", "no such school")


async def create_project(
    *, session: AsyncSession, district_id: uuid.UUID, charter: ProjectCharter, created_by: str
) -> Project:
    """A new project in DEFINE with its charter and schools.

    Who may call: IMPROVEMENT_LEAD and DISTRICT_ADMIN (declared on the GraphQL field).
    """
    problems = validate_charter(charter)
    if problems:
        raise problems[0]
    await check_references(
        session=session,
        district_id=district_id,
        process_id=charter.process_id,
        measure_id=charter.primary_measure_id,
        measure_field="primaryMeasureId",
        school_ids=charter.school_ids,
    )
    project = Project(
        id=uuid.uuid4(),
        district_id=district_id,
        title=charter.title.strip(),
        problem_statement=charter.problem_statement,
        goal_statement=charter.goal_statement,
        scope=charter.scope,
        process_id=charter.process_id,
        primary_measure_id=charter.primary_measure_id,
        baseline=charter.baseline,
        target=charter.target,
        baseline_school_year=charter.baseline_school_year,
        sponsor=charter.sponsor,
        lead=charter.lead,
        team=[member.strip() for member in charter.team],
        phase=Phase.DEFINE,
        created_by=created_by,
    )
    session.add(project)
    await session.flush()
    session.add_all(
        ProjectSchool(district_id=district_id, project_id=project.id, school_id=school_id)
        for school_id in charter.school_ids
    )
    await session.flush()
    return project


async def get_project(
    *, session: AsyncSession, district_id: uuid.UUID, project_id: uuid.UUID
) -> Project | None:
    return await session.get(Project, (district_id, project_id))


async def get_project_or_raise(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    project_id: uuid.UUID,
    field: str = "projectId",
    for_update: bool = False,
) -> Project:
    """The project, or NOT_FOUND naming ``field`` (another district's looks missing too).

    ``for_update`` locks the row, so two writers moving the same project take turns.
    """
    project = await session.get(
        Project, (district_id, project_id), with_for_update=for_update or None
    )
    if project is None:
        raise NotFound(field, "no such project")
    return project


async def list_projects(
    *, session: AsyncSession, district_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Project]:
    """Projects oldest first (creation, then id), one keyset page at a time."""
    stmt = select(Project).where(Project.district_id == district_id)
    return await sorted_page(
        session,
        stmt,
        keys=[SortKey(Project.created_at, aware_datetime), SortKey(Project.id, uuid.UUID)],
        first=first,
        after=after,
    )


async def projects_by_ids(
    *, session: AsyncSession, district_id: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Project]:
    rows = await session.scalars(
        select(Project).where(Project.district_id == district_id, Project.id.in_(project_ids))
    )
    return {project.id: project for project in rows}


# Built once, the ids one uuid[] parameter, fetched by the driver: a compliance computation
# asks for a hundred projects' schools (as an IN list, a parameter rendered per id).
_SCHOOL_IDS = (
    select(ProjectSchool.project_id, ProjectSchool.school_id)
    .where(
        ProjectSchool.district_id == bindparam("district_id"),
        ProjectSchool.project_id == any_(ids_param("project_ids")),
    )
    .order_by(ProjectSchool.created_at, ProjectSchool.id)
)


async def school_ids_of(
    *, session: AsyncSession, district_id: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each project's schools (in a stable order: as added, then by id)."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {pid: [] for pid in project_ids}
    rows = await fetch_tuples(
        session, _SCHOOL_IDS, {"district_id": district_id, "project_ids": list(project_ids)}
    )
    for project_id, school_id in rows:
        found[project_id].append(school_id)
    return found


async def opportunity_ids_of(
    *, session: AsyncSession, district_id: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The opportunity each project was converted from (the link is kept on the opportunity)."""
    rows = await session.execute(
        select(Opportunity.project_id, Opportunity.id).where(
            Opportunity.district_id == district_id, Opportunity.project_id.in_(project_ids)
        )
    )
    return {project_id: opportunity_id for project_id, opportunity_id in rows.all() if project_id}


def charter_of(project: Project, school_ids: Sequence[uuid.UUID]) -> ProjectCharter:
    return ProjectCharter(
        title=project.title,
        problem_statement=project.problem_statement,
        goal_statement=project.goal_statement,
        process_id=project.process_id,
        primary_measure_id=project.primary_measure_id,
        baseline=project.baseline,
        target=project.target,
        baseline_school_year=project.baseline_school_year,
        school_ids=school_ids,
        scope=project.scope,
        sponsor=project.sponsor,
        lead=project.lead,
        team=list(project.team or []),
    )


CHARTER_FIELDS = frozenset(ProjectCharter.__dataclass_fields__)


async def update_project(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    project_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Project:
    """Change the charter fields named in ``changes`` (``ProjectCharter`` field names); the
    others stay. ``school_ids`` replaces the project's schools.

    CONFLICT on a CLOSED project (its charter is final). Removing the baseline of a project
    that has left MEASURE is BAD_INPUT: its MEASURE tollgate was passed on that baseline.
    Who may call: IMPROVEMENT_LEAD and DISTRICT_ADMIN (declared on the field).
    """
    unknown = set(changes) - CHARTER_FIELDS
    if unknown:
        raise ValueError(f"not charter fields: {sorted(unknown)}")
    project = await get_project_or_raise(
        session=session, district_id=district_id, project_id=project_id, for_update=True
    )
    if project.phase is Phase.CLOSED:
        raise Conflict("projectId", "the project is CLOSED: its charter is final")
    current = (
        await school_ids_of(session=session, district_id=district_id, project_ids=[project.id])
    )[project.id]
    charter = replace(charter_of(project, current), **changes)
    problems = validate_charter(charter)
    if problems:
        raise problems[0]
    if charter.baseline is None and PHASE_ORDER.index(project.phase) > PHASE_ORDER.index(
        Phase.MEASURE
    ):
        raise BadInput("baseline", "cannot be removed once the project has left MEASURE")
    await check_references(
        session=session,
        district_id=district_id,
        process_id=charter.process_id if "process_id" in changes else None,
        measure_id=charter.primary_measure_id if "primary_measure_id" in changes else None,
        measure_field="primaryMeasureId",
        school_ids=charter.school_ids if "school_ids" in changes else (),
    )
    for name in changes.keys() - {"school_ids"}:
        value = getattr(charter, name)
        if name == "title":
            value = value.strip()
        elif name == "team":
            value = [member.strip() for member in value]
        setattr(project, name, value)
    if "school_ids" in changes:
        await session.execute(
            delete(ProjectSchool).where(
                ProjectSchool.district_id == district_id, ProjectSchool.project_id == project.id
            )
        )
        session.add_all(
            ProjectSchool(district_id=district_id, project_id=project.id, school_id=school_id)
            for school_id in charter.school_ids
        )
    await session.flush()
    return project
