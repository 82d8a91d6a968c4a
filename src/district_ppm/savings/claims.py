"""Claims checked against the district's own data: instructional time recovered by a
transportation project, beside what the bus runs say was recovered.

Which claims: INSTRUCTIONAL_TIME entries (always HOURS) that are not reversals, of a
*transportation project*: one whose primary measure is a transportation KPI (code ``TRN-``),
or, when it has no primary measure, one covering a school served by a bus route (or, with no
schools named, a district that runs buses). A project measured on something else (reading
scores, attendance) is not held to bus data even if its schools have buses: it recovers
instructional time by other means.

Where: the entry's school; else the project's schools; else the whole district.

When: the claimed school year is the one named like the entry's fiscal year (the school year
it overlaps most, whatever the fiscal-year start month); the baseline school year is the
project's ``baseline_school_year``, or, when the project has none, the school year before.

The figure: ``computed_hours`` = student instructional hours lost in the baseline year minus
those lost in the claimed year, each exactly as ``instructionalTimeLost`` shows it (minutes
summed over the schools, then hours to two decimals), from the stored roll-ups of the
transportation worker. It is negative when more time was lost. A claim is flagged
(``exceeds_computed``) when its hours are more than ``computed_hours``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.improvement.models import Project, ProjectSchool
from district_ppm.measures.models import Measure
from district_ppm.savings.models import SavingsCategory, SavingsEntry, SavingsUnit
from district_ppm.transportation.minutes import hours_from_minutes
from district_ppm.transportation.models import BusRoute, TimeLossRollup, TimeLossState

TRANSPORTATION_KPI_PREFIX = "TRN-"


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    entry_id: uuid.UUID
    claimed_hours: Decimal
    computed_hours: Decimal  # baseline year's hours lost minus the claimed year's
    exceeds_computed: bool
    baseline_school_year: int
    claimed_school_year: int
    baseline_hours_lost: Decimal
    claimed_year_hours_lost: Decimal
    school_ids: list[uuid.UUID]  # empty: the whole district
    time_loss_computed_at: datetime | None  # null: the bus runs were never computed


@dataclass(frozen=True, slots=True)
class _ProjectFacts:
    transportation: bool
    baseline_school_year: int | None
    school_ids: list[uuid.UUID]


def is_checked_kind(entry: SavingsEntry) -> bool:
    return (
        entry.category is SavingsCategory.INSTRUCTIONAL_TIME
        and entry.unit is SavingsUnit.HOURS
        and entry.reverses_id is None
    )


async def claim_checks(
    *, session: AsyncSession, district_id: uuid.UUID, entries: Sequence[SavingsEntry]
) -> dict[uuid.UUID, ClaimCheck]:
    """The check of each entry that has one (see the module docstring), by entry id."""
    candidates = [entry for entry in entries if is_checked_kind(entry)]
    if not candidates:
        return {}
    facts = await _project_facts(session, district_id, {e.project_id for e in candidates})
    checked: list[tuple[SavingsEntry, _ProjectFacts, int, int, list[uuid.UUID]]] = []
    for entry in candidates:
        project = facts[entry.project_id]
        if not project.transportation:
            continue
        claimed_year = entry.fiscal_year
        baseline_year = project.baseline_school_year or claimed_year - 1
        schools = [entry.school_id] if entry.school_id is not None else project.school_ids
        checked.append((entry, project, baseline_year, claimed_year, schools))
    if not checked:
        return {}
    years = {year for _, _, base, claim, _ in checked for year in (base, claim)}
    minutes = await _student_minutes_lost(session, district_id, years)
    state = await session.get(TimeLossState, district_id)
    computed_at = state.computed_at if state else None
    result: dict[uuid.UUID, ClaimCheck] = {}
    for entry, _, baseline_year, claimed_year, schools in checked:
        keys = [str(school) for school in schools] or [""]  # "": the district's row
        baseline = hours_from_minutes(sum(minutes[baseline_year].get(k, 0) for k in keys))
        claimed_year_lost = hours_from_minutes(sum(minutes[claimed_year].get(k, 0) for k in keys))
        computed = baseline - claimed_year_lost
        result[entry.id] = ClaimCheck(
            entry_id=entry.id,
            claimed_hours=entry.amount,
            computed_hours=computed,
            exceeds_computed=entry.amount > computed,
            baseline_school_year=baseline_year,
            claimed_school_year=claimed_year,
            baseline_hours_lost=baseline,
            claimed_year_hours_lost=claimed_year_lost,
            school_ids=sorted(schools),
            time_loss_computed_at=computed_at,
        )
    return result


async def claims_of_fiscal_year(
    *, session: AsyncSession, district_id: uuid.UUID, fiscal_year: int
) -> list[tuple[SavingsEntry, ClaimCheck]]:
    """The checked claims of ``fiscal_year`` that still count (not reversed), flagged ones
    first, then in the order they were recorded: what finance reads before validating."""
    entries = list(
        await session.scalars(
            select(SavingsEntry)
            .where(
                SavingsEntry.district_id == district_id,
                SavingsEntry.fiscal_year == fiscal_year,
                SavingsEntry.category == SavingsCategory.INSTRUCTIONAL_TIME,
                SavingsEntry.reverses_id.is_(None),
            )
            .order_by(SavingsEntry.created_at, SavingsEntry.id)
        )
    )
    # A reversal has its original's fiscal year.
    reversed_ids = set(
        await session.scalars(
            select(SavingsEntry.reverses_id).where(
                SavingsEntry.district_id == district_id,
                SavingsEntry.fiscal_year == fiscal_year,
                SavingsEntry.reverses_id.is_not(None),
            )
        )
    )
    entries = [entry for entry in entries if entry.id not in reversed_ids]
    checks = await claim_checks(session=session, district_id=district_id, entries=entries)
    found = [(entry, checks[entry.id]) for entry in entries if entry.id in checks]
    return sorted(found, key=lambda pair: not pair[1].exceeds_computed)


async def _project_facts(
    session: AsyncSession, district_id: uuid.UUID, project_ids: set[uuid.UUID]
) -> dict[uuid.UUID, _ProjectFacts]:
    rows = (
        await session.execute(
            select(Project.id, Project.baseline_school_year, Measure.code)
            .outerjoin(
                Measure,
                (Measure.district_id == Project.district_id)
                & (Measure.id == Project.primary_measure_id),
            )
            .where(Project.district_id == district_id, Project.id.in_(project_ids))
        )
    ).all()
    schools: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for project_id, school_id in await session.execute(
        select(ProjectSchool.project_id, ProjectSchool.school_id).where(
            ProjectSchool.district_id == district_id, ProjectSchool.project_id.in_(project_ids)
        )
    ):
        schools[project_id].append(school_id)
    bussed = set(
        await session.scalars(
            select(BusRoute.school_id).where(BusRoute.district_id == district_id).distinct()
        )
    )
    facts: dict[uuid.UUID, _ProjectFacts] = {}
    for project_id, baseline_year, measure_code in rows:
        covered = schools[project_id]
        if measure_code is not None:
            transportation = measure_code.upper().startswith(TRANSPORTATION_KPI_PREFIX)
        else:
            transportation = bool(bussed & set(covered)) if covered else bool(bussed)
        facts[project_id] = _ProjectFacts(
            transportation=transportation,
            baseline_school_year=baseline_year,
            school_ids=sorted(covered),
        )
    return facts


async def _student_minutes_lost(
    session: AsyncSession, district_id: uuid.UUID, years: set[int]
) -> dict[int, dict[str, int]]:
    """School year -> school id (or "" for the district) -> student minutes lost."""
    found: dict[int, dict[str, int]] = {year: {} for year in years}
    rows = await session.execute(
        select(
            TimeLossRollup.school_year,
            TimeLossRollup.group_key,
            TimeLossRollup.student_instructional_minutes_lost,
        ).where(
            TimeLossRollup.district_id == district_id,
            TimeLossRollup.school_year.in_(years),
            TimeLossRollup.grouping.in_(["SCHOOL", "DISTRICT"]),
        )
    )
    for year, key, minutes in rows:
        found[year][key] = minutes
    return found
