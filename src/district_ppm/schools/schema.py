"""GraphQL: schools, school, createSchool."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import time

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from district_ppm.api.context import loader, principal_of, read_session, unit_of_work
from district_ppm.api.loaders import TenantLoader
from district_ppm.api.permissions import ADMIN, ANY_ROLE
from district_ppm.api.plain_completion import PLAIN_READ, NotPlain
from district_ppm.api.types import Connection, parse_id, to_connection
from district_ppm.schools import models, service
from district_ppm.tenancy.calendar import district_today

SchoolLevel = strawberry.enum(models.SchoolLevel)


class EnrollmentBySchoolLoader(TenantLoader[uuid.UUID, int | None]):
    async def fetch(self, session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[int | None]:
        found = await service.latest_enrollments(
            session=session, district_id=self.district_id, school_ids=keys
        )
        return [found.get(key) for key in keys]


class _NotLoaded:
    """The enrollment of a school that does not carry it: its resolver asks the loader."""


NOT_LOADED = _NotLoaded()


def _loaded_enrollment(school: School) -> int | None:
    """The enrollment a list joined, read without the resolver; NotPlain when not loaded."""
    known = _known_enrollment(school)
    if isinstance(known, _NotLoaded):
        raise NotPlain
    return known


def _known_enrollment(school: School) -> int | _NotLoaded | None:
    if isinstance(school, School):  # built from a model, which carries no enrollment
        return NOT_LOADED
    # A service row read by name: its ``enrollment``, where it has one, is the latest year's
    # (a listed school's); one without (a comparison line's school) has it found by the loader.
    return getattr(school, "enrollment", NOT_LOADED)  # type: ignore[unreachable]


@strawberry.type
class School:
    id: strawberry.ID
    name: str
    nces_id: str | None
    level: SchoolLevel  # type: ignore[valid-type]
    first_bell: time

    @strawberry.field(
        description="Enrollment in the latest school year on record.",
        metadata={PLAIN_READ: _loaded_enrollment},
    )
    def enrollment(self, info: Info) -> int | None:
        # A plain function, not a coroutine: a list that joined the enrollment answers from
        # the row; graphql-core awaits the loader's future otherwise.
        known = _known_enrollment(self)
        if isinstance(known, _NotLoaded):
            school_id = uuid.UUID(str(self.id))  # a UUID when served from a service row
            return loader(info, EnrollmentBySchoolLoader).load(school_id)  # type: ignore[return-value]
        return known

    @classmethod
    def from_model(cls, school: service.SchoolFields) -> School:
        return cls(
            id=strawberry.ID(str(school.id)),
            name=school.name,
            nces_id=school.nces_id,
            level=school.level,
            first_bell=school.first_bell,
        )


@strawberry.input
class CreateSchoolInput:
    name: str
    level: SchoolLevel  # type: ignore[valid-type]
    first_bell: time
    nces_id: str | None = None
    enrollment: int | None = None


@strawberry.type
class SchoolPayload:
    school: School


@strawberry.type
class SchoolQueries:
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def schools(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[School]:
        async with read_session(info) as session:
            page = await service.list_schools(
                session=session,
                district_id=principal_of(info).district_id,
                first=first,
                after=after,
            )
        # The page's rows are the nodes, read by name (School.enrollment reads the joined
        # enrollment; a School object per row cost a tenth of a 200-school page).
        return to_connection(page)

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def school(self, info: Info, id: strawberry.ID) -> School | None:
        school_id = parse_id(id, "id")
        async with read_session(info) as session:
            school = await service.get_school(
                session=session, district_id=principal_of(info).district_id, school_id=school_id
            )
        return School.from_model(school) if school else None


@strawberry.type
class SchoolMutations:
    @strawberry.mutation(permission_classes=[ADMIN])
    async def create_school(self, info: Info, input: CreateSchoolInput) -> SchoolPayload:
        data = service.SchoolCreate(
            name=input.name,
            level=input.level,
            first_bell=input.first_bell,
            nces_id=input.nces_id,
            enrollment=input.enrollment,
        )
        async with unit_of_work(info, "createSchool") as uow:
            school = await service.create_school(
                session=uow.session,
                district_id=uow.district_id,
                data=data,
                today=await district_today(session=uow.session, district_id=uow.district_id),
            )
            uow.audit("school", school.id, name=school.name, ncesId=school.nces_id)
        return SchoolPayload(school=School.from_model(school))
