"""The savings ledger's writes and reads (DOMAIN.md "Savings"). Callers own the transaction.

PROJECTED -> REALIZED -> VALIDATED, forward only. ``record_savings`` writes PROJECTED or
REALIZED; ``update_savings`` corrects an unvalidated entry's amount or moves it to REALIZED;
``validate_savings`` alone makes an entry VALIDATED, from REALIZED. A VALIDATED entry is never
edited: ``reverse_savings`` adds an entry with the negated amount instead, once per entry;
a reversal is not reversed, and neither a reversal nor a reversed entry moves again (each
would stop netting out its pair). Every write queues the roll-ups (``rollup_savings``).

Each function that changes an entry locks its row first, so racing writers of one entry run
one after the other and the second sees what the first did: two validations give one
CONFLICT, two reversals one reversal and one CONFLICT (the unique index on ``reverses_id``
backs this up).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.errors import BadInput, Conflict, Forbidden, NotFound
from district_ppm.improvement.models import Project
from district_ppm.practices.models import Adoption, Practice
from district_ppm.savings import rules
from district_ppm.savings.jobs import enqueue_rollup
from district_ppm.savings.models import SavingsCategory, SavingsEntry, SavingsStatus, SavingsUnit
from district_ppm.schools.models import School
from district_ppm.tenancy.calendar import DistrictCalendar, get_district_calendar
from district_ppm.tenancy.models import Role
from district_ppm.tenancy.principal import Principal


@dataclass(frozen=True, slots=True)
class SavingsCreate:
    project_id: uuid.UUID
    category: SavingsCategory
    amount: Decimal
    unit: SavingsUnit
    fiscal_year: int
    status: SavingsStatus
    school_id: uuid.UUID | None = None
    adoption_id: uuid.UUID | None = None
    month: int | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SavingsUpdate:
    entry_id: uuid.UUID
    amount: Decimal | None = None
    status: SavingsStatus | None = None
    note: str | None = None  # why; kept in the audit trail


async def record_savings(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    principal: Principal,
    data: SavingsCreate,
    today: date | None = None,
) -> SavingsEntry:
    """A new PROJECTED or REALIZED entry of a project (DISTRICT_ADMIN, IMPROVEMENT_LEAD).

    Fields are named relative to the input (``amount``); ``today`` defaults to the district's
    date. BAD_INPUT for a VALIDATED status (only ``validate_savings`` validates), a unit the
    category is not counted in, a REALIZED saving of a fiscal year that has not begun, a school
    other than the adoption's; NOT_FOUND for a project, school or adoption the district lacks.
    """
    if data.status is SavingsStatus.VALIDATED:
        raise BadInput(
            "status",
            "only validateSavings makes an entry VALIDATED: record it REALIZED for finance",
        )
    amount = rules.checked_amount(data.amount, "amount")
    rules.check_unit(data.category, data.unit, "unit")
    rules.check_fiscal_year(data.fiscal_year, "fiscalYear")
    rules.check_month(data.month, "month")
    note = rules.optional_text(data.note, "note")
    calendar = await get_district_calendar(session=session, district_id=district_id)
    if data.status is SavingsStatus.REALIZED:
        _check_fiscal_year_begun(calendar, data.fiscal_year, today)
    await _project(session, district_id, data.project_id, "projectId")
    school_id = data.school_id
    if school_id is not None:
        await _school(session, district_id, school_id, "schoolId")
    if data.adoption_id is not None:
        school_id = await _adoption_school(
            session, district_id, data.adoption_id, data.project_id, school_id
        )
    entry = SavingsEntry(
        id=uuid.uuid4(),
        district_id=district_id,
        project_id=data.project_id,
        school_id=school_id,
        adoption_id=data.adoption_id,
        category=data.category,
        amount=amount,
        unit=data.unit,
        fiscal_year=data.fiscal_year,
        month=data.month,
        status=data.status,
        note=note,
        recorded_by=principal.actor,
    )
    session.add(entry)
    await session.flush()
    await enqueue_rollup(session=session, district_id=district_id)
    return entry


async def update_savings(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    principal: Principal,
    data: SavingsUpdate,
    today: date | None = None,
) -> tuple[SavingsEntry, dict[str, Any]]:
    """Correct an unvalidated entry's amount and/or move it from PROJECTED to REALIZED.

    Returns the entry and what changed (``{"amount": [old, new], ...}``) for the audit trail.
    CONFLICT for a VALIDATED entry (never edited: reverse it), a reversal or a reversed entry,
    and for a move back to PROJECTED; BAD_INPUT for VALIDATED (``validate_savings`` does that).
    """
    if data.amount is None and data.status is None:
        raise BadInput("amount", "give the amount or the status to change")
    if data.status is SavingsStatus.VALIDATED:
        raise BadInput("status", "only validateSavings makes an entry VALIDATED")
    amount = None if data.amount is None else rules.checked_amount(data.amount, "amount")
    note = rules.optional_text(data.note, "note")
    entry = await _locked_entry(session, district_id, data.entry_id, "id")
    if entry.status is SavingsStatus.VALIDATED:
        raise Conflict(
            "id", "is VALIDATED and is never edited: reverse it and record the correction"
        )
    await _check_not_paired(session, district_id, entry, "is never edited")
    changes: dict[str, Any] = {}
    if data.status is not None and data.status is not entry.status:
        if data.status is SavingsStatus.PROJECTED:
            raise Conflict("status", "a REALIZED entry does not go back to PROJECTED: reverse it")
        calendar = await get_district_calendar(session=session, district_id=district_id)
        _check_fiscal_year_begun(calendar, entry.fiscal_year, today)
        changes["status"] = [entry.status.value, data.status.value]
        entry.status = data.status
    if amount is not None and amount != entry.amount:
        changes["amount"] = [str(entry.amount), str(amount)]
        entry.amount = amount
    if changes:
        entry.updated_at = func.now()
        entry.updated_by = principal.actor
        await session.flush()
        await session.refresh(entry)
        await enqueue_rollup(session=session, district_id=district_id)
    if note is not None:
        changes["note"] = note
    return entry, changes


async def validate_savings(
    *, session: AsyncSession, district_id: uuid.UUID, principal: Principal, entry_id: uuid.UUID
) -> SavingsEntry:
    """REALIZED -> VALIDATED (FINANCE_VALIDATOR only, checked on the field).

    CONFLICT for an entry that is not REALIZED (validating twice included), a reversal (it
    takes its original's status) or a reversed entry (its pair would no longer net out).
    """
    entry = await _locked_entry(session, district_id, entry_id, "id")
    await _check_not_paired(session, district_id, entry, "is not validated")
    if entry.status is not SavingsStatus.REALIZED:
        raise Conflict("id", f"is {entry.status.value}: only a REALIZED entry can be validated")
    entry.status = SavingsStatus.VALIDATED
    entry.validated_at = func.now()
    entry.validated_by = principal.actor
    await session.flush()
    await session.refresh(entry)
    await enqueue_rollup(session=session, district_id=district_id)
    return entry


async def reverse_savings(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    principal: Principal,
    entry_id: uuid.UUID,
    reason: str,
) -> SavingsEntry:
    """A new entry that nets ``entry_id`` out: the same project, school, adoption, category,
    unit, fiscal year, month and status, the negated amount, ``reverses_id`` set.

    FINANCE_VALIDATOR and DISTRICT_ADMIN reverse any entry; an IMPROVEMENT_LEAD only one not
    yet VALIDATED (FORBIDDEN). CONFLICT for a reversal, or an entry reversed already.
    """
    why = rules.required_text(reason, "reason")
    original = await _locked_entry(session, district_id, entry_id, "id")
    if principal.role is Role.IMPROVEMENT_LEAD and original.status is SavingsStatus.VALIDATED:
        raise Forbidden("an IMPROVEMENT_LEAD reverses only entries not yet validated; ask finance")
    if original.reverses_id is not None:
        raise Conflict("id", "is itself a reversal: a reversal cannot be reversed")
    existing = await _reversal_of(session, district_id, original.id)
    if existing is not None:
        raise Conflict("id", f"was already reversed (by entry {existing})")
    validated = original.status is SavingsStatus.VALIDATED
    reversal = SavingsEntry(
        id=uuid.uuid4(),
        district_id=district_id,
        project_id=original.project_id,
        school_id=original.school_id,
        adoption_id=original.adoption_id,
        category=original.category,
        amount=-original.amount,
        unit=original.unit,
        fiscal_year=original.fiscal_year,
        month=original.month,
        status=original.status,
        reverses_id=original.id,
        reason=why,
        recorded_by=principal.actor,
        validated_at=func.now() if validated else None,
        validated_by=principal.actor if validated else None,
    )
    session.add(reversal)
    await session.flush()
    await session.refresh(reversal)
    await enqueue_rollup(session=session, district_id=district_id)
    return reversal


def audit_details(entry: SavingsEntry) -> dict[str, Any]:
    """What the audit trail keeps of an entry written."""
    details: dict[str, Any] = {
        "projectId": str(entry.project_id),
        "category": entry.category.value,
        "amount": str(entry.amount),
        "unit": entry.unit.value,
        "fiscalYear": entry.fiscal_year,
        "status": entry.status.value,
    }
    for key, value in (
        ("month", entry.month),
        ("schoolId", entry.school_id),
        ("adoptionId", entry.adoption_id),
        ("reversesId", entry.reverses_id),
        ("note", entry.note),
        ("reason", entry.reason),
    ):
        if value is not None:
            details[key] = value if isinstance(value, int | str) else str(value)
    return details


# Helpers -----------------------------------------------------------------------------------


def _check_fiscal_year_begun(
    calendar: DistrictCalendar, fiscal_year: int, today: date | None
) -> None:
    today = today or datetime.now(ZoneInfo(calendar.timezone)).date()
    start, _ = calendar.fiscal_year_bounds(fiscal_year)
    if start > today:
        raise BadInput(
            "status",
            f"fiscal year {fiscal_year} begins on {start.isoformat()}: savings are not "
            "REALIZED before their fiscal year starts (record them PROJECTED)",
        )


async def _locked_entry(
    session: AsyncSession, district_id: uuid.UUID, entry_id: uuid.UUID, field: str
) -> SavingsEntry:
    entry = await session.scalar(
        select(SavingsEntry)
        .where(SavingsEntry.district_id == district_id, SavingsEntry.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if entry is None:
        raise NotFound(field, "no such savings entry")
    return entry


async def _reversal_of(
    session: AsyncSession, district_id: uuid.UUID, entry_id: uuid.UUID
) -> uuid.UUID | None:
    return await session.scalar(
        select(SavingsEntry.id).where(
            SavingsEntry.district_id == district_id, SavingsEntry.reverses_id == entry_id
        )
    )


async def _check_not_paired(
    session: AsyncSession, district_id: uuid.UUID, entry: SavingsEntry, what: str
) -> None:
    """A reversal and the entry it reverses stay as they were, so the pair nets to zero."""
    if entry.reverses_id is not None:
        raise Conflict("id", f"is a reversal and {what}: it keeps its original's status")
    reversal = await _reversal_of(session, district_id, entry.id)
    if reversal is not None:
        raise Conflict("id", f"was reversed (by entry {reversal}) and {what}")


async def _project(
    session: AsyncSession, district_id: uuid.UUID, project_id: uuid.UUID, field: str
) -> Project:
    project = await session.scalar(
        select(Project).where(Project.district_id == district_id, Project.id == project_id)
    )
    if project is None:
        raise NotFound(field, "no such project")
    return project


async def _school(
    session: AsyncSession, district_id: uuid.UUID, school_id: uuid.UUID, field: str
) -> None:
    found = await session.scalar(
        select(School.id).where(School.district_id == district_id, School.id == school_id)
    )
    if found is None:
        raise NotFound(field, "no such school")


async def _adoption_school(
    session: AsyncSession,
    district_id: uuid.UUID,
    adoption_id: uuid.UUID,
    project_id: uuid.UUID,
    school_id: uuid.UUID | None,
) -> uuid.UUID:
    """The school of the saving of an adoption: the adoption's (an entry naming another is
    BAD_INPUT). The practice must come from the entry's project, when it names one, so that
    a saving counts for the same project under byProject and byPractice."""
    row = (
        await session.execute(
            select(Adoption.school_id, Practice.project_id)
            .join(
                Practice,
                (Practice.district_id == Adoption.district_id)
                & (Practice.id == Adoption.practice_id),
            )
            .where(Adoption.district_id == district_id, Adoption.id == adoption_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("adoptionId", "no such practice adoption")
    adoption_school, practice_project = row
    if school_id is not None and school_id != adoption_school:
        raise BadInput("schoolId", "is not the school of the adoption (leave it out)")
    if practice_project is not None and practice_project != project_id:
        raise BadInput("adoptionId", "adopts a practice from another project")
    return adoption_school  # type: ignore[no-any-return]
