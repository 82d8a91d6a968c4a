"""DMAIC projects over HTTP: the charter, phases one tollgate at a time, roles, tenancy."""

from __future__ import annotations

from typing import Any

from tests.api.improvement_support import (
    ADVANCE,
    CREATE_PROJECT,
    PROJECT,
    REQUEST_TOLLGATE,
    create_project,
)
from tests.conftest import error_codes


async def test_a_project_is_created_in_define_with_its_charter(gql, factory):
    _, token = await factory.district()

    project = await create_project(
        gql,
        token,
        title="  Late buses  ",
        baseline=42.5,
        target=10.0,
        scope="Routes 1-12",
        sponsor="COO",
        lead="Transportation director",
        team=["Dispatcher", "Principal A"],
        baselineSchoolYear=2025,
    )

    assert project["title"] == "Late buses"
    assert project["phase"] == "DEFINE"
    assert project["baseline"] == 42.5 and project["target"] == 10.0
    assert project["team"] == ["Dispatcher", "Principal A"]
    assert project["baselineSchoolYear"] == 2025
    assert project["tollgates"] == [] and project["tollgateRequest"] is None
    assert project["opportunityId"] is None
    read = (await gql(PROJECT, {"id": project["id"]}, token=token))["data"]["project"]
    assert read == project


async def test_smoke_request_and_advance(gql, factory):
    _, token = await factory.district()
    project = await create_project(gql, token, baseline=1.0)

    requested = await gql(
        REQUEST_TOLLGATE, {"input": {"projectId": project["id"], "note": "ready"}}, token=token
    )
    moved = await gql(ADVANCE, {"input": {"projectId": project["id"], "note": "ok"}}, token=token)

    assert requested["data"]["requestTollgate"]["project"]["tollgateRequest"]["note"] == "ready"
    after: dict[str, Any] = moved["data"]["advanceProjectPhase"]["project"]
    assert after["phase"] == "MEASURE" and after["tollgateRequest"] is None
    assert [(t["fromPhase"], t["toPhase"], t["note"]) for t in after["tollgates"]] == [
        ("DEFINE", "MEASURE", "ok")
    ]
    assert error_codes(await gql(CREATE_PROJECT, {"input": {}}, token=token))
