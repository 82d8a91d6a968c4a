"""Logic models (programs, their measures by stage, "drives" links) and customer requirements.

A logic model places measures, each at its own logic-model stage, and links them "this drives
that": a driver sits at the same stage as what it drives or an earlier one (inputs drive
activities, outputs drive outcomes; never the reverse), and links never form a cycle. Callers
own the transaction; reads return plain views with every measure loaded in a fixed number of
statements, however many models a page holds.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page, keyset_page
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.measures.logic_models import (
    CustomerRequirement,
    LogicModel,
    LogicModelMeasure,
    MeasureLink,
)
from district_ppm.measures.models import STAGE_ORDER, Measure

MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class LogicModelCreate:
    name: str
    description: str | None = None
    measure_ids: Sequence[uuid.UUID] = ()


@dataclass(frozen=True, slots=True)
class LinkChange:
    logic_model_id: uuid.UUID
    driver_id: uuid.UUID
    driven_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CustomerRequirementCreate:
    stakeholder_group: str
    requirement: str
    measure_id: uuid.UUID
    lower_spec_limit: float | None = None
    upper_spec_limit: float | None = None


@dataclass(slots=True)
class LogicModelView:
    """A model with its measures (in stage order, then code) and its links."""

    model: LogicModel
    measures: list[Measure] = field(default_factory=list)
    links: list[tuple[Measure, Measure]] = field(default_factory=list)


async def _measures_or_raise(
    session: AsyncSession,
    district_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    field_name: str,
    *,
    indexed: bool = False,
) -> dict[uuid.UUID, Measure]:
    """The measures by id; NOT_FOUND naming ``field_name`` (``.index`` when ``indexed``)."""
    found = {
        m.id: m
        for m in await session.scalars(
            select(Measure).where(Measure.district_id == district_id, Measure.id.in_(set(ids)))
        )
    }
    for index, measure_id in enumerate(ids):
        if measure_id not in found:
            raise NotFound(f"{field_name}.{index}" if indexed else field_name, "no such measure")
    return found


async def create_logic_model(
    *, session: AsyncSession, district_id: uuid.UUID, data: LogicModelCreate
) -> LogicModel:
    """A new program's logic model, with ``measure_ids`` placed in it. Names are unique."""
    name = data.name.strip()
    if not name:
        raise BadInput("name", "must not be empty")
    if len(name) > MAX_NAME:
        raise BadInput("name", f"must be at most {MAX_NAME} characters")
    if await session.scalar(
        select(LogicModel.id).where(LogicModel.district_id == district_id, LogicModel.name == name)
    ):
        raise Conflict("name", f"a logic model named {name} exists in this district")
    await _measures_or_raise(session, district_id, data.measure_ids, "measureIds", indexed=True)
    model = LogicModel(
        id=uuid.uuid4(), district_id=district_id, name=name, description=data.description
    )
    session.add(model)
    await session.flush()
    await _place(session, district_id, model.id, data.measure_ids)
    return model


