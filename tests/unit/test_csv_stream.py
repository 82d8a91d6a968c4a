"""The streaming CSV reader: the header in Python, blank lines filled, chunks of whole lines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from district_ppm.imports import stream
from district_ppm.imports.csvfile import ImportRejected
from district_ppm.imports.stream import CsvStream, check_header, copy_error_line


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read(data: bytes, size: int) -> tuple[list[str], bytes]:
    source = CsvStream(pieces(data, size))
    header = await source.header()
    return header, b"".join([chunk async for chunk in source.rows()])


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
async def test_header_bom_and_blank_lines_whatever_the_chunking(size, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK_BYTES", 4)
    data = b'\xef\xbb\xbf a ,"b",c\r\n\r\n1,2,3\r\n\r\n\r\n4,5,6\n\n7,8,9'

    header, rest = await read(data, size)

    assert header == ["a", "b", "c"]
    assert rest == b",,\r\n1,2,3\r\n,,\r\n,,\r\n4,5,6\n,,\n7,8,9"


async def test_a_header_that_is_not_there_or_not_utf8_is_refused():
    for data, message in [
        (b"", "the file is empty: a header row is required"),
        (b"\n1,2\n", "the file is empty: a header row is required"),
        (b"caf\xe9,x\n", "the file is not UTF-8 text (invalid continuation byte)"),
    ]:
        with pytest.raises(ImportRejected) as rejected:
            await read(data, 3)
        assert rejected.value.errors[0].message == message


def test_check_header_names_each_problem():
    with pytest.raises(ImportRejected) as rejected:
        check_header(["a", "x", "a"], required=["a", "b"], optional=["c"])

    assert [(e.line, e.column, e.message) for e in rejected.value.errors] == [
        (1, "x", "unknown column"),
        (1, "b", "required column is missing"),
        (1, None, "a column is named twice"),
    ]


def test_copy_error_lines_count_the_header():
    assert copy_error_line('COPY measurement_import_cells, line 3: "a,b"') == 4
    assert copy_error_line(None) is None
