"""GraphQL object types of the improvement area: projects, their tollgates, opportunities.

Other areas add their own fields to ``Project`` here (a project's savings, its sustainability
plan) as resolvers that load by ``Project.id``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from district_ppm.api.context import loader
from district_ppm.improvement import models
from district_ppm.improvement.schema.loaders import (
    OpportunityIdByProjectLoader,
    SchoolIdsByProjectLoader,
    TollgatesByProjectLoader,
)
from district_ppm.sustainability.loaders import PlanByProjectLoader
from district_ppm.sustainability.schema import SustainabilityPlan

if TYPE_CHECKING:
    from district_ppm.savings.schema.types import SavingsEntry

Phase = strawberry.enum(models.Phase)


def _optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="One phase move: who passed the tollgate, when, with what note.")
class Tollgate:
    from_phase: Phase  # type: ignore[valid-type]
    to_phase: Phase  # type: ignore[valid-type]
    approved_at: datetime
    approved_by: str
    note: str | None
    requested_at: datetime | None = strawberry.field(
        description="When the team asked for this review (requestTollgate); null when the "
        "tollgate was passed without a request."
    )
    requested_by: str | None

    @classmethod
    def from_model(cls, row: models.ProjectTollgate) -> Tollgate:
        return cls(
            from_phase=row.from_phase,
            to_phase=row.to_phase,
            approved_at=row.approved_at,
            approved_by=row.approved_by,
            note=row.note,
            requested_at=row.requested_at,
            requested_by=row.requested_by,
        )


@strawberry.type(description="A pending request for the phase review (requestTollgate).")
class TollgateRequest:
    requested_at: datetime
    requested_by: str
    note: str | None


@strawberry.type(description="A DMAIC project: its charter, its phase and its tollgate history.")
class Project:
    id: strawberry.ID
    title: str
    phase: Phase  # type: ignore[valid-type]
    process_id: strawberry.ID | None
    primary_measure_id: strawberry.ID | None
    problem_statement: str
    goal_statement: str
    scope: str | None
    baseline: float | None = strawberry.field(
        description="The primary measure's value before the project; leaving MEASURE needs it."
    )
    target: float | None
    baseline_school_year: int | None = strawberry.field(
        description="The school year (named by the year it ends) the baseline describes."
    )
    sponsor: str | None
    lead: str | None
    team: list[str]
    created_at: datetime
    tollgate_request: TollgateRequest | None = strawberry.field(
        description="Set while the project waits at its tollgate: the team asked for the "
        "phase review and advanceProjectPhase has not passed it yet."
    )

    @strawberry.field(description="Every phase move, oldest first.")
    async def tollgates(self, info: Info) -> list[Tollgate]:
        rows = await loader(info, TollgatesByProjectLoader).load(uuid.UUID(self.id))
        return [Tollgate.from_model(row) for row in rows]

    @strawberry.field(description="The schools the project covers.")
    async def school_ids(self, info: Info) -> list[strawberry.ID]:
        ids = await loader(info, SchoolIdsByProjectLoader).load(uuid.UUID(self.id))
        return [strawberry.ID(str(school_id)) for school_id in ids]

    @strawberry.field(description="The opportunity this project was converted from, if any.")
    async def opportunity_id(self, info: Info) -> strawberry.ID | None:
        return _optional_id(
            await loader(info, OpportunityIdByProjectLoader).load(uuid.UUID(self.id))
        )

    @strawberry.field(description="The project's savings entries, by fiscal year, oldest first.")
    async def savings(
        self, info: Info
    ) -> list[Annotated[SavingsEntry, strawberry.lazy("district_ppm.savings.schema.types")]]:
        # Imported here: the savings types show projects, so they import this module.
        from district_ppm.savings.schema.loaders import SavingsByProjectLoader
        from district_ppm.savings.schema.types import SavingsEntry

        rows = await loader(info, SavingsByProjectLoader).load(uuid.UUID(self.id))
        return [SavingsEntry.from_model(row) for row in rows]

    @strawberry.field(
        description="The project's sustainability plan (at most one); checked after the "
        "project closes too."
    )
    async def sustainability_plan(self, info: Info) -> SustainabilityPlan | None:
        view = await loader(info, PlanByProjectLoader).load(uuid.UUID(self.id))
        return None if view is None else SustainabilityPlan.from_view(view)

    @classmethod
    def from_model(cls, project: models.Project) -> Project:
        request = None
        if project.tollgate_requested_at is not None:
            request = TollgateRequest(
                requested_at=project.tollgate_requested_at,
                requested_by=project.tollgate_requested_by or "",
                note=project.tollgate_request_note,
            )
        return cls(
            id=strawberry.ID(str(project.id)),
            title=project.title,
            phase=project.phase,
            process_id=_optional_id(project.process_id),
            primary_measure_id=_optional_id(project.primary_measure_id),
            problem_statement=project.problem_statement,
            goal_statement=project.goal_statement,
            scope=project.scope,
            baseline=project.baseline,
            target=project.target,
            baseline_school_year=project.baseline_school_year,
            sponsor=project.sponsor,
            lead=project.lead,
            team=list(project.team or []),
            created_at=project.created_at,
            tollgate_request=request,
        )
