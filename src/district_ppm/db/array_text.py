"""An array's PostgreSQL text ('{2024-01-01,2024-02-01}'), cast back in the statement: for
statements that send rows of arrays of uneven lengths through ``unnest`` (which cannot take a
two-dimensional array of them), each row's array one text element; and for long lists of ids
or dates, which asyncpg encodes slowly (below)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
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


# Long id and date lists as one text parameter each (cast in the statement): asyncpg encodes
# a uuid[] or date[] parameter asking of every element whether it is itself an array (three
# abstract-class checks), about 2,700 instructions per element; the verdicts of a date sent
# 2,500 of them (6.6M instructions, a tenth of the computation). Its text costs a twentieth.


def uuid_array_text(ids: Iterable[uuid.UUID | None]) -> str:
    """``ids`` (None as NULL) as the text of a PostgreSQL uuid[]."""
    return "{" + ",".join(["NULL" if each is None else str(each) for each in ids]) + "}"


def date_array_text(days: Iterable[date]) -> str:
    """``days`` as the text of a PostgreSQL date[] (each distinct day formatted once: lists
    of windows repeat a few dates)."""
    listed = list(days)
    text = {day: day.isoformat() for day in set(listed)}
    return "{" + ",".join(map(text.__getitem__, listed)) + "}"
