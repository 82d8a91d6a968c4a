"""A CSV body read as it arrives: the header row in Python, the rest chunk by chunk to COPY.

Imports never hold the file in memory: the header line is parsed here (column names in any
order, a UTF-8 byte-order mark tolerated), and the lines after it go on in chunks of whole
lines, each checked by ``lines.LineChecker`` on the way, to PostgreSQL's COPY, which parses
them far faster than Python could. Memory stays at a few chunks whatever the file's size: a
line longer than ``MAX_LINE_BYTES`` is refused and skipped without being kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from district_ppm.imports.csvfile import ImportRejected, RowError, shown
from district_ppm.imports.lines import (
    CARRIAGE_RETURN,
    MAX_LINE_BYTES,
    TOO_LONG,
    LineChecker,
    read_line,
)

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# COPY takes CopyData messages of any size; fewer, larger ones cost less per byte.
CHUNK_BYTES = 256 * 1024


def check_header(
    header: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()
) -> None:
    """Refuse unknown, missing or repeated columns, naming each (line 1)."""
    known = (*required, *optional)
    problems = [RowError(1, shown(name), "unknown column") for name in header if name not in known]
    problems += [
        RowError(1, name, "required column is missing") for name in required if name not in header
    ]
    if len(set(header)) != len(header):
        problems.append(RowError(1, None, "a column is named twice"))
    if problems:
        raise ImportRejected(problems)


class CsvStream:
    """The header row of a CSV body, then its other lines for COPY (see the module docstring).

    ``errors`` holds the lines refused on the way, in line order, once ``rows`` has been
    read to its end."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = b""
        self._header: list[str] | None = None
        self._lines: LineChecker | None = None
        self.bytes_read = 0

    @property
    def errors(self) -> list[RowError]:
        return self._lines.errors if self._lines is not None else []

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
            if len(buffer) > MAX_LINE_BYTES and b"\n" not in buffer:
                reason = CARRIAGE_RETURN if b"\r" in buffer else TOO_LONG
                raise ImportRejected([RowError(1, None, reason)])
        line, _, self._rest = buffer.partition(b"\n")
        line = line.removeprefix(BOM)
        if line.startswith(UTF16_BOMS):
            raise ImportRejected([RowError(1, None, "the file is UTF-16 text: save it as UTF-8")])
        cells, problem = read_line(line)
        if problem is not None:
            raise ImportRejected([RowError(1, None, problem)])
        names = [name.strip() for name in cells]
        if not any(names):
            raise ImportRejected([RowError(1, None, "the file is empty: a header row is required")])
        self._header = names
        return names

    async def rows(self) -> AsyncIterator[bytes]:
        """The lines after the header as CSV for COPY, one row per line, in large chunks."""
        header = await self.header()
        lines = self._lines = LineChecker(len(header))
        pending = bytearray(self._rest)
        self._rest = b""
        skipping = False  # inside a line too long to keep: drop bytes up to its end
        async for chunk in self._chunks:
            self.bytes_read += len(chunk)
            if skipping:
                end = chunk.find(b"\n")
                if end < 0:
                    continue
                chunk, skipping = chunk[end + 1 :], False
            pending += chunk
            if len(pending) < CHUNK_BYTES:
                continue
            cut = pending.rfind(b"\n") + 1
            if cut:
                yield lines.convert(bytes(pending[:cut]))
                del pending[:cut]
            if len(pending) > MAX_LINE_BYTES:
                yield lines.skip(TOO_LONG)
                pending.clear()
                skipping = True
            if lines.full:
                return
        if pending and not skipping:
            if not pending.endswith(b"\n"):
                pending += b"\n"
            yield lines.convert(bytes(pending))
