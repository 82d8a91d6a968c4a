"""The savings roll-up job as the worker runs it: a message run twice stores the same figures,
and a run that fails halfway leaves the previous ones (Redis and real workers:
tests/workers/test_savings_faults.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import JobRun
from district_ppm.jobs.service import run_job
from district_ppm.savings import rollup as rollup_module
from district_ppm.savings.jobs import rollup_savings_job
from district_ppm.tenancy.models import Role
from tests.support.measures import create_school
from tests.support.savings import (
    new_adoption,
    new_process,
    new_project,
    record,
    reverse,
    rollup,
    stored_rollups,
    validate,
)


async def ledger_of_every_kind(
    gql: Any, factory: Any, app_sessionmaker: Any, district_id: uuid.UUID, admin: str
) -> None:
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    process = await new_process(gql, admin, "1.1")
    school = await create_school(gql, admin, "Lincoln")
    project = await new_project(gql, admin, processId=process, schoolIds=[school])
    _, adoption = await new_adoption(app_sessionmaker, district_id, school, project)
    entry = await record(gql, admin, project, amount="10", schoolId=school)
    await validate(gql, finance, entry["id"])
    await record(gql, admin, project, category="SOFT", unit="HOURS", amount="3.5")
    wrong = await record(gql, admin, project, amount="4", adoptionId=adoption)
    await reverse(gql, admin, wrong["id"])


async def run_as_worker(app_sessionmaker: Any, district_id: uuid.UUID, message_id: str) -> None:
    await run_job(
        sessionmaker=app_sessionmaker,
        district_id=district_id,
        actor_name=rollup_savings_job.name,
        message_id=message_id,
        body=rollup_savings_job.handler,
    )


async def test_the_same_message_run_twice_stores_the_same_figures(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    await ledger_of_every_kind(gql, factory, app_sessionmaker, district_id, admin)

    await run_as_worker(app_sessionmaker, district_id, "the-same-message")
    once = await stored_rollups(app_sessionmaker, district_id)
    await run_as_worker(app_sessionmaker, district_id, "the-same-message")
    twice = await stored_rollups(app_sessionmaker, district_id)

    assert once["groups"] and once["categories"]
    assert (twice["categories"], twice["groups"]) == (once["categories"], once["groups"])
    assert twice["computed_at"] > once["computed_at"]


async def test_a_run_that_fails_halfway_leaves_the_previous_figures(
    gql, factory, app_sessionmaker, monkeypatch
):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin)
    await record(gql, admin, project, amount="10")
    await rollup(app_sessionmaker, district_id)
    before = await stored_rollups(app_sessionmaker, district_id)
    await record(gql, admin, project, amount="5")

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker lost its connection")

    # Everything deleted and written again, then the last step fails.
    monkeypatch.setattr(rollup_module, "mark_computed", crash)
    with pytest.raises(RuntimeError, match="lost its connection"):
        await run_as_worker(app_sessionmaker, district_id, "crashing")
    monkeypatch.undo()

    assert await stored_rollups(app_sessionmaker, district_id) == before
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        runs = list(
            await session.scalars(select(JobRun.status).where(JobRun.message_id == "crashing"))
        )
    assert runs == ["failed"]
    await run_as_worker(app_sessionmaker, district_id, "redelivered")
    after = await stored_rollups(app_sessionmaker, district_id)
    assert [c[4] for c in after["categories"]] == [15]
