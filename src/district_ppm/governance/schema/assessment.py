"""GraphQL: managementAssessment, managementAssessmentHistory, rateManagementElement."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ADMIN, ANY_ROLE
from district_ppm.api.types import Connection, to_connection
from district_ppm.governance import assessment, models_people

ManagementElement = strawberry.enum(models_people.ManagementElement)
AssessmentAction = strawberry.enum(
    models_people.AssessmentAction,
    description="ADD to what exists, CREATE what is missing, IMPROVE what is deficient, NONE.",
)


@strawberry.type(description="One rating (1-5) of one element of the management system.")
class ElementRating:
    element: ManagementElement  # type: ignore[valid-type]
    rating: int
    action: AssessmentAction  # type: ignore[valid-type]
    rated_on: date
    notes: str | None
    rated_by: str
    recorded_at: datetime

    @classmethod
    def from_model(cls, row: models_people.ManagementRating) -> ElementRating:
        return cls(
            element=row.element,
            rating=row.rating,
            action=row.action,
            rated_on=row.rated_on,
            notes=row.notes,
            rated_by=row.rated_by,
            recorded_at=row.created_at,
        )


@strawberry.input
class RateElementInput:
    element: ManagementElement  # type: ignore[valid-type]
    rating: int = strawberry.field(description="1 (absent) to 5 (exemplary).")
    action: AssessmentAction  # type: ignore[valid-type]
    notes: str | None = None
    rated_on: date | None = strawberry.field(
        default=None, description="When it was assessed (default: today; never later)."
    )


@strawberry.type
class ElementRatingPayload:
    rating: ElementRating


@strawberry.type
class AssessmentQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="The latest rating of each element rated so far, in element order.",
    )
    async def management_assessment(self, info: Info) -> list[ElementRating]:
        async with read_session(info) as session:
            rows = await assessment.current_assessment(
                session=session, district_id=principal_of(info).district_id
            )
        return [ElementRating.from_model(row) for row in rows]

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="Every rating, of one element or of all, oldest first (by ratedOn, then "
        "when recorded): the district's maturity over time.",
    )
    async def management_assessment_history(
        self,
        info: Info,
        element: ManagementElement | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ElementRating]:
        async with read_session(info) as session:
            page = await assessment.rating_history(
                session=session,
                district_id=principal_of(info).district_id,
                element=element,
                first=first,
                after=after,
            )
        return to_connection(page, ElementRating.from_model)


@strawberry.type
class AssessmentMutations:
    @strawberry.mutation(
        permission_classes=[ADMIN],
        description="Rate an element of the management system; earlier ratings stay in its "
        "history. BAD_INPUT (input.rating) outside 1-5.",
    )
    async def rate_management_element(
        self, info: Info, input: RateElementInput
    ) -> ElementRatingPayload:
        async with unit_of_work(info, "rateManagementElement") as uow:
            row = await assessment.rate_element(
                session=uow.session,
                district_id=uow.district_id,
                element=input.element,
                rating=input.rating,
                action=input.action,
                notes=input.notes,
                rated_on=input.rated_on,
                rated_by=uow.principal.actor,
            )
            uow.audit(
                "management_rating",
                row.id,
                element=row.element.value,
                rating=row.rating,
                action=row.action.value,
                ratedOn=row.rated_on.isoformat(),
            )
        return ElementRatingPayload(rating=ElementRating.from_model(row))
