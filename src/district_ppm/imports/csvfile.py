"""What every import kind reports: errors by line and column, all of them or none written.

Line numbers count the header as line 1. Errors are collected, not raised one by one, so a
user fixes a whole file in one round trip; the first ``MAX_REPORTED_ERRORS`` are answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from district_ppm.errors import BadInput

MAX_REPORTED_ERRORS = 100
# A cell echoed in a message is cut to this many characters: a 20 MB cell must not come back
# as a 20 MB answer, and 40 characters are enough to find it in the file.
SHOWN_CHARS = 40
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


class ImportRejected(BadInput):
    """The file is refused whole, for the bad lines and cells listed; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(None, f"{len(errors)} problem(s) in the file")
        self.errors = errors


def shown(value: str) -> str:
    """``value`` as an error message may echo it: at most ``SHOWN_CHARS`` characters."""
    return value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + ELLIPSIS


def shown_sql(expression: str) -> str:
    """SQL for :func:`shown` of a text ``expression`` (a column or a trimmed cell)."""
    return (
        f"(CASE WHEN length({expression}) > {SHOWN_CHARS} "
        f"THEN left({expression}, {SHOWN_CHARS}) || '{ELLIPSIS}' ELSE {expression} END)"
    )


def first_errors(*groups: Iterable[RowError]) -> list[RowError]:
    """Every group's errors in line order (then column), the first ``MAX_REPORTED_ERRORS``.

    Each group holds its own first errors in line order, so the merge is the file's first."""
    merged = sorted(
        (error for group in groups for error in group), key=lambda e: (e.line, e.column or "")
    )
    return merged[:MAX_REPORTED_ERRORS]


def reject_if_any(*groups: Iterable[RowError]) -> None:
    errors = first_errors(*groups)
    if errors:
        raise ImportRejected(errors)


def no_rows() -> ImportRejected:
    """A header and nothing else: most often an export that went wrong, so it is refused."""
    return ImportRejected([RowError(2, None, "the file has a header row but no rows after it")])
