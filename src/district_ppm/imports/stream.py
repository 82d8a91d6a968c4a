"""A CSV body read as it arrives: the header row in Python, every other byte passed through.

Streaming imports never hold the file in memory: the header line is parsed here (column
names in any order, a UTF-8 byte-order mark tolerated), and the rest goes on, chunk by chunk,
to PostgreSQL's COPY, which parses it far faster than Python could. COPY refuses a blank
line in a table of several columns, so each blank line becomes a row of empty cells here;
that keeps every line number the same and the importer skips such rows.
"""

from __future__ import annotations

import csv
import re
from collections.abc import AsyncIterator, Sequence

from district_ppm.imports.csvfile import ImportRejected, RowError

BOM = b"\xef\xbb\xbf"
MAX_HEADER_BYTES = 64 * 1024
# COPY takes CopyData messages of any size; fewer, larger ones cost less per byte.
CHUNK_BYTES = 256 * 1024
# A line longer than this goes on in pieces (COPY then names it as a bad row).
MAX_LINE = 16 * 1024 * 1024
_COPY_LINE = re.compile(r"\bline (\d+)")


def check_header(
    header: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()
) -> None:
    """Refuse unknown, missing or repeated columns, naming each (line 1)."""
    known = (*required, *optional)
    problems = [RowError(1, name, "unknown column") for name in header if name not in known]
    problems += [
        RowError(1, name, "required column is missing") for name in required if name not in header
    ]
    if len(set(header)) != len(header):
        problems.append(RowError(1, None, "a column is named twice"))
    if problems:
        raise ImportRejected(problems)


class CsvStream:
    """The header row of a CSV body, then the bytes after it (see the module docstring)."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = b""
        self._header: list[str] | None = None
        self._filler = b""
        self.bytes_read = 0

    async def header(self) -> list[str]:
        """The stripped column names of line 1; ImportRejected when there is no header."""
        if self._header is not None:
            return self._header
        buffer = b""
        while b"\n" not in buffer:
            chunk = await anext(self._chunks, None)
            if chunk is None:
                break
            self.bytes_read += len(chunk)
            buffer += chunk
            if len(buffer) > MAX_HEADER_BYTES and b"\n" not in buffer:
                raise ImportRejected([RowError(1, None, "the header row is too long")])
        line, _, self._rest = buffer.partition(b"\n")
        line = line.removeprefix(BOM).rstrip(b"\r")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ImportRejected(
                [RowError(1, None, f"the file is not UTF-8 text ({error.reason})")]
            ) from None
        names = [name.strip() for name in next(csv.reader([text]), [])]
        if not any(names):
            raise ImportRejected([RowError(1, None, "the file is empty: a header row is required")])
        self._header = names
        self._filler = b"," * (len(names) - 1)
        return names

    async def rows(self) -> AsyncIterator[bytes]:
        """The bytes after the header line, in chunks of whole lines of ``CHUNK_BYTES`` or so."""
        if self._header is None:
            await self.header()
        pending = bytearray(self._rest)
        self._rest = b""
        async for chunk in self._chunks:
            self.bytes_read += len(chunk)
            pending += chunk
            if len(pending) >= CHUNK_BYTES:
                # Whole lines only, so that a blank line never straddles two chunks.
                cut = pending.rfind(b"\n") + 1 or (len(pending) if len(pending) > MAX_LINE else 0)
                if cut:
                    yield self._fill_blank_lines(bytes(pending[:cut]))
                    del pending[:cut]
        if pending:
            yield self._fill_blank_lines(bytes(pending))

    def _fill_blank_lines(self, data: bytes) -> bytes:
        """Give each blank line of ``data`` (whole lines) empty cells."""
        if not self._filler:  # one column: COPY reads a blank line as one empty cell
            return data
        if data[:1] == b"\n" or data[:2] == b"\r\n":
            data = self._filler + data
        while b"\n\n" in data:
            data = data.replace(b"\n\n", b"\n" + self._filler + b"\n")
        while b"\n\r\n" in data:
            data = data.replace(b"\n\r\n", b"\n" + self._filler + b"\r\n")
        return data


def copy_error_line(context: str | None) -> int | None:
    """The file's line number of a COPY error (COPY counts from the line after the header)."""
    match = _COPY_LINE.search(context or "")
    return int(match.group(1)) + 1 if match else None
