"""The savings roll-ups: recomputed whole by the worker, served as stored.

Every figure nets reversals (a reversal is an entry with the negated amount), as DOMAIN.md
"Savings" says. The recompute brings the district's rows to the ledger's figures inside the
caller's transaction, writing only the rows whose figures changed (and deleting those no
longer produced): a crash or a failure leaves the previous figures and ``computed_at`` as they
were, and a duplicate or redelivered message leaves the same rows.

``computed_at`` moves with every run that follows a ledger write, so that it passes the write
as the API promises; the nightly run (``stamp=False``) moves it only when a figure changed.

Per fiscal year:
- ``savings_category_rollups``: the net amount by category x status x unit (``rows``);
- ``savings_rollups``: for each project, process (the project's), school, practice (the
  adoption's) and adoption, ``hard_validated`` (HARD, VALIDATED, USD), ``total_usd`` (USD,
  REALIZED or VALIDATED), ``validated_usd``, ``total_hours`` and ``validated_hours``. Entries
  without a school, an adoption or a project process are in no row of those groupings.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import Text, any_, bindparam, column, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.plain_rows import fetch_plain, fetch_tuples
from district_ppm.db.sync_rows import sync_rows_sql
from district_ppm.savings.models import (
    SavingsCategory,
    SavingsCategoryRollup,
    SavingsRollup,
    SavingsRollupState,
    SavingsStatus,
    SavingsUnit,
)

GROUPINGS = ("PROJECT", "PROCESS", "SCHOOL", "PRACTICE", "ADOPTION")

_CATEGORY_ROWS_SQL = sync_rows_sql(
    table="savings_category_rollups",
    fresh="""
    SELECT district_id, fiscal_year, category, status, unit, sum(amount) AS amount,
           count(*)::int AS entries
    FROM savings_entries
    WHERE district_id = :district_id
    GROUP BY district_id, fiscal_year, category, status, unit""",
    key=["fiscal_year", "category", "status", "unit"],
    figures=["amount", "entries"],
)

_REALIZED = "status IN ('REALIZED', 'VALIDATED')"
_GROUP_ROWS_SQL = sync_rows_sql(
    table="savings_rollups",
    fresh=f"""
    SELECT CAST(:district_id AS uuid) AS district_id, e.fiscal_year, g.grouping, g.group_key,
       coalesce(sum(e.amount) FILTER (
           WHERE e.category = 'HARD' AND e.status = 'VALIDATED' AND e.unit = 'USD'), 0),
       coalesce(sum(e.amount) FILTER (WHERE e.unit = 'USD' AND e.{_REALIZED}), 0),
       coalesce(sum(e.amount) FILTER (WHERE e.unit = 'USD' AND e.status = 'VALIDATED'), 0),
       coalesce(sum(e.amount) FILTER (WHERE e.unit = 'HOURS' AND e.{_REALIZED}), 0),
       coalesce(sum(e.amount) FILTER (WHERE e.unit = 'HOURS' AND e.status = 'VALIDATED'), 0),
       count(*)::int
    FROM (
        SELECT s.fiscal_year, s.category, s.status, s.unit, s.amount, s.project_id,
               p.process_id, s.school_id, a.practice_id, s.adoption_id
        FROM savings_entries s
        JOIN projects p ON p.district_id = s.district_id AND p.id = s.project_id
        LEFT JOIN adoptions a ON a.district_id = s.district_id AND a.id = s.adoption_id
        WHERE s.district_id = :district_id
    ) e
    CROSS JOIN LATERAL (VALUES
        ('PROJECT', e.project_id), ('PROCESS', e.process_id), ('SCHOOL', e.school_id),
        ('PRACTICE', e.practice_id), ('ADOPTION', e.adoption_id)
    ) AS g(grouping, group_key)
    WHERE g.group_key IS NOT NULL
    GROUP BY e.fiscal_year, g.grouping, g.group_key""",  # noqa: S608 - fixed fragments
    key=["fiscal_year", "grouping", "group_key"],
    figures=[
        "hard_validated",
        "total_usd",
        "validated_usd",
        "total_hours",
        "validated_hours",
        "entries",
    ],
)

# Whether there is anything to compute or to clear: an empty ledger with no stored rows (most
# districts, most nights) costs one statement and writes nothing.
_ANYTHING_SQL = """
SELECT EXISTS (SELECT 1 FROM savings_entries WHERE district_id = :district_id)
    OR EXISTS (SELECT 1 FROM savings_category_rollups WHERE district_id = :district_id)
    OR EXISTS (SELECT 1 FROM savings_rollups WHERE district_id = :district_id),
    EXISTS (SELECT 1 FROM savings_rollup_state WHERE district_id = :district_id)
