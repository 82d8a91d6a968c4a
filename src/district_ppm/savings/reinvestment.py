"""Savings reinvested in instruction (DOMAIN.md): validated savings of a fiscal year allocated
to INSTRUCTIONAL processes, never more than what is validated and still unallocated.

*Validated* is the net of the fiscal year's VALIDATED entries in one unit (USD or HOURS), all
categories, reversals included, read from the ledger itself (not the roll-ups, which may lag
a write). Allocations of one district, fiscal year and unit take one transaction-scoped
advisory lock, so racing allocations are checked one after the other and cannot together
exceed the balance.

A validated entry reversed after its savings were reinvested lowers *validated* below what
was allocated: the ledger tells the truth, and ``unallocated`` is then negative (shown, not
hidden) until finance sorts it out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.processes.models import Process, ProcessKind
from district_ppm.savings import rules
from district_ppm.savings.models import (
    SavingsAllocation,
    SavingsEntry,
    SavingsStatus,
    SavingsUnit,
)
from district_ppm.tenancy.principal import Principal

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class AllocationCreate:
    fiscal_year: int
    process_id: uuid.UUID
    unit: SavingsUnit
    amount: Decimal
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    unit: SavingsUnit
    validated: Decimal
    allocated: Decimal

    @property
    def unallocated(self) -> Decimal:
        return self.validated - self.allocated


@dataclass(frozen=True, slots=True)
class ProcessReinvestment:
    process_id: uuid.UUID
    process_code: str
    process_name: str
    unit: SavingsUnit
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Reinvestment:
    fiscal_year: int
    balances: list[Balance]  # one per unit, USD first
    by_process: list[ProcessReinvestment]  # by process code, then unit


async def allocate_savings(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    principal: Principal,
    data: AllocationCreate,
) -> SavingsAllocation:
    """Allocate ``amount`` of a fiscal year's validated, unallocated savings to an
    INSTRUCTIONAL process (FINANCE_VALIDATOR or DISTRICT_ADMIN, checked on the field).

    BAD_INPUT for a process of another kind; NOT_FOUND for a process the district lacks;
    CONFLICT when ``amount`` exceeds what is validated and unallocated.
    """
    rules.check_fiscal_year(data.fiscal_year, "fiscalYear")
    amount = rules.checked_amount(data.amount, "amount")
    note = rules.optional_text(data.note, "note")
    process = await session.scalar(
        select(Process).where(Process.district_id == district_id, Process.id == data.process_id)
    )
    if process is None:
        raise NotFound("processId", "no such process")
    if process.kind is not ProcessKind.INSTRUCTIONAL:
        raise BadInput(
            "processId",
            f"is a {process.kind.value} process: savings are reinvested in INSTRUCTIONAL "
            "processes only",
        )
    await _lock_balance(session, district_id, data.fiscal_year, data.unit)
    balance = await balance_of(
        session=session, district_id=district_id, fiscal_year=data.fiscal_year, unit=data.unit
    )
    if amount > balance.unallocated:
        raise Conflict(
            "amount",
            f"exceeds the validated savings of fiscal year {data.fiscal_year} still "
            f"unallocated: {max(balance.unallocated, ZERO)} {data.unit.value} "
            f"({balance.validated} validated, {balance.allocated} allocated)",
        )
    allocation = SavingsAllocation(
        id=uuid.uuid4(),
        district_id=district_id,
        fiscal_year=data.fiscal_year,
        process_id=process.id,
        unit=data.unit,
        amount=amount,
        note=note,
        allocated_by=principal.actor,
    )
    session.add(allocation)
    await session.flush()
    await session.refresh(allocation)
    return allocation


async def balance_of(
    *, session: AsyncSession, district_id: uuid.UUID, fiscal_year: int, unit: SavingsUnit
) -> Balance:
    validated = await session.scalar(
        select(func.coalesce(func.sum(SavingsEntry.amount), ZERO)).where(
            SavingsEntry.district_id == district_id,
            SavingsEntry.fiscal_year == fiscal_year,
            SavingsEntry.unit == unit,
            SavingsEntry.status == SavingsStatus.VALIDATED,
        )
    )
    allocated = await session.scalar(
        select(func.coalesce(func.sum(SavingsAllocation.amount), ZERO)).where(
            SavingsAllocation.district_id == district_id,
            SavingsAllocation.fiscal_year == fiscal_year,
            SavingsAllocation.unit == unit,
        )
    )
    return Balance(unit=unit, validated=_cents(validated), allocated=_cents(allocated))


async def savings_reinvested(
    *, session: AsyncSession, district_id: uuid.UUID, fiscal_year: int
) -> Reinvestment:
    """What was reinvested of ``fiscal_year``'s validated savings, by process and unit, with
    each unit's validated, allocated and unallocated amounts."""
    balances = [
        await balance_of(
            session=session, district_id=district_id, fiscal_year=fiscal_year, unit=unit
        )
        for unit in SavingsUnit
    ]
    rows = await session.execute(
        select(
            Process.id,
            Process.code,
            Process.name,
            SavingsAllocation.unit,
            func.sum(SavingsAllocation.amount),
        )
        .join(
            Process,
            (Process.district_id == SavingsAllocation.district_id)
            & (Process.id == SavingsAllocation.process_id),
        )
        .where(
            SavingsAllocation.district_id == district_id,
            SavingsAllocation.fiscal_year == fiscal_year,
        )
        .group_by(Process.id, Process.code, Process.name, SavingsAllocation.unit)
        .order_by(Process.code, SavingsAllocation.unit)
    )
    return Reinvestment(
        fiscal_year=fiscal_year,
        balances=balances,
        by_process=[
            ProcessReinvestment(
                process_id=process_id,
                process_code=code,
                process_name=name,
                unit=SavingsUnit(unit),
                amount=_cents(amount),
            )
            for process_id, code, name, unit, amount in rows
        ],
    )


async def _lock_balance(
    session: AsyncSession, district_id: uuid.UUID, fiscal_year: int, unit: SavingsUnit
) -> None:
    """Serialize allocations of one district, fiscal year and unit until the commit."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"savings_allocation:{district_id}:{fiscal_year}:{unit.value}"},
    )


def _cents(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(rules.CENT)
