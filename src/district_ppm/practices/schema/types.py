"""GraphQL object types of the practices area: practices, adoptions, their gains, the spread."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from district_ppm.analytics.adoption import DECIMALS
from district_ppm.practices import rollup, service
from district_ppm.schools.schema import School

ROUNDING = f"rounded half-up to {DECIMALS} decimals"


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(
    description="An adoption's gain on one SCHOOL-level measure of its practice: the means of "
    "the school's up-to-6 latest values in the periods before and after the period that "
    "contains the adoption date (that period counts for neither; each side needs 3 values, "
    f"else null), {ROUNDING}. gain = after - before when higher is better, before - after "
    "when lower is better (positive is better), computed from the two rounded means."
)
class AdoptionGain:
    measure_id: strawberry.ID
    before: float | None
    after: float | None
    gain: float | None

    @classmethod
    def from_stored(cls, row: service.StoredGain) -> AdoptionGain:
        return cls(
            measure_id=_id(row.measure_id), before=row.before, after=row.after, gain=row.gain
        )


# Practices and adoptions are read in bulk by ``reads.py``: each detail below (measures,
# adoptions, gains, savings) in one statement for every row, and only when the query selects
# it. A detail the query does not select is left empty: GraphQL never serves it.


@strawberry.type(description="A school that took up a practice, from a date.")
class Adoption:
    id: strawberry.ID
    practice_id: strawberry.ID
    school: School
    adopted_on: date
    gains: list[AdoptionGain] = strawberry.field(
        description="One gain per SCHOOL-level measure of the practice, by measure code, as "
        "the worker last computed them; empty until it first has (see computedAt)."
    )
    computed_at: datetime | None = strawberry.field(
        description="When the worker computed these gains; null until it has. The worker "
        "recomputes them after every measurement write and nightly."
    )
    savings_usd: Decimal = strawberry.field(
        description="Its USD savings entries that are REALIZED or VALIDATED, reversals "
        "included, over every fiscal year, as the savings worker last rolled them up "
        "(savingsSummary's computedAt says when)."
    )


@strawberry.type(description="A practice a project proved, to be adopted at other schools.")
class Practice:
    id: strawberry.ID
    title: str
    description: str
    project_id: strawberry.ID | None
    measure_ids: list[strawberry.ID] = strawberry.field(
        description="The SCHOOL-level measures that show its effect, by code."
    )
    adoptions: list[Adoption] = strawberry.field(
        description="Its adoptions, earliest first (then by school name)."
    )


@strawberry.type(description="How one measure moved across a practice's adoptions.")
class MeasureSpread:
    measure_id: strawberry.ID
    median_gain: float | None = strawberry.field(
        description="The median of the adoptions' known gains on this measure (an even count "
        "takes the mean of the middle two, exactly); null when no adoption has a gain yet."
    )
    adoptions_with_gain: int = strawberry.field(
        description="How many adoptions have a known gain on this measure."
    )


@strawberry.type(
    description="One practice's gains translated across the district: where it was adopted, "
    "what its adoptions saved, and the median gain on each of its measures."
)
class PracticeSpread:
    practice_id: strawberry.ID
    title: str
    schools_adopted: int
    total_savings_usd: Decimal = strawberry.field(
        description="The savingsUsd of its adoptions, summed."
    )
    measures: list[MeasureSpread]
    computed_at: datetime | None = strawberry.field(
        description="When the worker computed the oldest of the gains these medians use; "
        "null when none is computed yet."
    )

    @classmethod
    def from_spread(cls, spread: rollup.PracticeSpread) -> PracticeSpread:
        return cls(
            practice_id=_id(spread.practice_id),
            title=spread.title,
            schools_adopted=spread.schools_adopted,
            total_savings_usd=spread.total_savings_usd,
            measures=[
                MeasureSpread(
                    measure_id=_id(m.measure_id),
                    median_gain=m.median_gain,
                    adoptions_with_gain=m.adoptions_with_gain,
                )
                for m in spread.measures
            ],
            computed_at=spread.computed_at,
        )
