"""Malformed CSV against every import kind: each answered 4xx with a clear message, nothing written.

Each body also carries a good row, so "nothing written" means the bad line refused the whole
file, not that there was nothing to write. A new import kind fails `test_every_kind_is_covered`
until it has a header and a good row here.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.imports import importers  # noqa: F401 - registers every kind
from district_ppm.imports.registry import IMPORT_KINDS
from tests.support.measures import create_measure, create_school
from tests.support.transportation import add_route

# Per kind: its header and one row the district set up below would accept.
KINDS = {
    "measurements": (
        "measure_code,school,period_start,value",
        "SS-ADA,480000100001,2025-09-01,91",
    ),
    "bus-runs": (
        "route_code,service_date,scheduled_arrival,actual_arrival,riders",
        "R1,2025-09-01,07:40,08:10,",
    ),
    "oneroster-orgs": (
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
        "s9,active,2026-08-01,Central High,school,480000100009,d1",
    ),
}
TABLES = ("schools", "measurements", "measurement_revisions", "bus_runs", "outbox_messages")


@dataclass(frozen=True)
class Case:
    """A malformed body built from a kind's header and good row, and what the answer says."""

    body: Any  # (header, good row) -> bytes
    says: str  # a phrase the answer's message(s) must hold
    multipart: bool = False


def _lines(*lines: str) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode()


def _cells(row: str, count: int) -> str:
    cells = row.split(",")
    return ",".join((cells * count)[:count])


def _garbage() -> bytes:
    return random.Random(7).randbytes(64 * 1024)


CASES = {
    "binary garbage": Case(lambda h, r: _garbage(), "not UTF-8"),
    "empty body": Case(lambda h, r: b"", "the file is empty"),
    "header only": Case(lambda h, r: _lines(h), "no rows after it"),
    "blank lines only": Case(lambda h, r: _lines(h, "", " ", ""), "no rows after it"),
    "short row": Case(lambda h, r: _lines(h, r, _cells(r, len(r.split(",")) - 1)), "cells, found"),
    "long row": Case(lambda h, r: _lines(h, r, r + ",extra"), "cells, found"),
    "open quote": Case(lambda h, r: _lines(h, r, '"' + r), "not closed"),
    "UTF-16": Case(lambda h, r: f"{h}\n{r}\n".encode("utf-16"), "UTF-16"),
    "Latin-1 cell": Case(
        lambda h, r: _lines(h, r) + ("Caf\u00e9" + r[r.index(",") :] + "\n").encode("latin-1"),
        "not UTF-8",
    ),
    "NUL byte": Case(lambda h, r: _lines(h, r, r.replace(",", ",\x00", 1)), "NUL"),
    "huge field": Case(
        lambda h, r: _lines(h, r, "x" * 200_000 + r[r.index(",") :]), "longer than 131,072"
    ),
    "20 MB line": Case(
        lambda h, r: _lines(h, r, "x" * 20_000_000 + r[r.index(",") :]), "longer than 131,072"
    ),
    "10,000 columns": Case(
        lambda h, r: _lines(",".join(f"c{n}" for n in range(10_000)), r), "unknown column"
    ),
    "10,000 cells in a row": Case(lambda h, r: _lines(h, r, _cells(r, 10_000)), "cells, found"),
    "CR-only line ends": Case(lambda h, r: f"{h}\r{r}\r{r}\r".encode(), "carriage return"),
    "multipart without the file field": Case(
        lambda h, r: _lines(h, r), "`file` field", multipart=True
    ),
}


def test_every_kind_is_covered():
    assert set(KINDS) == set(IMPORT_KINDS)


async def district_with_data(gql: Any, factory: Any, app_sessionmaker: Any) -> tuple[Any, str]:
    """A district where each kind's good row would be written."""
    district_id, token = await factory.district()
    school = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    await add_route(app_sessionmaker, district_id, "R1", uuid.UUID(school), 40)
    return district_id, token


async def table_counts(app_sessionmaker: Any, district_id: Any) -> dict[str, int]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return {
            table: int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in TABLES
        }


def messages(answer: dict[str, Any]) -> list[str]:
    if "errors" in answer:
        return [error["message"] for error in answer["errors"]]
    return [answer["message"]]


@pytest.mark.parametrize("case_name", list(CASES))
@pytest.mark.parametrize("kind", list(KINDS))
async def test_malformed_csv_is_refused_clearly_and_writes_nothing(
    kind, case_name, gql, client, factory, app_sessionmaker
):
    case = CASES[case_name]
    district_id, token = await district_with_data(gql, factory, app_sessionmaker)
    before = await table_counts(app_sessionmaker, district_id)
    body = case.body(*KINDS[kind])
    headers = {"Authorization": f"Bearer {token}"}

    if case.multipart:
        response = await client.post(
            f"/api/v1/imports/{kind}",
            files={"upload": ("data.csv", body, "text/csv")},
            headers=headers,
        )
    else:
        response = await client.post(
            f"/api/v1/imports/{kind}",
            content=body,
            headers={**headers, "Content-Type": "text/csv"},
        )

    assert 400 <= response.status_code < 500, response.text[:500]
    answer = response.json()
    assert answer["written"] == 0
    said = messages(answer)
    assert said and any(case.says in message for message in said), said
    # clear, and short: no message echoes a whole cell or line back
    assert all(0 < len(message) <= 200 for message in said), said
    assert len(response.content) < 64 * 1024
    assert await table_counts(app_sessionmaker, district_id) == before


LONG = "Q" * 100_000  # under the line limit, so the cell reaches the checks that echo it


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        (
            "measurements",
            f"measure_code,school,period_start,value\n{LONG},480000100001,2025-09-01,1\n",
            ("measure_code", f"no measure with code {'Q' * 40}… in this district"),
        ),
        (
            "measurements",
            f"measure_code,school,period_start,value\nSS-ADA,{LONG},2025-09-01,1\n",
            ("school", f"no school with NCES id or id {'Q' * 40}…"),
        ),
        (
            "bus-runs",
            "route_code,service_date,scheduled_arrival,actual_arrival\n"
            f"{LONG},2025-09-01,07:40,08:10\n",
            ("route_code", f"no bus route with code {'Q' * 40}…"),
        ),
    ],
)
async def test_errors_echo_only_a_short_prefix_of_a_long_cell(
    kind, body, expected, gql, client, factory, app_sessionmaker
):
    # issue 7 #9: a 20 MB cell came back whole in a 20 MB answer
    _, token = await district_with_data(gql, factory, app_sessionmaker)

    response = await client.post(
        f"/api/v1/imports/{kind}",
        content=body.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )

    assert response.status_code == 422
    assert [(e["column"], e["message"]) for e in response.json()["errors"]] == [expected]
    assert len(response.content) < 1000
