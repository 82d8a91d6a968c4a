"""Mutations: recordSavings, updateSavings, validateSavings, reverseSavings, allocateSavings.

Who (DOMAIN.md "Roles" and "Savings"): an IMPROVEMENT_LEAD or DISTRICT_ADMIN records and
corrects savings; only a FINANCE_VALIDATOR validates; FINANCE_VALIDATOR and DISTRICT_ADMIN
reverse any entry and an IMPROVEMENT_LEAD those not yet validated (checked in the service);
FINANCE_VALIDATOR and DISTRICT_ADMIN reinvest validated savings. Every write is audited with
who did it and why (the note or reason).
"""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from district_ppm.api.context import unit_of_work
from district_ppm.api.permissions import (
    IMPROVEMENT,
    SAVINGS_ALLOCATORS,
    SAVINGS_REVERSERS,
    SAVINGS_VALIDATORS,
)
from district_ppm.api.types import parse_id, parse_optional_id
from district_ppm.savings import ledger, reinvestment, rules
from district_ppm.savings.schema.types import (
    SavingsAllocation,
    SavingsAllocationPayload,
    SavingsCategory,
    SavingsEntry,
    SavingsPayload,
    SavingsStatus,
    SavingsUnit,
)


@strawberry.input
class RecordSavingsInput:
    project_id: strawberry.ID
    category: SavingsCategory  # type: ignore[valid-type]
    amount: Decimal = strawberry.field(description="More than 0, at most 2 decimal places.")
    unit: SavingsUnit  # type: ignore[valid-type]
    fiscal_year: int
    status: SavingsStatus = strawberry.field(  # type: ignore[valid-type]
        description="PROJECTED, or REALIZED once the fiscal year has begun; VALIDATED is "
        "refused (validateSavings)."
    )
    school_id: strawberry.ID | None = None
    adoption_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The practice adoption the saving comes from; the school is the adoption's.",
    )
    month: int | None = strawberry.field(
        default=None, description="The calendar month (1-12) of the fiscal year."
    )
    note: str | None = None


@strawberry.input(description="Correct an entry not yet validated, or move it to REALIZED.")
class UpdateSavingsInput:
    id: strawberry.ID
    amount: Decimal | None = None
    status: SavingsStatus | None = None  # type: ignore[valid-type]
    note: str | None = strawberry.field(default=None, description="Why; kept in the audit.")


@strawberry.input
class AllocateSavingsInput:
    fiscal_year: int
    process_id: strawberry.ID = strawberry.field(description="An INSTRUCTIONAL process.")
    unit: SavingsUnit  # type: ignore[valid-type]
    amount: Decimal
    note: str | None = None


@strawberry.type
class SavingsMutations:
    @strawberry.mutation(permission_classes=[IMPROVEMENT])
    async def record_savings(self, info: Info, input: RecordSavingsInput) -> SavingsPayload:
        data = ledger.SavingsCreate(
            project_id=parse_id(input.project_id, "input.projectId"),
            category=input.category,
            amount=input.amount,
            unit=input.unit,
            fiscal_year=input.fiscal_year,
            status=input.status,
            school_id=parse_optional_id(input.school_id, "input.schoolId"),
            adoption_id=parse_optional_id(input.adoption_id, "input.adoptionId"),
            month=input.month,
            note=input.note,
        )
        async with unit_of_work(info, "recordSavings") as uow:
            entry = await ledger.record_savings(
                session=uow.session,
                district_id=uow.district_id,
                principal=uow.principal,
                data=data,
            )
            uow.audit("savings_entry", entry.id, **ledger.audit_details(entry))
        return SavingsPayload(entry=SavingsEntry.from_model(entry))

    @strawberry.mutation(
        permission_classes=[IMPROVEMENT],
        description="A VALIDATED entry, a reversal or a reversed entry is never edited "
        "(CONFLICT); statuses move forward only.",
    )
    async def update_savings(self, info: Info, input: UpdateSavingsInput) -> SavingsPayload:
        data = ledger.SavingsUpdate(
            entry_id=parse_id(input.id, "input.id"),
            amount=input.amount,
            status=input.status,
            note=input.note,
        )
        async with unit_of_work(info, "updateSavings") as uow:
            entry, changes = await ledger.update_savings(
                session=uow.session,
                district_id=uow.district_id,
                principal=uow.principal,
                data=data,
            )
            uow.audit("savings_entry", entry.id, changes=changes)
        return SavingsPayload(entry=SavingsEntry.from_model(entry))

    @strawberry.mutation(
        permission_classes=[SAVINGS_VALIDATORS],
        description="REALIZED -> VALIDATED, by a FINANCE_VALIDATOR only; anything else is "
        "CONFLICT.",
    )
    async def validate_savings(
        self, info: Info, id: strawberry.ID, note: str | None = None
    ) -> SavingsPayload:
        entry_id = parse_id(id, "id")
        async with unit_of_work(info, "validateSavings", input_name=None) as uow:
            entry = await ledger.validate_savings(
                session=uow.session,
                district_id=uow.district_id,
                principal=uow.principal,
                entry_id=entry_id,
            )
            details = ledger.audit_details(entry)
            details["note"] = rules.optional_text(note, "note")
            uow.audit("savings_entry", entry.id, **details)
        return SavingsPayload(entry=SavingsEntry.from_model(entry))

    @strawberry.mutation(
        permission_classes=[SAVINGS_REVERSERS],
        description="Adds the entry that nets this one out; once per entry, never of a "
        "reversal. An IMPROVEMENT_LEAD reverses only entries not yet validated.",
    )
    async def reverse_savings(self, info: Info, id: strawberry.ID, reason: str) -> SavingsPayload:
        entry_id = parse_id(id, "id")
        async with unit_of_work(info, "reverseSavings", input_name=None) as uow:
            reversal = await ledger.reverse_savings(
                session=uow.session,
                district_id=uow.district_id,
                principal=uow.principal,
                entry_id=entry_id,
                reason=reason,
            )
            uow.audit("savings_entry", reversal.id, **ledger.audit_details(reversal))
        return SavingsPayload(entry=SavingsEntry.from_model(reversal))

    @strawberry.mutation(
        permission_classes=[SAVINGS_ALLOCATORS],
        description="Reinvest validated, unallocated savings of a fiscal year in an "
        "INSTRUCTIONAL process (CONFLICT beyond what is left).",
    )
    async def allocate_savings(
        self, info: Info, input: AllocateSavingsInput
    ) -> SavingsAllocationPayload:
        data = reinvestment.AllocationCreate(
            fiscal_year=input.fiscal_year,
            process_id=parse_id(input.process_id, "input.processId"),
            unit=input.unit,
            amount=input.amount,
            note=input.note,
        )
        async with unit_of_work(info, "allocateSavings") as uow:
            allocation = await reinvestment.allocate_savings(
                session=uow.session,
                district_id=uow.district_id,
                principal=uow.principal,
                data=data,
            )
            uow.audit(
                "savings_allocation",
                allocation.id,
                fiscalYear=allocation.fiscal_year,
                processId=str(allocation.process_id),
                unit=allocation.unit.value,
                amount=str(allocation.amount),
                note=allocation.note,
            )
        return SavingsAllocationPayload(allocation=SavingsAllocation.from_model(allocation))
