"""practices, practice, gainsAcrossDistrict, createPractice, adoptPractice."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ANY_ROLE, IMPROVEMENT
from district_ppm.api.selection import selected
from district_ppm.api.types import parse_id, parse_optional_id
from district_ppm.practices import rollup, service
from district_ppm.practices.schema.reads import adoptions_as_types, practices_as_types
from district_ppm.practices.schema.types import Adoption, Practice, PracticeSpread


@strawberry.input
class CreatePracticeInput:
    title: str
    description: str
    measure_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 10 SCHOOL-level measures that show the practice's effect."
    )
    project_id: strawberry.ID | None = None


@strawberry.type
class PracticePayload:
    practice: Practice


@strawberry.input
class AdoptPracticeInput:
    practice_id: strawberry.ID
    school_id: strawberry.ID
    adopted_on: date


@strawberry.type
class AdoptionPayload:
    adoption: Adoption


@strawberry.type
class PracticeQueries:
    @strawberry.field(permission_classes=[ANY_ROLE], description="Every practice, by title.")
    async def practices(self, info: Info) -> list[Practice]:
        async with read_session(info) as session:
            return await practices_as_types(
                session=session,
                district_id=principal_of(info).district_id,
                practice_ids=None,
                fields=selected(info),
                adoption_fields=selected(info, "adoptions"),
            )

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="One practice (null when there is none with this id): its adoptions and "
        "their gains in full.",
    )
    async def practice(self, info: Info, id: strawberry.ID) -> Practice | None:
        practice_id = parse_id(id, "id")
        async with read_session(info) as session:
            found = await practices_as_types(
                session=session,
                district_id=principal_of(info).district_id,
                practice_ids=[practice_id],
                fields=selected(info),
                adoption_fields=selected(info, "adoptions"),
            )
        return found[0] if found else None

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="Gains translated across the district: per practice (by title), the schools "
        "that adopted it and the median gain on each of its measures.",
    )
    async def gains_across_district(self, info: Info) -> list[PracticeSpread]:
        async with read_session(info) as session:
            spreads = await rollup.gains_across_district(
                session=session, district_id=principal_of(info).district_id
            )
        return [PracticeSpread.from_spread(spread) for spread in spreads]


@strawberry.type
class PracticeMutations:
    @strawberry.mutation(permission_classes=[IMPROVEMENT])
    async def create_practice(self, info: Info, input: CreatePracticeInput) -> PracticePayload:
        data = service.PracticeCreate(
            title=input.title,
            description=input.description,
            measure_ids=[
                parse_id(measure_id, f"input.measureIds.{index}")
                for index, measure_id in enumerate(input.measure_ids)
            ],
            project_id=parse_optional_id(input.project_id, "input.projectId"),
        )
        async with unit_of_work(info, "createPractice") as uow:
            practice = await service.create_practice(
                session=uow.session,
                district_id=uow.district_id,
                data=data,
                created_by=uow.principal.actor,
            )
            uow.audit(
                "practice",
                practice.id,
                title=practice.title,
                projectId=str(practice.project_id) if practice.project_id else None,
                measureIds=[str(measure_id) for measure_id in data.measure_ids],
            )
            (created,) = await practices_as_types(
                session=uow.session,
                district_id=uow.district_id,
                practice_ids=[practice.id],
                fields=selected(info, "practice"),
                adoption_fields=selected(info, "practice", "adoptions"),
            )
        return PracticePayload(practice=created)

    @strawberry.mutation(
        permission_classes=[IMPROVEMENT],
        description="A school adopts a practice from a date (once per school); the worker then "
        "computes the adoption's gains.",
    )
    async def adopt_practice(self, info: Info, input: AdoptPracticeInput) -> AdoptionPayload:
        data = service.AdoptionCreate(
            practice_id=parse_id(input.practice_id, "input.practiceId"),
            school_id=parse_id(input.school_id, "input.schoolId"),
            adopted_on=input.adopted_on,
        )
        async with unit_of_work(info, "adoptPractice") as uow:
            adoption, _ = await service.adopt_practice(
                session=uow.session,
                district_id=uow.district_id,
                data=data,
                created_by=uow.principal.actor,
            )
            uow.audit(
                "adoption",
                adoption.id,
                practiceId=str(adoption.practice_id),
                schoolId=str(adoption.school_id),
                adoptedOn=adoption.adopted_on.isoformat(),
            )
            rows = await service.adoptions_of(
                session=uow.session, district_id=uow.district_id, adoption_ids=[adoption.id]
            )
            (adopted,) = await adoptions_as_types(
                session=uow.session,
                district_id=uow.district_id,
                rows=rows[adoption.practice_id],
                fields=selected(info, "adoption"),
            )
        return AdoptionPayload(adoption=adopted)
