"""An array's PostgreSQL text ('{2024-01-01,2024-02-01}'), for statements that send rows of
arrays of uneven lengths through ``unnest`` (which cannot take a two-dimensional array of
them): each row's array travels as one text element, cast back in the statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date


def array_text(values: Sequence[object]) -> str:
    """``values`` (dates, booleans, numbers) as the text of a PostgreSQL array."""
    return "{" + ",".join(_element(value) for value in values) + "}"


def _element(value: object) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date):
        return value.isoformat()
    # An int as written; a float as its shortest text, which PostgreSQL reads back as the
    # same double.
    return repr(value)
