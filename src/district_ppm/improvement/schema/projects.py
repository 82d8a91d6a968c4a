"""GraphQL: project, projects, createProject, updateProject, requestTollgate,
advanceProjectPhase."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ANY_ROLE, IMPROVEMENT
from district_ppm.api.types import Connection, parse_id, parse_optional_id, to_connection
from district_ppm.errors import BadInput
from district_ppm.improvement import phases, projects
from district_ppm.improvement.schema.types import Phase, Project


@strawberry.input
class CreateProjectInput:
    title: str
    problem_statement: str
    goal_statement: str
    process_id: strawberry.ID | None = None
    primary_measure_id: strawberry.ID | None = None
    baseline: float | None = None
    target: float | None = None
    school_ids: list[strawberry.ID] | None = None
    scope: str | None = None
    sponsor: str | None = None
    lead: str | None = None
    team: list[str] | None = None
    baseline_school_year: int | None = strawberry.field(
        default=None, description="The school year (named by the year it ends) of the baseline."
    )


@strawberry.input(
    description="Charter changes: an omitted field stays as it is; null clears an optional one. "
    "schoolIds replaces the project's schools."
)
class UpdateProjectInput:
    project_id: strawberry.ID
    title: str | None = strawberry.UNSET
    problem_statement: str | None = strawberry.UNSET
    goal_statement: str | None = strawberry.UNSET
    process_id: strawberry.ID | None = strawberry.UNSET
    primary_measure_id: strawberry.ID | None = strawberry.UNSET
    baseline: float | None = strawberry.UNSET
    target: float | None = strawberry.UNSET
    baseline_school_year: int | None = strawberry.UNSET
    school_ids: list[strawberry.ID] | None = strawberry.UNSET
    scope: str | None = strawberry.UNSET
    sponsor: str | None = strawberry.UNSET
    lead: str | None = strawberry.UNSET
    team: list[str] | None = strawberry.UNSET


@strawberry.input
class AdvancePhaseInput:
    project_id: strawberry.ID
    note: str | None = None
    from_phase: Phase | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="The phase you are passing the tollgate of; when the project has moved "
        "since (a second click), CONFLICT instead of a second move.",
    )


@strawberry.input
class RequestTollgateInput:
    project_id: strawberry.ID
    note: str | None = None


@strawberry.type
class ProjectPayload:
    project: Project


def charter_of(input: CreateProjectInput) -> projects.ProjectCharter:
    return projects.ProjectCharter(
        title=input.title,
        problem_statement=input.problem_statement,
        goal_statement=input.goal_statement,
        process_id=parse_optional_id(input.process_id, "input.processId"),
        primary_measure_id=parse_optional_id(input.primary_measure_id, "input.primaryMeasureId"),
        baseline=input.baseline,
        target=input.target,
        baseline_school_year=input.baseline_school_year,
        school_ids=[
            parse_id(school_id, f"input.schoolIds.{index}")
            for index, school_id in enumerate(input.school_ids or [])
        ],
        scope=input.scope,
        sponsor=input.sponsor,
        lead=input.lead,
        team=input.team or [],
    )


REQUIRED_TEXT = {"title", "problemStatement", "goalStatement"}


def changes_of(input: UpdateProjectInput) -> dict[str, Any]:
    """The charter fields the input names (``ProjectCharter`` names), ids and lists parsed."""
    changes: dict[str, Any] = {}
    for name, value in vars(input).items():
        if name == "project_id" or value is strawberry.UNSET:
            continue
        field = to_camel_case(name)
        if value is None and field in REQUIRED_TEXT:
            raise BadInput(f"input.{field}", "cannot be cleared")
        if name in ("process_id", "primary_measure_id"):
            value = parse_optional_id(value, f"input.{field}")
        elif name == "school_ids":
            value = [parse_id(v, f"input.schoolIds.{i}") for i, v in enumerate(value or [])]
        elif name == "team":
            value = value or []
        changes[name] = value
    return changes


@strawberry.type
class ProjectQueries:
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        project_id = parse_id(id, "id")
        async with read_session(info) as session:
            found = await projects.get_project(
                session=session, district_id=principal_of(info).district_id, project_id=project_id
            )
        return Project.from_model(found) if found else None

    @strawberry.field(permission_classes=[ANY_ROLE], description="Projects, oldest first.")
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Project]:
        async with read_session(info) as session:
            page = await projects.list_projects(
                session=session,
                district_id=principal_of(info).district_id,
                first=first,
                after=after,
            )
        return to_connection(page, Project.from_model)


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(
        permission_classes=[IMPROVEMENT], description="A new project, in DEFINE, with its charter."
    )
    async def create_project(self, info: Info, input: CreateProjectInput) -> ProjectPayload:
        charter = charter_of(input)
        async with unit_of_work(info, "createProject") as uow:
            project = await projects.create_project(
                session=uow.session,
                district_id=uow.district_id,
                charter=charter,
                created_by=uow.principal.actor,
            )
            uow.audit("project", project.id, title=project.title)
        return ProjectPayload(project=Project.from_model(project))

    @strawberry.mutation(
        permission_classes=[IMPROVEMENT],
        description="Change the charter (e.g. set the baseline measured in MEASURE). CONFLICT "
        "once CLOSED.",
    )
    async def update_project(self, info: Info, input: UpdateProjectInput) -> ProjectPayload:
        project_id = parse_id(input.project_id, "input.projectId")
        changes = changes_of(input)
        async with unit_of_work(info, "updateProject") as uow:
            project = await projects.update_project(
                session=uow.session,
                district_id=uow.district_id,
                project_id=project_id,
                changes=changes,
            )
            uow.audit(
                "project", project.id, changed=sorted(to_camel_case(name) for name in changes)
            )
        return ProjectPayload(project=Project.from_model(project))

    @strawberry.mutation(
        permission_classes=[IMPROVEMENT],
        description="Ask for the phase review; the project waits at its tollgate until "
        "advanceProjectPhase passes it. CONFLICT when already requested or CLOSED.",
    )
    async def request_tollgate(self, info: Info, input: RequestTollgateInput) -> ProjectPayload:
        project_id = parse_id(input.project_id, "input.projectId")
        async with unit_of_work(info, "requestTollgate") as uow:
            project = await phases.request_tollgate(
                session=uow.session,
                district_id=uow.district_id,
                project_id=project_id,
                requested_by=uow.principal.actor,
                note=input.note,
            )
            uow.audit("project", project.id, phase=project.phase.value, note=input.note)
        return ProjectPayload(project=Project.from_model(project))

    @strawberry.mutation(
        permission_classes=[IMPROVEMENT],
        description="Pass the tollgate: the project moves one phase on, recorded with who, "
        "when and the note (a pending request is not required, and is cleared). CONFLICT when "
        "CLOSED, leaving MEASURE without a baseline, or closing without a sustainability plan.",
    )
    async def advance_project_phase(self, info: Info, input: AdvancePhaseInput) -> ProjectPayload:
        project_id = parse_id(input.project_id, "input.projectId")
        async with unit_of_work(info, "advanceProjectPhase") as uow:
            project, tollgate = await phases.advance_phase(
                session=uow.session,
                district_id=uow.district_id,
                project_id=project_id,
                approved_by=uow.principal.actor,
                note=input.note,
                expected_phase=input.from_phase,
            )
            uow.audit(
                "project",
                project.id,
                fromPhase=tollgate.from_phase.value,
                toPhase=tollgate.to_phase.value,
                note=input.note,
            )
        return ProjectPayload(project=Project.from_model(project))
