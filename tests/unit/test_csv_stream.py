"""The streaming CSV reader: the header in Python, then one COPY row per line, bad lines logged."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from district_ppm.imports import stream
from district_ppm.imports.csvfile import ImportRejected, shown
from district_ppm.imports.lines import MAX_LINE_BYTES, LineChecker
from district_ppm.imports.staging import copy_error_line
from district_ppm.imports.stream import CsvStream, check_header


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read(data: bytes, size: int) -> tuple[list[str], bytes, CsvStream]:
    source = CsvStream(pieces(data, size))
    header = await source.header()
    return header, b"".join([chunk async for chunk in source.rows()]), source


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
async def test_header_bom_and_one_row_per_line_whatever_the_chunking(size, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK_BYTES", 4)
    data = b'\xef\xbb\xbf a ,"b",c\r\n\r\n1,2,3\r\n\r\n\r\n4,"5,5",6\n\n7,8,9'

    header, rest, source = await read(data, size)

    assert header == ["a", "b", "c"]
    # blank lines become empty rows, so that COPY's row numbers stay the file's line numbers
    assert rest == b',,\n1,2,3\n,,\n,,\n4,"5,5",6\n,,\n7,8,9\n'
    assert source.errors == []


@pytest.mark.parametrize("size", [1, 5, 64, 100_000])
async def test_every_bad_line_is_logged_by_number_and_left_empty(size, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK_BYTES", 16)
    data = (
        b"a,b,c\n"
        b"1,2,3\n"  # 2
        b"1,2\n"  # 3 short
        b"1,2,3,4\n"  # 4 long
        b'1,"2,3\n'  # 5 open quote
        b"1,\x002,3\n"  # 6 NUL
        b"1,2\r3\n"  # 7 a carriage return alone
        b"1,caf\xe9,3\n"  # 8 Latin-1
        b'"1" ,2,3\n'  # 9 text after a closing quote: kept
        + b"x" * (MAX_LINE_BYTES + 1)  # 10 too long
        + b"\n7,8,9\n"  # 11
    )

    _, rest, source = await read(data, size)

    assert [(e.line, e.column) for e in source.errors] == [(n, None) for n in range(3, 9)] + [
        (10, None)
    ]
    assert [e.message for e in source.errors] == [
        "expected 3 cells, found 2",
        "expected 3 cells, found 4",
        "a quote opened on this line is not closed on it (a cell may not span lines)",
        "the line holds a NUL character, which no text cell can hold",
        "a carriage return (CR) not followed by a line feed: save the file with LF or CRLF "
        "line ends (a cell may not hold a line break)",
        "the line is not UTF-8 text (invalid continuation byte): save the file as UTF-8",
        f"the line is longer than {MAX_LINE_BYTES:,} bytes; no row of an import is that long",
    ]
    assert rest.split(b"\n") == [
        b"1,2,3",
        *[b",,"] * 6,
        b"1 ,2,3",
        b",,",
        b"7,8,9",
        b"",
    ]


async def test_a_line_too_long_is_skipped_without_being_kept(monkeypatch):
    monkeypatch.setattr(stream, "CHUNK_BYTES", 1024)
    seen: list[int] = []
    checker_convert = LineChecker.convert

    def convert(self: LineChecker, chunk: bytes) -> bytes:
        seen.append(len(chunk))
        return checker_convert(self, chunk)

    monkeypatch.setattr(LineChecker, "convert", convert)
    data = b"a,b\n" + b"y" * (50 * MAX_LINE_BYTES) + b"\n1,2\n"

    _, rest, source = await read(data, 4096)

    assert [e.line for e in source.errors] == [2]
    assert rest == b",\n1,2\n"
    assert max(seen) < MAX_LINE_BYTES


async def test_the_errors_stop_at_the_hundredth():
    data = b"a,b\n" + b"1\n" * 1_500_000

    _, rest, source = await read(data, 64 * 1024)

    assert [e.line for e in source.errors] == list(range(2, 102))
    assert rest.count(b"\n") < 1_500_000  # reading stopped: later lines cannot be reported


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty: a header row is required"),
        (b"\n1,2\n", "the file is empty: a header row is required"),
        (
            b"caf\xe9,x\n",
            "the line is not UTF-8 text (invalid continuation byte): save the file as UTF-8",
        ),
        ("a,b\n".encode("utf-16"), "the file is UTF-16 text: save it as UTF-8"),
        (
            b"a,b\r1,2\r",
            "a carriage return (CR) not followed by a line feed: save the file "
            "with LF or CRLF line ends (a cell may not hold a line break)",
        ),
        (
            b"a," * MAX_LINE_BYTES,
            f"the line is longer than {MAX_LINE_BYTES:,} bytes; no row of an import is that long",
        ),
        (b'a,"b\n', "a quote opened on this line is not closed on it (a cell may not span lines)"),
    ],
)
async def test_a_header_that_is_not_there_or_cannot_be_read_is_refused(data, message):
    with pytest.raises(ImportRejected) as rejected:
        await read(data, 3)

    assert [(e.line, e.message) for e in rejected.value.errors] == [(1, message)]


def test_check_header_names_each_problem_and_shortens_what_it_echoes():
    long_name = "z" * 1000
    with pytest.raises(ImportRejected) as rejected:
        check_header(["a", "x", "a", long_name], required=["a", "b"], optional=["c"])

    assert [(e.line, e.column, e.message) for e in rejected.value.errors] == [
        (1, "x", "unknown column"),
        (1, "z" * 40 + "…", "unknown column"),
        (1, "b", "required column is missing"),
        (1, None, "a column is named twice"),
    ]


def test_shown_cuts_long_values():
    assert shown("R1") == "R1"
    assert shown("x" * 40) == "x" * 40
    assert shown("x" * 41) == "x" * 40 + "…"


def test_copy_error_lines_count_the_header():
    assert copy_error_line('COPY measurement_import_cells, line 3: "a,b"') == 4
    assert copy_error_line(None) is None
