"""CSV parsing shared by every import kind.

UTF-8 with an optional byte-order mark; a header row naming the columns in any order; unknown
columns refused. Line numbers count the header as line 1. Errors are collected, not raised one
by one, so a user fixes a whole file in one round trip.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

MAX_REPORTED_ERRORS = 100


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


class ImportRejected(Exception):
    """The file is refused whole; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = True
    # A required column may still allow an empty cell (e.g. `school` for district measures).
    allow_empty: bool = False


class ErrorLog:
    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def add(self, line: int, column: str | None, message: str) -> None:
        self.errors.append(RowError(line, column, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ImportRejected(self.errors)


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRejected(
            [RowError(1, None, f"the file is not UTF-8 text ({error.reason})")]
        ) from None


def parse_rows(
    text: str, columns: Sequence[Column], errors: ErrorLog
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line, values)`` for each row whose cells all parse; log every bad cell."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ImportRejected([RowError(1, None, "the file is empty: a header row is required")])
    header = [name.strip() for name in header]
    known = {column.name: column for column in columns}
    header_errors = [
        RowError(1, name, "unknown column") for name in header if name not in known
    ] + [
        RowError(1, column.name, "required column is missing")
        for column in columns
        if column.required and column.name not in header
    ]
    if len(set(header)) != len(header):
        header_errors.append(RowError(1, None, "a column is named twice"))
    if header_errors:
        raise ImportRejected(header_errors)
    width = len(header)
    for line, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue  # blank lines carry nothing
        if len(cells) != width:
            errors.add(line, None, f"expected {width} cells, found {len(cells)}")
            continue
        values: dict[str, Any] = {}
        ok = True
        for name, raw in zip(header, cells, strict=True):
            column = known[name]
            cell = raw.strip()
            if cell == "":
                if column.required and not column.allow_empty:
                    errors.add(line, name, "must not be empty")
                    ok = False
                values[name] = None
                continue
            try:
                values[name] = column.parse(cell)
            except (ValueError, ArithmeticError) as error:
                errors.add(line, name, str(error) or "invalid value")
                ok = False
        for column in columns:
            values.setdefault(column.name, None)
        if ok:
            yield line, values