async def _place(
    session: AsyncSession, district_id: uuid.UUID, model_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> None:
    if not ids:
        return
    await session.execute(
        insert(LogicModelMeasure)
        .values(
            [
                {
                    "district_id": district_id,
                    "id": uuid.uuid4(),
                    "logic_model_id": model_id,
                    "measure_id": measure_id,
                }
                for measure_id in dict.fromkeys(ids)
            ]
        )
        .on_conflict_do_nothing()
    )


async def get_logic_model_or_raise(
    *, session: AsyncSession, district_id: uuid.UUID, logic_model_id: uuid.UUID, field: str
) -> LogicModel:
    model = await session.get(LogicModel, (district_id, logic_model_id))
    if model is None:
        raise NotFound(field, "no such logic model")
    return model


def _stage_index(measure: Measure) -> int:
    return STAGE_ORDER.index(measure.stage)


async def link_measures(
    *, session: AsyncSession, district_id: uuid.UUID, data: LinkChange
) -> LogicModel:
    """Record that ``driver_id`` drives ``driven_id`` in the model (placing both in it).

    BAD_INPUT when a measure would drive itself, an earlier stage, or close a cycle; CONFLICT
    when the link exists.
    """
    model = await get_logic_model_or_raise(
        session=session,
        district_id=district_id,
        logic_model_id=data.logic_model_id,
        field="logicModelId",
    )
    if data.driver_id == data.driven_id:
        raise BadInput("drivenId", "a measure cannot drive itself")
    driver = (await _measures_or_raise(session, district_id, [data.driver_id], "driverId"))[
        data.driver_id
    ]
    driven = (await _measures_or_raise(session, district_id, [data.driven_id], "drivenId"))[
        data.driven_id
    ]
    if _stage_index(driver) > _stage_index(driven):
        raise BadInput(
            "drivenId",
            f"a {driver.stage.value} measure cannot drive a {driven.stage.value} one: "
            "links run from inputs towards outcomes",
        )
    edges = (
        await session.execute(
            select(MeasureLink.driver_id, MeasureLink.driven_id).where(
                MeasureLink.district_id == district_id, MeasureLink.logic_model_id == model.id
            )
        )
    ).all()
    if (data.driver_id, data.driven_id) in {tuple(e) for e in edges}:
        raise Conflict("drivenId", "this link exists")
    if _reaches(edges, start=data.driven_id, goal=data.driver_id):
        raise BadInput("drivenId", "the link would close a cycle in the logic model")
    await _place(session, district_id, model.id, [data.driver_id, data.driven_id])
    session.add(
        MeasureLink(
            id=uuid.uuid4(),
            district_id=district_id,
            logic_model_id=model.id,
            driver_id=data.driver_id,
            driven_id=data.driven_id,
        )
    )
    await session.flush()
    return model


def _reaches(edges: Sequence[Sequence[uuid.UUID]], *, start: uuid.UUID, goal: uuid.UUID) -> bool:
    following: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for driver, driven in edges:
        following[driver].append(driven)
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(following[node])
    return False


async def unlink_measures(
    *, session: AsyncSession, district_id: uuid.UUID, data: LinkChange
) -> LogicModel:
    """Remove a "drives" link (the measures stay in the model); NOT_FOUND when absent."""
    model = await get_logic_model_or_raise(
        session=session,
        district_id=district_id,
        logic_model_id=data.logic_model_id,
        field="logicModelId",
    )
    removed = await session.execute(
        delete(MeasureLink)
        .where(
            MeasureLink.district_id == district_id,
            MeasureLink.logic_model_id == model.id,
            MeasureLink.driver_id == data.driver_id,
            MeasureLink.driven_id == data.driven_id,
        )
        .returning(MeasureLink.id)
    )
    if removed.first() is None:
        raise NotFound("drivenId", "no such link in this logic model")
    return model


async def views_of(
    *, session: AsyncSession, district_id: uuid.UUID, models: Sequence[LogicModel]
) -> list[LogicModelView]:
    """The models with their measures and links: two statements for any number of models."""
    views = {model.id: LogicModelView(model=model) for model in models}
    if not views:
        return []
    placed = await session.execute(
        select(LogicModelMeasure.logic_model_id, Measure)
        .join(
            Measure,
            (Measure.district_id == LogicModelMeasure.district_id)
            & (Measure.id == LogicModelMeasure.measure_id),
        )
        .where(
            LogicModelMeasure.district_id == district_id,
            LogicModelMeasure.logic_model_id.in_(views),
        )
    )
    measures: dict[uuid.UUID, Measure] = {}
    for model_id, measure in placed.all():
        views[model_id].measures.append(measure)
        measures[measure.id] = measure
    for view in views.values():
        view.measures.sort(key=lambda m: (_stage_index(m), m.code))
    links = await session.execute(
        select(MeasureLink.logic_model_id, MeasureLink.driver_id, MeasureLink.driven_id).where(
            MeasureLink.district_id == district_id, MeasureLink.logic_model_id.in_(views)
        )
    )
    for model_id, driver_id, driven_id in links.all():
        views[model_id].links.append((measures[driver_id], measures[driven_id]))
    for view in views.values():
        view.links.sort(key=lambda pair: (pair[0].code, pair[1].code))
    return [views[model.id] for model in models]


async def get_logic_model(
    *, session: AsyncSession, district_id: uuid.UUID, logic_model_id: uuid.UUID
) -> LogicModelView | None:
    model = await session.get(LogicModel, (district_id, logic_model_id))
    if model is None:
        return None
    return (await views_of(session=session, district_id=district_id, models=[model]))[0]


async def list_logic_models(
    *, session: AsyncSession, district_id: uuid.UUID, first: int | None, after: str | None
) -> Page[LogicModelView]:
    """Logic models by name, one keyset page at a time, each with its measures and links."""
    page = await keyset_page(
        session,
        select(LogicModel).where(LogicModel.district_id == district_id),
        order_by=[LogicModel.name, LogicModel.id],
        first=first,
        after=after,
    )
    views = await views_of(
        session=session, district_id=district_id, models=[model for _, model in page.items]
    )
    return Page(
        items=[(key, view) for (key, _), view in zip(page.items, views, strict=True)],
        has_next_page=page.has_next_page,
        total_count=page.total_count,
    )


async def create_customer_requirement(
    *, session: AsyncSession, district_id: uuid.UUID, data: CustomerRequirementCreate
) -> CustomerRequirement:
    """A CTQ: a stakeholder group's requirement, the measure that shows it, its spec limits.

    At least one limit; a lower limit must not exceed the upper one. Units are the measure's.
    """
    if not data.stakeholder_group.strip():
        raise BadInput("stakeholderGroup", "must not be empty")
    if len(data.stakeholder_group) > MAX_NAME:
        raise BadInput("stakeholderGroup", f"must be at most {MAX_NAME} characters")
    if not data.requirement.strip():
        raise BadInput("requirement", "must not be empty")
    lower, upper = data.lower_spec_limit, data.upper_spec_limit
    if lower is None and upper is None:
        raise BadInput("lowerSpecLimit", "give a lower or an upper spec limit (or both)")
    if lower is not None and upper is not None and lower > upper:
        raise BadInput("upperSpecLimit", "must not be below the lower spec limit")
    await _measures_or_raise(session, district_id, [data.measure_id], "measureId")
    requirement = CustomerRequirement(
        id=uuid.uuid4(),
        district_id=district_id,
        stakeholder_group=data.stakeholder_group.strip(),
        requirement=data.requirement.strip(),
        measure_id=data.measure_id,
        lower_spec_limit=lower,
        upper_spec_limit=upper,
    )
    session.add(requirement)
    await session.flush()
    return requirement


async def list_customer_requirements(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID | None,
    first: int | None,
    after: str | None,
) -> Page[CustomerRequirement]:
    """CTQs (of one measure, or all) by stakeholder group, one keyset page at a time."""
    stmt = select(CustomerRequirement).where(CustomerRequirement.district_id == district_id)
    if measure_id is not None:
        stmt = stmt.where(CustomerRequirement.measure_id == measure_id)
    return await keyset_page(
        session,
        stmt,
        order_by=[CustomerRequirement.stakeholder_group, CustomerRequirement.id],
        first=first,
        after=after,
    )
