"""GraphQL object types of the savings ledger, its summary, claim checks and reinvestment."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import strawberry
from strawberry.types import Info

from district_ppm.api.context import loader
from district_ppm.improvement.schema.types import Project
from district_ppm.savings import claims, models, reinvestment, rollup
from district_ppm.savings.schema.loaders import ClaimCheckLoader, ReversalIdLoader

SavingsCategory = strawberry.enum(
    models.SavingsCategory,
    description="HARD and COST_AVOIDANCE are counted in USD, INSTRUCTIONAL_TIME in HOURS "
    "(student instructional hours), SOFT (capacity freed) in either.",
)
SavingsStatus = strawberry.enum(
    models.SavingsStatus, description="PROJECTED -> REALIZED -> VALIDATED, forward only."
)
SavingsUnit = strawberry.enum(models.SavingsUnit)


def _id(value: uuid.UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(
    description="An INSTRUCTIONAL_TIME claim of a transportation project beside what the bus "
    "runs show was recovered at its schools (the school's, else the project's, else the "
    "district's): student instructional hours lost in the baseline school year minus those "
    "lost in the claimed one, as instructionalTimeLost reports them."
)
class SavingsClaimCheck:
    claimed_hours: Decimal
    computed_hours: Decimal = strawberry.field(
        description="Hours lost in the baseline year minus hours lost in the claimed year; "
        "negative when more time was lost."
    )
    exceeds_computed: bool = strawberry.field(
        description="The claim is larger than the computed change: finance should look."
    )
    baseline_school_year: int = strawberry.field(
        description="The project's baseline school year, or the one before the claimed year."
    )
    claimed_school_year: int = strawberry.field(
        description="The school year named like the entry's fiscal year."
    )
    baseline_hours_lost: Decimal
    claimed_year_hours_lost: Decimal
    school_ids: list[strawberry.ID] = strawberry.field(
        description="The schools compared; empty when the whole district is."
    )
    time_loss_computed_at: datetime | None = strawberry.field(
        description="When the bus-run figures were computed; null if never."
    )

    @classmethod
    def from_check(cls, check: claims.ClaimCheck) -> SavingsClaimCheck:
        return cls(
            claimed_hours=check.claimed_hours,
            computed_hours=check.computed_hours,
            exceeds_computed=check.exceeds_computed,
            baseline_school_year=check.baseline_school_year,
            claimed_school_year=check.claimed_school_year,
            baseline_hours_lost=check.baseline_hours_lost,
            claimed_year_hours_lost=check.claimed_year_hours_lost,
            school_ids=[strawberry.ID(str(s)) for s in check.school_ids],
            time_loss_computed_at=check.time_loss_computed_at,
        )


@strawberry.type(description="One saving claimed by a project, or the reversal of one.")
class SavingsEntry:
    id: strawberry.ID
    project_id: strawberry.ID
    category: SavingsCategory  # type: ignore[valid-type]
    amount: Decimal = strawberry.field(description="Negative for a reversal.")
    unit: SavingsUnit  # type: ignore[valid-type]
    fiscal_year: int = strawberry.field(description="Named by the calendar year it ends in.")
    month: int | None = strawberry.field(description="The calendar month (1-12), if given.")
    status: SavingsStatus  # type: ignore[valid-type]
    school_id: strawberry.ID | None
    adoption_id: strawberry.ID | None
    reverses_id: strawberry.ID | None
    note: str | None
    reason: str | None = strawberry.field(description="Why a reversal was made.")
    recorded_by: str
    recorded_at: datetime
    updated_by: str | None
    updated_at: datetime | None
    validated_by: str | None
    validated_at: datetime | None

    @strawberry.field(description="The entry that reversed this one, if any.")
    async def reversed_by_id(self, info: Info) -> strawberry.ID | None:
        return _id(await loader(info, ReversalIdLoader).load(uuid.UUID(self.id)))

    @strawberry.field(
        description="For an INSTRUCTIONAL_TIME claim of a transportation project, the claim "
        "beside the change the bus-run data show; null for every other entry."
    )
    async def check(self, info: Info) -> SavingsClaimCheck | None:
        found = await loader(info, ClaimCheckLoader).load(uuid.UUID(self.id))
        return None if found is None else SavingsClaimCheck.from_check(found)

    @classmethod
    def from_model(cls, entry: models.SavingsEntry) -> SavingsEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            project_id=strawberry.ID(str(entry.project_id)),
            category=entry.category,
            amount=entry.amount,
            unit=entry.unit,
            fiscal_year=entry.fiscal_year,
            month=entry.month,
            status=entry.status,
            school_id=_id(entry.school_id),
            adoption_id=_id(entry.adoption_id),
            reverses_id=_id(entry.reverses_id),
            note=entry.note,
            reason=entry.reason,
            recorded_by=entry.recorded_by,
            recorded_at=entry.created_at,
            updated_by=entry.updated_by,
            updated_at=entry.updated_at,
            validated_by=entry.validated_by,
            validated_at=entry.validated_at,
        )


@strawberry.type
class SavingsPayload:
    entry: SavingsEntry


@strawberry.type(description="A checked claim, as finance reads them before validating.")
class SavingsClaim:
    entry: SavingsEntry
    check: SavingsClaimCheck


@strawberry.type(description="The net amount of one category, status and unit.")
class SavingsRow:
    category: SavingsCategory  # type: ignore[valid-type]
    status: SavingsStatus  # type: ignore[valid-type]
    unit: SavingsUnit  # type: ignore[valid-type]
    amount: Decimal


@strawberry.interface(
    description="A group's figures for the fiscal year, reversals netted: hardValidated "
    "(HARD, VALIDATED, USD), totalUsd (USD, REALIZED or VALIDATED), validatedUsd, totalHours "
    "(HOURS, REALIZED or VALIDATED) and validatedHours."
)
class SavingsTotals:
    hard_validated: Decimal
    total_usd: Decimal
    validated_usd: Decimal
    total_hours: Decimal
    validated_hours: Decimal


@strawberry.type
class ProjectSavings(SavingsTotals):
    project_id: strawberry.ID
    # A plain field, not a resolver (graphql-core reads it directly, hundreds of times per
    # summary). savingsSummary reads the projects only when a client selects this field;
    # otherwise it holds None and is never resolved.
    project: Project


@strawberry.type(description="The savings of the projects of one process.")
class ProcessSavings(SavingsTotals):
    process_id: strawberry.ID


@strawberry.type(description="The savings recorded for one school.")
class SchoolSavings(SavingsTotals):
    school_id: strawberry.ID


@strawberry.type(description="The savings of one practice's adoptions.")
class PracticeSavings(SavingsTotals):
    practice_id: strawberry.ID


G = TypeVar("G", ProcessSavings, SchoolSavings, PracticeSavings)


def _groups(cls: type[G], key_field: str, rows: list[rollup.GroupTotals]) -> list[G]:
    """A grouping's rows as its type, each keyed by ``key_field``."""
    return [
        cls(
            **{key_field: strawberry.ID(str(g.key))},
            hard_validated=g.hard_validated,
            total_usd=g.total_usd,
            validated_usd=g.validated_usd,
            total_hours=g.total_hours,
            validated_hours=g.validated_hours,
        )
        for g in rows
    ]


