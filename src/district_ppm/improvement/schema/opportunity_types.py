"""GraphQL object type of an opportunity and its enums."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from district_ppm.improvement import models, scoring


def _optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


OpportunitySource = strawberry.enum(models.OpportunitySource)
OpportunityStatus = strawberry.enum(models.OpportunityStatus)
PickQuadrant = strawberry.enum(scoring.PickQuadrant)


@strawberry.type(description="An improvement idea, scored 1-5 on impact, effort and alignment.")
class Opportunity:
    id: strawberry.ID
    title: str
    description: str | None
    source: OpportunitySource  # type: ignore[valid-type]
    process_id: strawberry.ID | None
    measure_id: strawberry.ID | None
    impact: int
    effort: int
    alignment: int
    estimated_savings: Decimal | None
    priority_score: float = strawberry.field(
        description="impact x alignment / effort, rounded half up to 4 decimals (only thirds "
        "need rounding; the list ranks by this figure, highest first, ties by creation)."
    )
    quadrant: PickQuadrant = strawberry.field(  # type: ignore[valid-type]
        description="PICK: impact >= 3 and effort <= 2 IMPLEMENT; impact < 3 and effort <= 2 "
        "POSSIBLE; impact >= 3 and effort >= 3 CHALLENGE; impact < 3 and effort >= 3 KILL."
    )
    status: OpportunityStatus  # type: ignore[valid-type]
    project_id: strawberry.ID | None = strawberry.field(
        description="The project it was converted into (that project's opportunityId is this)."
    )
    created_at: datetime
    created_by: str

    @classmethod
    def from_model(cls, row: models.Opportunity) -> Opportunity:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            description=row.description,
            source=row.source,
            process_id=_optional_id(row.process_id),
            measure_id=_optional_id(row.measure_id),
            impact=row.impact,
            effort=row.effort,
            alignment=row.alignment,
            estimated_savings=row.estimated_savings,
            # The same figure as the stored column the list is ordered by (a test checks
            # both agree for every score), computed here so a fresh row needs no reload.
            priority_score=float(
                scoring.priority_score(
                    impact=row.impact, alignment=row.alignment, effort=row.effort
                )
            ),
            quadrant=scoring.pick_quadrant(impact=row.impact, effort=row.effort),
            status=row.status,
            project_id=_optional_id(row.project_id),
            created_at=row.created_at,
            created_by=row.created_by,
        )
