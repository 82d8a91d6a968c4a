"""The import route's size limit: over MAX_IMPORT_BYTES is 413 with the route's JSON, never 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from district_ppm.imports import routes
from tests.support.transportation import HEADER, setup, stored

ROW = "R1,2025-09-01,07:40,08:10,\n"


def too_large(response) -> None:
    assert response.status_code == 413
    assert response.json() == {
        "written": 0,
        "code": "LIMIT_EXCEEDED",
        "message": f"an import takes at most {routes.MAX_IMPORT_BYTES:,} bytes; split the file",
        "maxBytes": routes.MAX_IMPORT_BYTES,
    }


async def test_an_announced_size_over_the_limit_is_refused_before_reading(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)

    response = await client.post(
        "/api/v1/imports/bus-runs",
        content=(HEADER + ROW).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/csv",
            "Content-Length": str(routes.MAX_IMPORT_BYTES + 1),
        },
    )

    too_large(response)
    assert await stored(app_sessionmaker, district_id) == []


@pytest.mark.parametrize("how", ["announced", "streamed", "multipart"])
async def test_a_body_over_the_limit_is_refused_and_nothing_is_written(
    how, client, factory, app_sessionmaker, monkeypatch
):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    monkeypatch.setattr(routes, "MAX_IMPORT_BYTES", 4096)
    body = (HEADER + ROW * 400).encode()  # every line good, 10 kB
    headers = {"Authorization": f"Bearer {token}"}

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    if how == "multipart":
        response = await client.post(
            "/api/v1/imports/bus-runs",
            files={"file": ("runs.csv", body, "text/csv")},
            headers=headers,
        )
    else:
        response = await client.post(
            "/api/v1/imports/bus-runs",
            content=body if how == "announced" else streamed(),
            headers={**headers, "Content-Type": "text/csv"},
        )

    too_large(response)
    assert await stored(app_sessionmaker, district_id) == []


async def test_a_body_under_the_limit_is_imported(client, factory, app_sessionmaker, monkeypatch):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    monkeypatch.setattr(routes, "MAX_IMPORT_BYTES", 4096)

    response = await client.post(
        "/api/v1/imports/bus-runs",
        content=(HEADER + ROW).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )

    assert response.json() == {"written": 1}
    assert len(await stored(app_sessionmaker, district_id)) == 1


async def test_a_multipart_body_that_cannot_be_read_is_refused_with_a_reason(client, factory):
    _, token = await factory.district()

    response = await client.post(
        "/api/v1/imports/bus-runs",
        content=b"--x\r\nnot a part",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data"},
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["message"].startswith("the multipart upload cannot be read (")


async def test_a_file_field_sent_as_text_is_read_as_the_file(client, factory, app_sessionmaker):
    district_id, token, _ = await setup(factory, app_sessionmaker)

    response = await client.post(
        "/api/v1/imports/bus-runs",
        data={"file": HEADER + ROW},
        files={"other": ("x.txt", b"ignored", "text/plain")},  # makes httpx send multipart
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.json() == {"written": 1}
    assert len(await stored(app_sessionmaker, district_id)) == 1