"""

_MARK_COMPUTED_SQL = """
INSERT INTO savings_rollup_state (district_id, computed_at, entries)
SELECT :district_id, clock_timestamp(), count(*)
FROM savings_entries WHERE district_id = :district_id
ON CONFLICT (district_id) DO UPDATE
SET computed_at = excluded.computed_at, entries = excluded.entries
"""


async def recompute_savings_rollups(
    *, session: AsyncSession, district_id: uuid.UUID, stamp: bool = True
) -> int:
    """Bring the district's savings roll-ups to the figures of its whole ledger; returns how
    many rows changed.

    The caller holds the district's lock for this job and commits; ``computed_at`` is the
    clock when the figures were written, so it lies after every write they include. With
    ``stamp`` False (the nightly run) it moves only when a figure changed, or on a first run.
    """
    params = {"district_id": district_id}
    anything, computed_before = (await session.execute(text(_ANYTHING_SQL), params)).one()
    changed = 0
    if anything:
        for sql in (_CATEGORY_ROWS_SQL, _GROUP_ROWS_SQL):
            changed += (await session.execute(text(sql), params)).scalar_one()
    if stamp or changed or not computed_before:
        await mark_computed(session, district_id)
    return changed


async def mark_computed(session: AsyncSession, district_id: uuid.UUID) -> None:
    await session.execute(text(_MARK_COMPUTED_SQL), {"district_id": district_id})


@dataclass(frozen=True, slots=True)
class CategoryAmount:
    category: SavingsCategory
    status: SavingsStatus
    unit: SavingsUnit
    amount: Decimal


class GroupTotals(Protocol):
    """One group's figures: a Core row of ``savings_rollups`` (a large district's summary has
    hundreds of them, mapped straight to the API's types)."""

    @property
    def key(self) -> uuid.UUID: ...
    @property
    def hard_validated(self) -> Decimal: ...
    @property
    def total_usd(self) -> Decimal: ...
    @property
    def validated_usd(self) -> Decimal: ...
    @property
    def total_hours(self) -> Decimal: ...
    @property
    def validated_hours(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class SavingsSummary:
    fiscal_year: int
    computed_at: datetime | None
    rows: list[CategoryAmount]
    groups: dict[str, list[GroupTotals]]  # grouping -> its rows


_ORDER: dict[str, int] = {
    **{member: index for index, member in enumerate(SavingsCategory)},
    **{member: index for index, member in enumerate(SavingsStatus)},
    **{member: index for index, member in enumerate(SavingsUnit)},
}


# The summary's reads: plain rows (a large district's summary has a few hundred), each
# statement built once with bound parameters and fetched by the driver (db.plain_rows).
_CATEGORY_AMOUNTS = select(
    SavingsCategoryRollup.category,
    SavingsCategoryRollup.status,
    SavingsCategoryRollup.unit,
    SavingsCategoryRollup.amount,
).where(
    SavingsCategoryRollup.district_id == bindparam("district_id"),
    SavingsCategoryRollup.fiscal_year == bindparam("fiscal_year"),
)
_GROUP_TOTALS = (
    select(
        SavingsRollup.grouping,
        SavingsRollup.group_key.label("key"),
        SavingsRollup.hard_validated,
        SavingsRollup.total_usd,
        SavingsRollup.validated_usd,
        SavingsRollup.total_hours,
        SavingsRollup.validated_hours,
    )
    .where(
        SavingsRollup.district_id == bindparam("district_id"),
        SavingsRollup.fiscal_year == bindparam("fiscal_year"),
        SavingsRollup.grouping == any_(bindparam("groupings", type_=ARRAY(Text))),
    )
    .order_by(
        SavingsRollup.grouping,
        SavingsRollup.total_usd.desc(),
        SavingsRollup.total_hours.desc(),
        SavingsRollup.group_key,
    )
)
_COMPUTED_AT = select(SavingsRollupState.computed_at).where(
    SavingsRollupState.district_id == bindparam("district_id")
)


async def savings_summary(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    fiscal_year: int,
    groupings: Collection[str] = GROUPINGS,
) -> SavingsSummary:
    """The stored figures of ``fiscal_year``; ``computed_at`` is null before the first run.

    ``rows`` come in the order of the enums (category, then status, then unit); each
    grouping's rows by ``total_usd``, then ``total_hours``, largest first, then by id. Only
    the ``groupings`` asked for are read (the others come back empty).
    """
    of_year = {"district_id": district_id, "fiscal_year": fiscal_year}
    category_rows = await fetch_tuples(session, _CATEGORY_AMOUNTS, of_year)
    rows = sorted(
        (
            CategoryAmount(
                category=SavingsCategory(category),
                status=SavingsStatus(status),
                unit=SavingsUnit(unit),
                amount=amount,
            )
            for category, status, unit, amount in category_rows
        ),
        key=lambda r: (_ORDER[r.category], _ORDER[r.status], _ORDER[r.unit]),
    )
    groups: dict[str, list[GroupTotals]] = {grouping: [] for grouping in GROUPINGS}
    if groupings:
        for row in await fetch_plain(
            session, _GROUP_TOTALS, {**of_year, "groupings": list(groupings)}
        ):
            groups[row.grouping].append(row)
    computed = await fetch_tuples(session, _COMPUTED_AT, {"district_id": district_id})
    computed_at = computed[0][0] if computed else None
    return SavingsSummary(
        fiscal_year=fiscal_year,
        computed_at=computed_at,
        rows=rows,
        groups=groups,
    )


async def adoption_savings_usd(
    *, session: AsyncSession, district_id: uuid.UUID, adoption_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Each adoption's ``savingsUsd`` (DOMAIN.md "Practices and adoptions"): its USD entries
    that are REALIZED or VALIDATED, reversals included, over every fiscal year, as last
    computed by the worker (0.00 for an adoption without any)."""
    found: dict[uuid.UUID, Decimal] = dict(
        await fetch_tuples(
            session, _ADOPTION_SAVINGS, {"district_id": district_id, "ids": adoption_ids}
        )
    )
    return {key: found.get(key, Decimal("0.00")) for key in adoption_ids}


# Built once, fetched by the driver (db.plain_rows).
_ADOPTION_SAVINGS = text(
    "SELECT group_key, sum(total_usd) AS total_usd FROM savings_rollups "
    "WHERE district_id = :district_id AND grouping = 'ADOPTION' "
    "AND group_key = ANY(CAST(:ids AS uuid[])) GROUP BY group_key"
).columns(column("group_key"), column("total_usd"))
