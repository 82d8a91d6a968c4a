"""GraphQL for logic models ("drives" links between measures) and customer requirements."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ANY_ROLE, MEASURE_EDITORS
from district_ppm.api.types import (
    Connection,
    parse_id,
    parse_optional_id,
    to_connection,
)
from district_ppm.measures import logic_models
from district_ppm.measures import logic_service as service
from district_ppm.measures.schema.types import Measure


@strawberry.type(description="Within a logic model: `driver` drives `driven`.")
class MeasureLink:
    driver: Measure
    driven: Measure


@strawberry.type(description="A program's logic model: its measures by stage and their links.")
class LogicModel:
    id: strawberry.ID
    name: str
    description: str | None
    measures: list[Measure] = strawberry.field(
        description="In logic-model stage order (inputs first), then by code."
    )
    links: list[MeasureLink]

    @classmethod
    def from_view(cls, view: service.LogicModelView) -> LogicModel:
        return cls(
            id=strawberry.ID(str(view.model.id)),
            name=view.model.name,
            description=view.model.description,
            measures=[Measure.from_model(m) for m in view.measures],
            links=[
                MeasureLink(driver=Measure.from_model(a), driven=Measure.from_model(b))
                for a, b in view.links
            ],
        )


@strawberry.type(description="A CTQ: what a stakeholder group needs, shown by one measure.")
class CustomerRequirement:
    id: strawberry.ID
    stakeholder_group: str
    requirement: str
    measure_id: strawberry.ID
    lower_spec_limit: float | None
    upper_spec_limit: float | None

    @classmethod
    def from_model(cls, r: logic_models.CustomerRequirement) -> CustomerRequirement:
        return cls(
            id=strawberry.ID(str(r.id)),
            stakeholder_group=r.stakeholder_group,
            requirement=r.requirement,
            measure_id=strawberry.ID(str(r.measure_id)),
            lower_spec_limit=r.lower_spec_limit,
            upper_spec_limit=r.upper_spec_limit,
        )


@strawberry.input
class CreateLogicModelInput:
    name: str
    description: str | None = None
    measure_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class MeasureLinkInput:
    logic_model_id: strawberry.ID
    driver_id: strawberry.ID
    driven_id: strawberry.ID


@strawberry.type
class LogicModelPayload:
    logic_model: LogicModel


@strawberry.input
class CreateCustomerRequirementInput:
    stakeholder_group: str
    requirement: str
    measure_id: strawberry.ID
    lower_spec_limit: float | None = None
    upper_spec_limit: float | None = None


@strawberry.type
class CustomerRequirementPayload:
    customer_requirement: CustomerRequirement


def _link(input: MeasureLinkInput) -> service.LinkChange:
    return service.LinkChange(
        logic_model_id=parse_id(input.logic_model_id, "input.logicModelId"),
        driver_id=parse_id(input.driver_id, "input.driverId"),
        driven_id=parse_id(input.driven_id, "input.drivenId"),
    )


async def _payload(
    session: AsyncSession, district_id: uuid.UUID, model: logic_models.LogicModel
) -> LogicModelPayload:
    """The model as it stands inside the mutation's transaction."""
    [view] = await service.views_of(session=session, district_id=district_id, models=[model])
    return LogicModelPayload(logic_model=LogicModel.from_view(view))


@strawberry.type
class LogicModelQueries:
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def logic_models(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[LogicModel]:
        async with read_session(info) as session:
            page = await service.list_logic_models(
                session=session,
                district_id=principal_of(info).district_id,
                first=first,
                after=after,
            )
        return to_connection(page, LogicModel.from_view)

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def logic_model(self, info: Info, id: strawberry.ID) -> LogicModel | None:
        model_id = parse_id(id, "id")
        async with read_session(info) as session:
            view = await service.get_logic_model(
                session=session,
                district_id=principal_of(info).district_id,
                logic_model_id=model_id,
            )
        return LogicModel.from_view(view) if view else None

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def customer_requirements(
        self,
        info: Info,
        measure_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CustomerRequirement]:
        measure = parse_optional_id(measure_id, "measureId")
        async with read_session(info) as session:
            page = await service.list_customer_requirements(
                session=session,
                district_id=principal_of(info).district_id,
                measure_id=measure,
                first=first,
                after=after,
            )
        return to_connection(page, CustomerRequirement.from_model)


@strawberry.type
class LogicModelMutations:
    @strawberry.mutation(permission_classes=[MEASURE_EDITORS])
    async def create_logic_model(
        self, info: Info, input: CreateLogicModelInput
    ) -> LogicModelPayload:
        data = service.LogicModelCreate(
            name=input.name,
            description=input.description,
            measure_ids=[
                parse_id(m, f"input.measureIds.{i}") for i, m in enumerate(input.measure_ids)
            ],
        )
        async with unit_of_work(info, "createLogicModel") as uow:
            model = await service.create_logic_model(
                session=uow.session, district_id=uow.district_id, data=data
            )
            uow.audit("logic_model", model.id, name=model.name)
            return await _payload(uow.session, uow.district_id, model)

    @strawberry.mutation(
        permission_classes=[MEASURE_EDITORS],
        description="Record that driverId drives drivenId (both are placed in the model).",
    )
    async def link_measures(self, info: Info, input: MeasureLinkInput) -> LogicModelPayload:
        data = _link(input)
        async with unit_of_work(info, "linkMeasures") as uow:
            model = await service.link_measures(
                session=uow.session, district_id=uow.district_id, data=data
            )
            uow.audit(
                "logic_model", model.id, driverId=str(data.driver_id), drivenId=str(data.driven_id)
            )
            return await _payload(uow.session, uow.district_id, model)

    @strawberry.mutation(permission_classes=[MEASURE_EDITORS])
    async def unlink_measures(self, info: Info, input: MeasureLinkInput) -> LogicModelPayload:
        data = _link(input)
        async with unit_of_work(info, "unlinkMeasures") as uow:
            model = await service.unlink_measures(
                session=uow.session, district_id=uow.district_id, data=data
            )
            uow.audit(
                "logic_model",
                model.id,
                driverId=str(data.driver_id),
                drivenId=str(data.driven_id),
                removed=True,
            )
            return await _payload(uow.session, uow.district_id, model)

    @strawberry.mutation(permission_classes=[MEASURE_EDITORS])
    async def create_customer_requirement(
        self, info: Info, input: CreateCustomerRequirementInput
    ) -> CustomerRequirementPayload:
        data = service.CustomerRequirementCreate(
            stakeholder_group=input.stakeholder_group,
            requirement=input.requirement,
            measure_id=parse_id(input.measure_id, "input.measureId"),
            lower_spec_limit=input.lower_spec_limit,
            upper_spec_limit=input.upper_spec_limit,
        )
        async with unit_of_work(info, "createCustomerRequirement") as uow:
            requirement = await service.create_customer_requirement(
                session=uow.session, district_id=uow.district_id, data=data
            )
            uow.audit("customer_requirement", requirement.id, measureId=str(requirement.measure_id))
        return CustomerRequirementPayload(
            customer_requirement=CustomerRequirement.from_model(requirement)
        )