@strawberry.type(
    description="A fiscal year's savings as the worker last computed them (computedAt; null "
    "before the first computation). Every grouping lists its rows by totalUsd, then "
    "totalHours, largest first; entries without a process, school or adoption are in rows "
    "and byProject only."
)
class SavingsSummary:
    computed_at: datetime | None
    fiscal_year: int
    rows: list[SavingsRow]
    by_project: list[ProjectSavings]
    by_process: list[ProcessSavings]
    by_school: list[SchoolSavings]
    by_practice: list[PracticeSavings]

    @classmethod
    def from_summary(
        cls, summary: rollup.SavingsSummary, projects: dict[uuid.UUID, Project] | None = None
    ) -> SavingsSummary:
        """``projects``: those of ``byProject``, when the client selects them."""
        projects = projects or {}
        groups = summary.groups
        # Each row maps straight to its type: hundreds of rows, every field a plain attribute.
        return cls(
            computed_at=summary.computed_at,
            fiscal_year=summary.fiscal_year,
            rows=[
                SavingsRow(category=r.category, status=r.status, unit=r.unit, amount=r.amount)
                for r in summary.rows
            ],
            by_project=[
                ProjectSavings(
                    project_id=strawberry.ID(str(g.key)),
                    project=projects.get(g.key),  # type: ignore[arg-type]
                    hard_validated=g.hard_validated,
                    total_usd=g.total_usd,
                    validated_usd=g.validated_usd,
                    total_hours=g.total_hours,
                    validated_hours=g.validated_hours,
                )
                for g in groups["PROJECT"]
            ],
            by_process=_groups(ProcessSavings, "process_id", groups["PROCESS"]),
            by_school=_groups(SchoolSavings, "school_id", groups["SCHOOL"]),
            by_practice=_groups(PracticeSavings, "practice_id", groups["PRACTICE"]),
        )


@strawberry.type(description="Validated savings reinvested in an INSTRUCTIONAL process.")
class SavingsAllocation:
    id: strawberry.ID
    fiscal_year: int
    process_id: strawberry.ID
    unit: SavingsUnit  # type: ignore[valid-type]
    amount: Decimal
    note: str | None
    allocated_by: str
    allocated_at: datetime

    @classmethod
    def from_model(cls, row: models.SavingsAllocation) -> SavingsAllocation:
        return cls(
            id=strawberry.ID(str(row.id)),
            fiscal_year=row.fiscal_year,
            process_id=strawberry.ID(str(row.process_id)),
            unit=row.unit,
            amount=row.amount,
            note=row.note,
            allocated_by=row.allocated_by,
            allocated_at=row.created_at,
        )


@strawberry.type
class SavingsAllocationPayload:
    allocation: SavingsAllocation


@strawberry.type(
    description="One unit's validated savings of the fiscal year (reversals netted), what was "
    "allocated, and what remains; unallocated is negative only when a validated entry was "
    "reversed after its savings were reinvested."
)
class ReinvestmentBalance:
    unit: SavingsUnit  # type: ignore[valid-type]
    validated: Decimal
    allocated: Decimal
    unallocated: Decimal


@strawberry.type
class ProcessReinvestment:
    process_id: strawberry.ID
    process_code: str
    process_name: str
    unit: SavingsUnit  # type: ignore[valid-type]
    amount: Decimal


@strawberry.type(description="Savings reinvested in instruction in one fiscal year.")
class SavingsReinvestment:
    fiscal_year: int
    balances: list[ReinvestmentBalance]
    by_process: list[ProcessReinvestment]

    @classmethod
    def from_reinvestment(cls, found: reinvestment.Reinvestment) -> SavingsReinvestment:
        return cls(
            fiscal_year=found.fiscal_year,
            balances=[
                ReinvestmentBalance(
                    unit=b.unit,
                    validated=b.validated,
                    allocated=b.allocated,
                    unallocated=b.unallocated,
                )
                for b in found.balances
            ],
            by_process=[
                ProcessReinvestment(
                    process_id=strawberry.ID(str(p.process_id)),
                    process_code=p.process_code,
                    process_name=p.process_name,
                    unit=p.unit,
                    amount=p.amount,
                )
                for p in found.by_process
            ],
        )
