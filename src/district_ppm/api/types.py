"""Shared GraphQL types: Relay connections and ID parsing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from district_ppm.api.plain_completion import PLAIN_READ
from district_ppm.db.pagination import Page, encode_cursor
from district_ppm.errors import BadInput

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def _cursor(edge: Edge[Any]) -> str:
    return encode_cursor(edge.cursor_key)


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor_key: strawberry.Private[Sequence[Any]]  # encoded only when the cursor is asked for

    @strawberry.field(metadata={PLAIN_READ: _cursor})
    def cursor(self) -> str:
        return _cursor(self)


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def to_connection(page: Page[Any], node: Callable[[Any], T] | None = None) -> Connection[T]:
    """The page as a connection of ``node(item)``; without ``node``, the page's items
    (``db.pagination.PageItem``, from ``keyset_page``) are the edges, read by name, their
    rows the nodes: no Edge object per row."""
    if node is None:
        edges: Any = page.items
    else:
        edges = [Edge(node=node(item), cursor_key=key) for key, item in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        total_count=page.total_count,
    )


def parse_id(value: str | None, field: str) -> uuid.UUID:
    """A contract ID (a UUID string) or BAD_INPUT naming ``field``."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadInput(field, "is not a valid ID") from None


def parse_optional_id(value: str | None, field: str) -> uuid.UUID | None:
    return None if value is None else parse_id(value, field)


@strawberry.type(description="How many rows a batch write or import wrote.")
class WritePayload:
    written: int
