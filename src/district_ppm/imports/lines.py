"""Each line of a CSV body checked and rewritten for COPY: one row per line, whatever is wrong.

PostgreSQL's COPY stops at the first line it cannot split and says why in its own words. So
every line is checked here first, and COPY gets exactly one row per line of the file: the
line's cells when they are sound, empty cells in its place when it is blank or wrong (the
problem is logged under its line number). The staging table's line numbers thus stay the
file's, every bad line is reported rather than the first, and the sound rows still get their
cell checks, so one round trip shows everything to fix.

A chunk with no quote, no NUL, no stray carriage return and the right number of commas on
every line (most files) is checked with a few byte-string operations and passed on as it is;
any other chunk is read line by line with the csv module and written out again.

A cell may not span lines: no column of any import kind could need it, and a quote left open
is then reported on its own line, reading going on at the next one, instead of swallowing the
rest of the file.
"""

from __future__ import annotations

import csv
import io
from itertools import repeat

from district_ppm.imports.csvfile import MAX_REPORTED_ERRORS, RowError

# Python's csv field limit; no row of any import kind comes near it, and a line this long is
# refused before it is parsed, so neither the parser nor an error message ever holds more.
MAX_LINE_BYTES = 131_072
OPEN_QUOTE = "a quote opened on this line is not closed on it (a cell may not span lines)"
_CSV_PROBLEMS = {
    "unexpected end of data": OPEN_QUOTE,
    "field larger than field limit": f"a cell is longer than {MAX_LINE_BYTES:,} characters",
}
CARRIAGE_RETURN = (
    "a carriage return (CR) not followed by a line feed: save the file with LF or CRLF line "
    "ends (a cell may not hold a line break)"
)
NUL = "the line holds a NUL character, which no text cell can hold"
TOO_LONG = f"the line is longer than {MAX_LINE_BYTES:,} bytes; no row of an import is that long"


def read_line(raw: bytes) -> tuple[list[str], str | None]:
    """The cells of one line (without its ``\\n``), or a problem that says what is wrong."""
    if len(raw) > MAX_LINE_BYTES:
        return [], TOO_LONG
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return [], f"the line is not UTF-8 text ({error.reason}): save the file as UTF-8"
    text = text.removesuffix("\r")
    if "\x00" in text:
        return [], NUL
    if "\r" in text:
        return [], CARRIAGE_RETURN
    try:
        return next(csv.reader((text,), strict=True), []), None
    except csv.Error as error:
        reason = str(error)
        if reason.startswith("',' expected after '\"'"):
            # Text after a closing quote (`"a" ,b`): kept, as spreadsheets and COPY do,
            # unless a quote is left open further on.
            if text.count('"') % 2:
                return [], OPEN_QUOTE
            return next(csv.reader((text,)), []), None
        known = next((p for start, p in _CSV_PROBLEMS.items() if reason.startswith(start)), None)
        return [], known or f"the line is not valid CSV ({reason})"


class LineChecker:
    """Turns chunks of whole lines into CSV for COPY, logging each bad line (module docstring).

    ``next_line`` is the file's number of the chunk's first line; the header is line 1."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.next_line = 2
        self.errors: list[RowError] = []
        self._filler = b"," * (width - 1) + b"\n"

    @property
    def full(self) -> bool:
        """As many errors as are reported: the lines after these cannot be among the first."""
        return len(self.errors) >= MAX_REPORTED_ERRORS

    def convert(self, chunk: bytes) -> bytes:
        """``chunk``: whole lines, each ending in ``\\n``."""
        as_is = self._sound(chunk)
        return as_is if as_is is not None else self._line_by_line(chunk)

    def skip(self, problem: str) -> bytes:
        """Empty cells for a line that is refused without being read (see ``read_line``)."""
        self._log(problem)
        self.next_line += 1
        return self._filler

    def _log(self, problem: str) -> None:
        if not self.full:
            self.errors.append(RowError(self.next_line, None, problem))

    def _sound(self, chunk: bytes) -> bytes | None:
        """``chunk`` for COPY as it is (CRLF made LF), or None when a line needs reading."""
        if self.width < 2 or b'"' in chunk or b"\x00" in chunk:
            return None
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n")
            if b"\r" in chunk:
                return None
        lines = chunk.split(b"\n")
        lines.pop()  # after the last line end
        # Every line's comma count is the header's: no blank, short or long line.
        if set(map(bytes.count, lines, repeat(b","))) != {self.width - 1}:
            return None
        if max(map(len, lines)) > MAX_LINE_BYTES:
            return None
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            return None
        self.next_line += len(lines)
        return chunk

    def _line_by_line(self, chunk: bytes) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        filler = self._filler.decode()
        lines = chunk.split(b"\n")
        lines.pop()
        for raw in lines:
            cells, problem = read_line(raw)
            blank = not any(cell.strip() for cell in cells)
            if problem is None and not blank and len(cells) != self.width:
                problem = f"expected {self.width} cells, found {len(cells)}"
            if problem is not None:
                self._log(problem)
            if problem is None and not blank:
                writer.writerow(cells)
            else:
                out.write(filler)
            self.next_line += 1
        return out.getvalue().encode()
