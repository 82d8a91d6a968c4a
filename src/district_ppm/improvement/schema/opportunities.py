"""GraphQL: opportunities, createOpportunity, createOpportunityFromMeasure,
setOpportunityStatus, convertOpportunity."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ANY_ROLE, IMPROVEMENT, OPPORTUNITY_WRITERS
from district_ppm.api.types import Connection, parse_id, parse_optional_id, to_connection
from district_ppm.improvement import opportunities
from district_ppm.improvement.schema.opportunity_types import (
    Opportunity,
    OpportunitySource,
    OpportunityStatus,
)
from district_ppm.improvement.schema.projects import ProjectPayload
from district_ppm.improvement.schema.types import Project


@strawberry.input
class CreateOpportunityInput:
    title: str
    source: OpportunitySource  # type: ignore[valid-type]
    impact: int
    effort: int
    alignment: int
    process_id: strawberry.ID | None = None
    measure_id: strawberry.ID | None = None
    estimated_savings: Decimal | None = strawberry.field(
        default=None, description="USD, whole cents."
    )
    description: str | None = None


@strawberry.input(
    description="An off-target KPI turned into an opportunity: the measure must be RED on the "
    "district-wide scorecard for schoolYear."
)
class CreateOpportunityFromMeasureInput:
    measure_id: strawberry.ID
    school_year: int
    impact: int
    effort: int
    alignment: int
    title: str | None = strawberry.field(
        default=None, description="Default: '<code> off target in <schoolYear>: <name>'."
    )
    estimated_savings: Decimal | None = None
    description: str | None = strawberry.field(
        default=None, description="Default: the value and target that made the measure RED."
    )


@strawberry.input
class SetOpportunityStatusInput:
    opportunity_id: strawberry.ID
    status: OpportunityStatus = strawberry.field(  # type: ignore[valid-type]
        description="NEW, ACCEPTED or DECLINED (CONVERTED only by convertOpportunity)."
    )


@strawberry.input
class ConvertOpportunityInput:
    opportunity_id: strawberry.ID
    problem_statement: str
    goal_statement: str
    primary_measure_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the opportunity's measure."
    )
    title: str | None = strawberry.field(default=None, description="Default: its title.")
    baseline: float | None = None
    target: float | None = None
    baseline_school_year: int | None = None
    school_ids: list[strawberry.ID] | None = None
    scope: str | None = None
    sponsor: str | None = None
    lead: str | None = None
    team: list[str] | None = None


@strawberry.type
class OpportunityPayload:
    opportunity: Opportunity


@strawberry.type
class OpportunityQueries:
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def opportunity(self, info: Info, id: strawberry.ID) -> Opportunity | None:
        opportunity_id = parse_id(id, "id")
        async with read_session(info) as session:
            found = await opportunities.get_opportunity(
                session=session,
                district_id=principal_of(info).district_id,
                opportunity_id=opportunity_id,
            )
        return Opportunity.from_model(found) if found else None

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="Highest priorityScore first, ties by creation (oldest first).",
    )
    async def opportunities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Opportunity]:
        async with read_session(info) as session:
            page = await opportunities.list_opportunities(
                session=session,
                district_id=principal_of(info).district_id,
                first=first,
                after=after,
            )
        return to_connection(page, Opportunity.from_model)


@strawberry.type
class OpportunityMutations:
    @strawberry.mutation(
        permission_classes=[OPPORTUNITY_WRITERS],
        description="A NEW opportunity; scores outside 1-5 are BAD_INPUT naming the score.",
    )
    async def create_opportunity(
        self, info: Info, input: CreateOpportunityInput
    ) -> OpportunityPayload:
        data = opportunities.OpportunityCreate(
            title=input.title,
            source=input.source,
            impact=input.impact,
            effort=input.effort,
            alignment=input.alignment,
            process_id=parse_optional_id(input.process_id, "input.processId"),
            measure_id=parse_optional_id(input.measure_id, "input.measureId"),
            estimated_savings=input.estimated_savings,
            description=input.description,
        )
        async with unit_of_work(info, "createOpportunity") as uow:
            opportunity = await opportunities.create_opportunity(
                session=uow.session,
                district_id=uow.district_id,
                data=data,
                created_by=uow.principal.actor,
            )
            uow.audit("opportunity", opportunity.id, title=opportunity.title)
        return OpportunityPayload(opportunity=Opportunity.from_model(opportunity))

    @strawberry.mutation(
        permission_classes=[OPPORTUNITY_WRITERS],
        description="An OFF_TARGET_KPI opportunity from a measure RED district-wide in "
        "schoolYear, with its measure, process and title filled in (CONFLICT when not RED).",
    )
    async def create_opportunity_from_measure(
        self, info: Info, input: CreateOpportunityFromMeasureInput
    ) -> OpportunityPayload:
        data = opportunities.OffTargetMeasure(
            measure_id=parse_id(input.measure_id, "input.measureId"),
            school_year=input.school_year,
            impact=input.impact,
            effort=input.effort,
            alignment=input.alignment,
            title=input.title,
            estimated_savings=input.estimated_savings,
            description=input.description,
        )
        async with unit_of_work(info, "createOpportunityFromMeasure") as uow:
            opportunity = await opportunities.create_opportunity_from_measure(
                session=uow.session,
                district_id=uow.district_id,
                data=data,
                created_by=uow.principal.actor,
            )
            uow.audit(
                "opportunity",
                opportunity.id,
                measureId=str(opportunity.measure_id),
                schoolYear=input.school_year,
            )
        return OpportunityPayload(opportunity=Opportunity.from_model(opportunity))

    @strawberry.mutation(
        permission_classes=[OPPORTUNITY_WRITERS],
        description="Triage: NEW, ACCEPTED or DECLINED. A CONVERTED opportunity is final.",
    )
    async def set_opportunity_status(
        self, info: Info, input: SetOpportunityStatusInput
    ) -> OpportunityPayload:
        opportunity_id = parse_id(input.opportunity_id, "input.opportunityId")
        async with unit_of_work(info, "setOpportunityStatus") as uow:
            opportunity = await opportunities.set_opportunity_status(
                session=uow.session,
                district_id=uow.district_id,
                opportunity_id=opportunity_id,
                status=input.status,
            )
            uow.audit("opportunity", opportunity.id, status=opportunity.status.value)
        return OpportunityPayload(opportunity=Opportunity.from_model(opportunity))

    @strawberry.mutation(
        permission_classes=[IMPROVEMENT],
        description="A project from the opportunity, linked both ways (opportunity.projectId, "
        "project.opportunityId); the opportunity becomes CONVERTED. CONFLICT when already "
        "converted or DECLINED.",
    )
    async def convert_opportunity(
        self, info: Info, input: ConvertOpportunityInput
    ) -> ProjectPayload:
        opportunity_id = parse_id(input.opportunity_id, "input.opportunityId")
        conversion = opportunities.Conversion(
            problem_statement=input.problem_statement,
            goal_statement=input.goal_statement,
            primary_measure_id=parse_optional_id(
                input.primary_measure_id, "input.primaryMeasureId"
            ),
            title=input.title,
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
        async with unit_of_work(info, "convertOpportunity") as uow:
            opportunity, project = await opportunities.convert_opportunity(
                session=uow.session,
                district_id=uow.district_id,
                opportunity_id=opportunity_id,
                conversion=conversion,
                created_by=uow.principal.actor,
            )
            uow.audit("opportunity", opportunity.id, projectId=str(project.id))
        return ProjectPayload(project=Project.from_model(project))
