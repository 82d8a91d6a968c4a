"""Reading the ledger: one entry, a page of entries, a project's entries, who reversed what."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page, keyset_page
from district_ppm.savings.models import SavingsEntry, SavingsStatus


async def get_entry(
    *, session: AsyncSession, district_id: uuid.UUID, entry_id: uuid.UUID
) -> SavingsEntry | None:
    return await session.scalar(
        select(SavingsEntry).where(
            SavingsEntry.district_id == district_id, SavingsEntry.id == entry_id
        )
    )


async def list_entries(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    fiscal_year: int | None = None,
    project_id: uuid.UUID | None = None,
    status: SavingsStatus | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[SavingsEntry]:
    """Entries by fiscal year, then id, one keyset page at a time; filters are optional."""
    stmt = select(SavingsEntry).where(SavingsEntry.district_id == district_id)
    if fiscal_year is not None:
        stmt = stmt.where(SavingsEntry.fiscal_year == fiscal_year)
    if project_id is not None:
        stmt = stmt.where(SavingsEntry.project_id == project_id)
    if status is not None:
        stmt = stmt.where(SavingsEntry.status == status)
    return await keyset_page(
        session,
        stmt,
        order_by=[SavingsEntry.fiscal_year, SavingsEntry.id],
        first=first,
        after=after,
    )


async def entries_of_projects(
    *, session: AsyncSession, district_id: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SavingsEntry]]:
    """Each project's entries, by fiscal year then when recorded (``Project.savings``)."""
    found: dict[uuid.UUID, list[SavingsEntry]] = {key: [] for key in project_ids}
    rows = await session.scalars(
        select(SavingsEntry)
        .where(
            SavingsEntry.district_id == district_id,
            SavingsEntry.project_id.in_(list(project_ids)),
        )
        .order_by(SavingsEntry.fiscal_year, SavingsEntry.created_at, SavingsEntry.id)
    )
    for row in rows:
        found[row.project_id].append(row)
    return found


async def reversal_ids(
    *, session: AsyncSession, district_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Entry id -> the id of the entry that reversed it, for the reversed ones."""
    rows = await session.execute(
        select(SavingsEntry.reverses_id, SavingsEntry.id).where(
            SavingsEntry.district_id == district_id,
            SavingsEntry.reverses_id.in_(list(entry_ids)),
        )
    )
    return {original: reversal for original, reversal in rows if original is not None}
