"""GraphQL: processes, createProcess, applyProcessTemplate."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from district_ppm.api.context import loader, principal_of, read_session, unit_of_work
from district_ppm.api.loaders import TenantLoader
from district_ppm.api.permissions import ADMIN, ANY_ROLE
from district_ppm.api.types import parse_optional_id
from district_ppm.processes import models, service, template

ProcessKind = strawberry.enum(models.ProcessKind)


class ProcessByIdLoader(TenantLoader[uuid.UUID, "Process | None"]):
    async def fetch(self, session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[Process | None]:
        found = await service.processes_by_ids(
            session=session, district_id=self.district_id, ids=keys
        )
        return [Process.from_model(found[k]) if k in found else None for k in keys]


class ChildrenByParentLoader(TenantLoader[uuid.UUID, "list[Process]"]):
    async def fetch(self, session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[list[Process]]:
        found = await service.children_of(
            session=session, district_id=self.district_id, parent_ids=keys
        )
        return [[Process.from_model(p) for p in found[k]] for k in keys]


@strawberry.type
class Process:
    id: strawberry.ID
    code: str
    name: str
    kind: ProcessKind  # type: ignore[valid-type]
    is_key: bool
    owner: str | None
    customers: str | None
    parent_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def parent(self, info: Info) -> Process | None:
        if self.parent_id is None:
            return None
        return await loader(info, ProcessByIdLoader).load(self.parent_id)

    @strawberry.field
    async def children(self, info: Info) -> list[Process]:
        return await loader(info, ChildrenByParentLoader).load(uuid.UUID(self.id))

    @classmethod
    def from_model(cls, process: models.Process) -> Process:
        return cls(
            id=strawberry.ID(str(process.id)),
            code=process.code,
            name=process.name,
            kind=process.kind,
            is_key=process.is_key,
            owner=process.owner,
            customers=process.customers,
            parent_id=process.parent_id,
        )


@strawberry.input
class CreateProcessInput:
    code: str
    name: str
    kind: ProcessKind  # type: ignore[valid-type]
    is_key: bool | None = None
    parent_id: strawberry.ID | None = None
    owner: str | None = None
    customers: str | None = None


@strawberry.type
class ProcessPayload:
    process: Process


@strawberry.type
class ProcessTemplatePayload:
    processes_created: int
    measures_created: int


@strawberry.type
class ProcessQueries:
    @strawberry.field(permission_classes=[ANY_ROLE], description="The whole tree, by code.")
    async def processes(self, info: Info) -> list[Process]:
        async with read_session(info) as session:
            rows = await service.list_processes(
                session=session, district_id=principal_of(info).district_id
            )
        # The whole tree is in hand: prime the loaders so parent/children cost no query.
        processes = [Process.from_model(p) for p in rows]
        by_id = loader(info, ProcessByIdLoader)
        children = loader(info, ChildrenByParentLoader)
        kids: dict[uuid.UUID, list[Process]] = {uuid.UUID(p.id): [] for p in processes}
        for process in processes:
            by_id.prime(uuid.UUID(process.id), process)
            if process.parent_id in kids:
                kids[process.parent_id].append(process)
        for parent_id, items in kids.items():
            children.prime(parent_id, items)
        return processes


@strawberry.type
class ProcessMutations:
    @strawberry.mutation(permission_classes=[ADMIN])
    async def create_process(self, info: Info, input: CreateProcessInput) -> ProcessPayload:
        data = service.ProcessCreate(
            code=input.code,
            name=input.name,
            kind=input.kind,
            is_key=bool(input.is_key),
            parent_id=parse_optional_id(input.parent_id, "input.parentId"),
            owner=input.owner,
            customers=input.customers,
        )
        async with unit_of_work(info, "createProcess") as uow:
            process = await service.create_process(
                session=uow.session, district_id=uow.district_id, data=data
            )
            uow.audit("process", process.id, code=process.code)
        return ProcessPayload(process=Process.from_model(process))

    @strawberry.mutation(
        permission_classes=[ADMIN],
        description="Add the K-12 starter process tree and its standard KPIs (idempotent).",
    )
    async def apply_process_template(self, info: Info) -> ProcessTemplatePayload:
        async with unit_of_work(info, "applyProcessTemplate") as uow:
            result = await template.apply_template(session=uow.session, district_id=uow.district_id)
            uow.audit(
                "process",
                None,
                processesCreated=result.processes_created,
                measuresCreated=result.measures_created,
            )
        return ProcessTemplatePayload(
            processes_created=result.processes_created,
            measures_created=result.measures_created,
        )
