"""Assessment of the management system: each element rated 1-5 with the action chosen.

Ratings are kept, never changed: the latest of an element (by its date, then by when it was
recorded) is the current assessment (``managementAssessment``), the earlier ones its history,
so a district sees its maturity over time. DISTRICT_ADMIN rates (api/permissions.py); every
role reads.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page
from district_ppm.errors import BadInput
from district_ppm.governance.models_people import (
    AssessmentAction,
    ManagementElement,
    ManagementRating,
)
from district_ppm.improvement.paging import SortKey, aware_datetime, sorted_page
from district_ppm.sustainability.service import FIRST_YEAR
from district_ppm.tenancy.calendar import district_today

MIN_RATING, MAX_RATING = 1, 5
MAX_NOTES = 4000
ELEMENT_ORDER = list(ManagementElement)


async def rate_element(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    element: ManagementElement,
    rating: int,
    action: AssessmentAction,
    notes: str | None,
    rated_on: date | None,
    rated_by: str,
) -> ManagementRating:
    """Record a rating of ``element``; it becomes the element's current one unless a rating
    with a later date exists.

    ``rated_on`` (the district's today when None) may be earlier, to record past assessments,
    never later than today. BAD_INPUT naming ``rating`` outside 1-5, ``notes`` over
    4000 characters, ``ratedOn`` in the future or before 2000.
    """
    if not MIN_RATING <= rating <= MAX_RATING:
        raise BadInput("rating", f"must be from {MIN_RATING} to {MAX_RATING}, not {rating}")
    notes = notes.strip() if notes else None
    if notes and len(notes) > MAX_NOTES:
        raise BadInput("notes", f"must be at most {MAX_NOTES} characters")
    today = await district_today(session=session, district_id=district_id)
    if rated_on is not None and not (date(FIRST_YEAR, 1, 1) <= rated_on <= today):
        raise BadInput(
            "ratedOn", f"must be between {FIRST_YEAR}-01-01 and today ({today.isoformat()})"
        )
    row = ManagementRating(
        id=uuid.uuid4(),
        district_id=district_id,
        element=element,
        rating=rating,
        action=action,
        notes=notes or None,
        rated_on=rated_on or today,
        rated_by=rated_by,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row, ["created_at"])
    return row


async def current_assessment(
    *, session: AsyncSession, district_id: uuid.UUID
) -> list[ManagementRating]:
    """The latest rating of each element rated so far, in the contract's element order.
    One statement."""
    rows = await session.scalars(
        select(ManagementRating)
        .where(ManagementRating.district_id == district_id)
        .order_by(
            ManagementRating.element,
            ManagementRating.rated_on.desc(),
            ManagementRating.created_at.desc(),
            ManagementRating.id.desc(),
        )
        .ext(distinct_on(ManagementRating.element))
    )
    return sorted(rows, key=lambda r: ELEMENT_ORDER.index(r.element))


async def rating_history(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    element: ManagementElement | None,
    first: int | None,
    after: str | None,
) -> Page[ManagementRating]:
    """Every rating, of one element or all, oldest first (by date, then when recorded), a
    keyset page at a time. Two statements (the count and the page)."""
    stmt = select(ManagementRating).where(ManagementRating.district_id == district_id)
    if element is not None:
        stmt = stmt.where(ManagementRating.element == element)
    return await sorted_page(
        session,
        stmt,
        keys=[
            SortKey(ManagementRating.rated_on, date.fromisoformat),
            SortKey(ManagementRating.created_at, aware_datetime),
            SortKey(ManagementRating.id, uuid.UUID),
        ],
        first=first,
        after=after,
    )
