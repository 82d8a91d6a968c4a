"""The demo's improvement context: who acts, what is looked up, and the DMAIC moves every
demo project makes through the services (tollgates asked for and passed, baselines set)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.demo import IMPROVEMENT_LEAD, SUPERINTENDENT, DemoStory, Person, acting, audit
from district_ppm.improvement.models import Project
from district_ppm.improvement.phases import advance_phase, request_tollgate
from district_ppm.improvement.projects import ProjectCharter, create_project, update_project
from district_ppm.measures.models import Measure
from district_ppm.measures.series import load_district_series, load_series
from district_ppm.processes.models import Process
from district_ppm.school_calendar import school_year_of
from district_ppm.schools.models import School
from district_ppm.tenancy.models import Role
from district_ppm.tenancy.principal import Principal


@dataclass(frozen=True, slots=True)
class Gate:
    """One tollgate: asked for on ``requested`` (None: passed in the room), passed on
    ``passed`` with the reviewer's note."""

    requested: date | None
    passed: date
    note: str


@dataclass(slots=True)
class DemoProjects:
    """What the other areas' demos need of the projects."""

    late_bus: Project
    breakfast: Project
    lunch: Project
    waste: Project
    attendance: Project
    adoptions: dict[str, uuid.UUID] = field(default_factory=dict)  # by school name


class DemoContext:
    """The session, the district and what the seeding looks things up by."""

    def __init__(
        self,
        session: AsyncSession,
        district_id: uuid.UUID,
        story: DemoStory,
        schools: Sequence[School],
        measures: dict[str, Measure],
        processes: dict[str, Process],
    ) -> None:
        self.session = session
        self.district_id = district_id
        self.story = story
        self.schools = {school.name: school for school in schools}
        self.measures = measures
        self.processes = processes

    def as_(self, person: Person, role: Role = Role.IMPROVEMENT_LEAD) -> Principal:
        """``person`` calling with a token of ``role`` (an improvement lead's unless said)."""
        return acting(self.district_id, role, person)

    async def yearly_mean(self, code: str, school_year: int, school: str | None = None) -> float:
        """The district-wide (or one school's) mean of a measure over a school year, as served."""
        measure = self.measures[code]
        if school is None:
            series = (
                await load_district_series(
                    session=self.session, district_id=self.district_id, measures=[measure]
                )
            ).get(measure.id, [])
        else:
            school_id = self.schools[school].id
            series = (
                await load_series(
                    session=self.session,
                    district_id=self.district_id,
                    measure=measure,
                    school_id=school_id,
                )
            ).get(school_id, [])
        values = [v for period, v in series if school_year_of(period) == school_year]
        return round(sum(values) / len(values), 1)


async def pass_tollgates(
    ctx: DemoContext, project: Project, gates: Sequence[Gate], lead: Person
) -> None:
    """Ask for and pass each tollgate in turn, as the lead and the sponsor would."""
    team, sponsor = ctx.as_(lead), ctx.as_(SUPERINTENDENT, Role.DISTRICT_ADMIN)
    for gate in gates:
        if gate.requested is not None:
            await request_tollgate(
                session=ctx.session,
                district_id=ctx.district_id,
                project_id=project.id,
                requested_by=team.actor,
                note=f"Ready for the {project.phase.value} review",
                at=ctx.story.at(gate.requested),
            )
            await audit(ctx.session, team, "requestTollgate", "project", project.id)
        phase = project.phase
        await advance_phase(
            session=ctx.session,
            district_id=ctx.district_id,
            project_id=project.id,
            approved_by=sponsor.actor,
            note=gate.note,
            at=ctx.story.at(gate.passed, 15),
            expected_phase=phase,
        )
        await audit(
            ctx.session,
            sponsor,
            "advanceProjectPhase",
            "project",
            project.id,
            phase=project.phase.value,
            note=gate.note,
        )


async def set_baseline(
    ctx: DemoContext, project: Project, baseline: float, target: float, year: int
) -> None:
    """The baseline measured in MEASURE, as the team records it (updateProject)."""
    lead = ctx.as_(IMPROVEMENT_LEAD)
    await update_project(
        session=ctx.session,
        district_id=ctx.district_id,
        project_id=project.id,
        changes={"baseline": baseline, "target": target, "baseline_school_year": year},
    )
    await audit(ctx.session, lead, "updateProject", "project", project.id, baseline=baseline)


async def closed_project(
    ctx: DemoContext,
    charter: ProjectCharter,
    gates: Sequence[Gate],
    baseline: tuple[float, float, int],
    lead: Person,
) -> Project:
    """A project created, measured and walked to CONTROL (closing waits for its plan)."""
    creator = ctx.as_(IMPROVEMENT_LEAD)
    project = await create_project(
        session=ctx.session, district_id=ctx.district_id, charter=charter, created_by=creator.actor
    )
    await audit(ctx.session, creator, "createProject", "project", project.id, title=charter.title)
    await pass_tollgates(ctx, project, gates[:1], lead)
    await set_baseline(ctx, project, *baseline)
    await pass_tollgates(ctx, project, gates[1:], lead)
    return project
