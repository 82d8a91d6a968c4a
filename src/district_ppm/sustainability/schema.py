"""GraphQL: sustainability plans, their reviews, and sustainabilityCompliance."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from district_ppm.analytics import compliance as compliance_math
from district_ppm.api.context import loader, principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ANY_ROLE, IMPROVEMENT
from district_ppm.api.selection import selected
from district_ppm.api.types import parse_id
from district_ppm.measures.schema.types import Direction, Frequency
from district_ppm.sustainability import compliance, service
from district_ppm.sustainability.loaders import ReviewsByPlanLoader
from district_ppm.tenancy.calendar import district_today

ComplianceStatus = strawberry.enum(compliance_math.ComplianceStatus)


@strawberry.type(description="A control measure of a plan and what it is held to.")
class ControlMeasure:
    measure_id: strawberry.ID
    code: str
    direction: Direction  # type: ignore[valid-type]
    review_frequency: Frequency = strawberry.field(  # type: ignore[valid-type]
        description="The measure's frequency: a value is due for every period of it."
    )
    target: float | None = strawberry.field(
        description="The plan's own target; null: the measure's target for each school year."
    )


@strawberry.type(description="One review of a plan.")
class SustainabilityReview:
    id: strawberry.ID
    reviewed_on: date
    reviewer: str
    result: str
    notes: str | None

    @classmethod
    def from_row(cls, review: service.ReviewRow) -> SustainabilityReview:
        return cls(
            id=strawberry.ID(str(review.id)),
            reviewed_on=review.reviewed_on,
            reviewer=review.reviewer,
            result=review.result,
            notes=review.notes,
        )


@strawberry.type(
    description="How a project's gains are held: control measures, reviews at a cadence, a "
    "response plan. Checked from startDate to endDate, after the project closes too."
)
class SustainabilityPlan:
    id: strawberry.ID
    project_id: strawberry.ID
    review_cadence: Frequency  # type: ignore[valid-type]
    start_date: date
    measure_ids: list[strawberry.ID]
    owner: str
    response_plan: str
    duration_months: int | None
    end_date: date | None = strawberry.field(
        description="The last day the plan is checked (startDate plus durationMonths); null: "
        "open-ended."
    )
    control_measures: list[ControlMeasure]
    # The reviews, when whoever made the plan read them with it (a list reads every plan's in
    # one statement); otherwise the field reads them through the request's loader.
    read_reviews: strawberry.Private[list[SustainabilityReview] | None] = None

    @strawberry.field(description="The plan's reviews, oldest first.")
    async def reviews(self, info: Info) -> list[SustainabilityReview]:
        if self.read_reviews is not None:
            return self.read_reviews
        rows = await loader(info, ReviewsByPlanLoader).load(uuid.UUID(self.id))
        return [SustainabilityReview.from_row(row) for row in rows]

    @classmethod
    def from_view(
        cls, view: service.PlanView, reviews: list[service.ReviewRow] | None = None
    ) -> SustainabilityPlan:
        plan = view.plan
        return cls(
            id=strawberry.ID(str(plan.id)),
            project_id=strawberry.ID(str(plan.project_id)),
            review_cadence=plan.review_cadence,
            start_date=plan.start_date,
            measure_ids=[strawberry.ID(str(c.measure_id)) for c in view.controls],
            owner=plan.owner,
            response_plan=plan.response_plan,
            duration_months=plan.duration_months,
            end_date=service.plan_end(plan),
            control_measures=[
                ControlMeasure(
                    measure_id=strawberry.ID(str(c.measure_id)),
                    code=c.code,
                    direction=c.direction,
                    review_frequency=c.frequency,
                    target=c.target,
                )
                for c in view.controls
            ],
            read_reviews=None
            if reviews is None
            else [SustainabilityReview.from_row(row) for row in reviews],
        )


@strawberry.type
class PlanCompliance:
    plan: SustainabilityPlan
    status: ComplianceStatus  # type: ignore[valid-type]
    failed_checks: list[str] = strawberry.field(
        description="Each failed check by name: data_current:<measure code>, in_control:<code>, "
        "meets_target:<code>, review_cadence."
    )
    as_of: date = strawberry.field(description="The date the verdict is as of.")
    computed_at: datetime | None = strawberry.field(
        description="When the verdict was computed (by the worker, or now for another date)."
    )


@strawberry.input
class ControlTargetInput:
    measure_id: strawberry.ID
    target: float


@strawberry.input
class CreateSustainabilityPlanInput:
    project_id: strawberry.ID
    measure_ids: list[strawberry.ID] = strawberry.field(description="The control measures.")
    review_cadence: Frequency  # type: ignore[valid-type]
    start_date: date
    response_plan: str
    owner: str | None = strawberry.field(
        default=None, description="Who owns the plan; the caller when omitted."
    )
    duration_months: int | None = strawberry.field(
        default=None, description="How long the plan is checked; open-ended when omitted."
    )
    targets: list[ControlTargetInput] | None = strawberry.field(
        default=None,
        description="A plan's own target for some of its measures, instead of the measure's "
        "target for each school year.",
    )


@strawberry.input
class LogReviewInput:
    plan_id: strawberry.ID
    reviewed_on: date
    result: str
    notes: str | None = None


@strawberry.type
class SustainabilityPlanPayload:
    plan: SustainabilityPlan


@strawberry.type
class SustainabilityQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="The compliance of every plan checked on the date. Without asOf: the "
        "verdicts the worker stored (as of the district's date when it last ran); with asOf: "
        "computed for that date unless the stored verdict is of that date.",
    )
    async def sustainability_compliance(
        self, info: Info, as_of: date | None = None
    ) -> list[PlanCompliance]:
        district_id = principal_of(info).district_id
        # A dashboard's list shows the plans' dates: their control measures and reviews are
        # read (one statement each, for every plan) only when the query selects them.
        plan_fields = selected(info, "plan")
        controls: dict[uuid.UUID, list[service.ControlRow]] = {}
        reviews: dict[uuid.UUID, list[service.ReviewRow]] | None = None
        async with read_session(info) as session:
            verdicts = await compliance.compliance_report(
                session=session, district_id=district_id, as_of=as_of
            )
            plan_ids = [verdict.plan.id for verdict in verdicts]
            if plan_ids and plan_fields & {"measureIds", "controlMeasures"}:
                controls = await service.controls_of(
                    session=session, district_id=district_id, plan_ids=plan_ids
                )
            if plan_ids and "reviews" in plan_fields:
                reviews = await service.reviews_of(
                    session=session, district_id=district_id, plan_ids=plan_ids
                )
        return [
            PlanCompliance(
                # Unselected details stay empty: GraphQL never serves a field not asked for.
                plan=SustainabilityPlan.from_view(
                    service.PlanView(verdict.plan, controls.get(verdict.plan.id, [])),
                    None if reviews is None else reviews[verdict.plan.id],
                ),
                status=verdict.status,
                failed_checks=list(verdict.failed_checks),
                as_of=verdict.as_of,
                computed_at=verdict.computed_at,
            )
            for verdict in verdicts
        ]


@strawberry.type
class SustainabilityMutations:
    @strawberry.mutation(
        permission_classes=[IMPROVEMENT],
        description="A project's sustainability plan (one per project: CONFLICT otherwise).",
    )
    async def create_sustainability_plan(
        self, info: Info, input: CreateSustainabilityPlanInput
    ) -> SustainabilityPlanPayload:
        data = service.PlanCreate(
            project_id=parse_id(input.project_id, "input.projectId"),
            measure_ids=[
                parse_id(value, f"input.measureIds.{index}")
                for index, value in enumerate(input.measure_ids)
            ],
            review_cadence=input.review_cadence,
            start_date=input.start_date,
            response_plan=input.response_plan,
            owner=input.owner,
            duration_months=input.duration_months,
            targets=[
                (parse_id(t.measure_id, f"input.targets.{index}.measureId"), t.target)
                for index, t in enumerate(input.targets or [])
            ],
        )
        async with unit_of_work(info, "createSustainabilityPlan") as uow:
            plan = await service.create_plan(
                session=uow.session, district_id=uow.district_id, principal=uow.principal, data=data
            )
            (view,) = await service.plan_views(
                session=uow.session, district_id=uow.district_id, plans=[plan]
            )
            uow.audit(
                "sustainability_plan",
                plan.id,
                projectId=str(plan.project_id),
                measureIds=[str(m) for m in data.measure_ids],
            )
        return SustainabilityPlanPayload(plan=SustainabilityPlan.from_view(view))

    @strawberry.mutation(
        permission_classes=[IMPROVEMENT],
        description="A review of a plan, by the caller, dated between the plan's start and today.",
    )
    async def log_sustainability_review(
        self, info: Info, input: LogReviewInput
    ) -> SustainabilityPlanPayload:
        data = service.ReviewLog(
            plan_id=parse_id(input.plan_id, "input.planId"),
            reviewed_on=input.reviewed_on,
            result=input.result,
            notes=input.notes,
        )
        async with unit_of_work(info, "logSustainabilityReview") as uow:
            review = await service.log_review(
                session=uow.session,
                district_id=uow.district_id,
                principal=uow.principal,
                data=data,
                today=await district_today(session=uow.session, district_id=uow.district_id),
            )
            plan = await service.get_plan_or_raise(
                session=uow.session, district_id=uow.district_id, plan_id=review.plan_id
            )
            (view,) = await service.plan_views(
                session=uow.session, district_id=uow.district_id, plans=[plan]
            )
            uow.audit(
                "sustainability_review",
                review.id,
                planId=str(plan.id),
                reviewedOn=review.reviewed_on.isoformat(),
            )
        return SustainabilityPlanPayload(plan=SustainabilityPlan.from_view(view))
