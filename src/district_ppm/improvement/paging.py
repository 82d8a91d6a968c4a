"""Keyset pages in any mix of ascending and descending keys (opportunities rank highest first).

``db.pagination.keyset_page`` compares one ascending row tuple and rebuilds cursor values from
the column's Python type, which covers strings and ids but not a descending score or a
timestamp; this does both, and answers a foreign cursor the same way (BAD_INPUT on ``after``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from district_ppm.db.pagination import Page, page_size
from district_ppm.errors import BadInput


@dataclass(frozen=True, slots=True)
class SortKey:
    column: InstrumentedAttribute[Any]
    parse: Callable[[str], Any]  # the inverse of str(), for the cursor
    descending: bool = False

    def ordered(self) -> ColumnElement[Any]:
        return self.column.desc() if self.descending else self.column.asc()

    def beyond(self, value: Any) -> ColumnElement[bool]:
        return self.column < value if self.descending else self.column > value


def aware_datetime(value: str) -> datetime:
    """A cursor's timestamp, in UTC; one without a time zone was not made here (and one that
    leaves Python's range in UTC raises OverflowError, an ArithmeticError: not a cursor)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed.astimezone(UTC)


def finite_decimal(value: str) -> Decimal:
    """A cursor's number; NaN and infinities were not made here."""
    parsed = Decimal(value)
    if not parsed.is_finite():
        raise ValueError(value)
    return parsed


def decode(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if (
            not isinstance(values, list)
            or len(values) != len(keys)
            or not all(isinstance(v, str) and "\x00" not in v for v in values)
        ):
            raise ValueError
        return [key.parse(value) for key, value in zip(keys, values, strict=True)]
    except (ValueError, TypeError, ArithmeticError, binascii.Error):
        raise BadInput("after", "is not a cursor from this list") from None


def after_clause(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the keys' order: (k1 beyond v1) or (k1 = v1 and ...)."""
    alternatives = []
    for index, key in enumerate(keys):
        equal_before = [keys[i].column == values[i] for i in range(index)]
        alternatives.append(and_(*equal_before, key.beyond(values[index])))
    return or_(*alternatives)


async def sorted_page(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    keys: Sequence[SortKey],
    first: int | None,
    after: str | None,
) -> Page[Any]:
    """One page of ``stmt`` (which selects one entity) in the order of ``keys`` (a unique key)."""
    size = page_size(first)
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    paged = stmt.order_by(*(key.ordered() for key in keys)).limit(size + 1)
    if after:
        paged = paged.where(after_clause(keys, decode(after, keys)))
    rows = list((await session.scalars(paged)).all())
    items: list[tuple[Sequence[Any], Any]] = [
        ([getattr(row, key.column.key) for key in keys], row) for row in rows[:size]
    ]
    return Page(items=items, has_next_page=len(rows) > size, total_count=total or 0)
