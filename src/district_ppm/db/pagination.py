"""Keyset pagination for Relay connections: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from operator import attrgetter
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from district_ppm.db.plain_rows import check_columns, column_names, execute_plain, fetch_tuples
from district_ppm.errors import BadInput

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class PageItem(NamedTuple):
    """An item of a keyset page: its unique key's values and the row. Shaped as GraphQL's
    Edge (``api.types``), which reads ``node`` and its cursor's ``cursor_key`` by name."""

    cursor_key: Sequence[Any]
    node: Any


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    # (the item's values of the page's unique key, item): encoded into a cursor only when
    # asked for (encode_cursor), since a dashboard listing 200 rows rarely asks.
    items: list[tuple[Sequence[Any], T]]
    has_next_page: bool
    total_count: int

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.items[-1][0]) if self.items else None


def encode_cursor(values: Sequence[Any]) -> str:
    texts = [str(v) for v in values]
    if all(_needs_no_escape(text) for text in texts):
        # The JSON that json.dumps writes for these strings, without its encoder (a page
        # of 200 rows made 200 cursors).
        raw = ('["' + '","'.join(texts) + '"]').encode()
    else:
        raw = json.dumps(texts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _needs_no_escape(text: str) -> bool:
    """True when json.dumps writes ``text`` as it is between its quotes: printable ASCII
    (it escapes the rest, ensure_ascii being on) with no quote or backslash."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def decode_cursor(cursor: str, columns: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        # encode_cursor writes strings only; anything else (or a NUL, which PostgreSQL
        # refuses in text) was not made here.
        if (
            not isinstance(values, list)
            or len(values) != len(columns)
            or not all(isinstance(v, str) and "\x00" not in v for v in values)
        ):
            raise ValueError
        return [_parse(col.type.python_type, v) for col, v in zip(columns, values, strict=True)]
    except (ValueError, TypeError, ArithmeticError, binascii.Error):
        raise BadInput("after", "is not a cursor from this list") from None


def _parse(python_type: type, text: str) -> Any:
    """A cursor value back to its column's type (``str()`` wrote it)."""
    if python_type is datetime:
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            raise ValueError("a timestamp cursor carries its offset")
        return value
    if python_type is date:
        return date.fromisoformat(text)
    if python_type in (float, Decimal):
        number = python_type(text)
        if not number.is_finite() if isinstance(number, Decimal) else not math.isfinite(number):
            raise ValueError("not a finite number")
        return number
    return python_type(text)


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadInput("first", f"must be between 0 and {MAX_PAGE_SIZE}")
    return first


async def keyset_page(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    *,
    order_by: Sequence[InstrumentedAttribute[Any]],
    first: int | None,
    after: str | None,
    row_type: type[tuple[Any, ...]] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Page[Any]:
    """One page of ``stmt`` ordered by the unique key ``order_by``, and the total count.

    ``stmt`` selects one entity (items are ORM objects) or columns (items are rows, which
    must include the ``order_by`` columns under their own names; copied into ``row_type``,
    a NamedTuple of the same columns, when given: see ``db.plain_rows``). The count rides along
    as a scalar subquery of the page's statement: one round trip, unless the page is empty.
    With ``parameters``, ``stmt`` is a constant with those bound parameters, and its page
    statements are built once (building and walking them per request cost as much as
    running them).
    """
    size = page_size(first)
    if parameters is None:
        count, paged = _paged(stmt, order_by, after=bool(after))
        values: dict[str, Any] = {}
    else:
        count, paged = _prebuilt_paged(stmt, tuple(order_by), bool(after))
        values = dict(parameters)
    values[_LIMIT] = size + 1
    if after:
        for index, value in enumerate(decode_cursor(after, order_by)):
            values[f"{_AFTER}{index}"] = value
    if row_type is None:
        result: Sequence[Any] = (await session.execute(paged, values)).all()
    elif parameters is None:  # plain rows, as Core (db.plain_rows)
        result = (await execute_plain(session, paged, values)).all()
    else:  # a constant statement: fetched by the driver (db.plain_rows)
        result = await fetch_tuples(session, paged, values)
    if result:
        total = result[0][-1]
    else:
        total = await session.scalar(count, values)
    one_entity = len(stmt.column_descriptions) == 1 and isinstance(
        stmt.column_descriptions[0]["expr"], type
    )
    rows: Sequence[Any] = [row[0] for row in result] if one_entity else result
    if row_type is not None and result:
        check_columns(row_type, column_names(paged)[:-1])  # all but the count
        make = partial(tuple.__new__, row_type)
        rows = [make(row[:-1]) for row in result]
    key_of = attrgetter(*(col.key for col in order_by))
    one_column = len(order_by) == 1
    new = tuple.__new__
    items: list[tuple[Sequence[Any], Any]] = [
        new(PageItem, ((key_of(row),) if one_column else key_of(row), row)) for row in rows[:size]
    ]
    return Page(items=items, has_next_page=len(rows) > size, total_count=total or 0)


_LIMIT = "_page_limit"
_AFTER = "_page_after_"
_PREBUILT: dict[tuple[int, ...], tuple[Any, ...]] = {}


def _paged(
    stmt: Select[*tuple[Any, ...]],
    order_by: Sequence[InstrumentedAttribute[Any]],
    *,
    after: bool,
) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    """The count of ``stmt``, and a page of it with its count, by ``order_by``, limited by
    the bound ``_page_limit`` and, ``after`` a cursor, past the bound key values."""
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    paged = stmt.add_columns(count.scalar_subquery().label("_total_count"))
    paged = paged.order_by(*order_by).limit(bindparam(_LIMIT))
    if after:
        past = [bindparam(f"{_AFTER}{i}", type_=col.type) for i, col in enumerate(order_by)]
        paged = paged.where(tuple_(*order_by) > tuple_(*past))
    return count, paged


def _prebuilt_paged(
    stmt: Select[*tuple[Any, ...]],
    order_by: tuple[InstrumentedAttribute[Any], ...],
    after: bool,
) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    """``_paged`` of a constant statement, built once per (statement, order, after)."""
    key = (id(stmt), *map(id, order_by), after)
    found = _PREBUILT.get(key)
    if found is None:
        # The statement and the columns are kept beside their pages, so no id is reused.
        found = _PREBUILT[key] = (stmt, order_by, *_paged(stmt, order_by, after=after))
    return found[2], found[3]
