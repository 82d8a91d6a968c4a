"""check_sustainability: stored verdicts, idempotent, and reached for real through the outbox.

Dates here are relative to the district's today, since the job checks as of today.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.school_calendar import school_year_of
from district_ppm.sustainability.compliance import plan_inputs
from district_ppm.sustainability.jobs import check_sustainability
from district_ppm.sustainability.models import PlanCompliance, SustainabilityPlan
from district_ppm.sustainability.periods import add_months
from district_ppm.tenancy.calendar import district_today
from tests.support.improvement import create_project
from tests.support.jobs import pending_jobs
from tests.support.measures import SET_TARGET, create_measure, record
from tests.support.sustainability import COMPLIANCE, create_plan
from tests.support.waiting import eventually
from workers.relay import relay_once

LOW, HIGH = 9.436, 10.564  # CL 10, sigma-hat 1: no signal on the alternation


async def today_of(app_sessionmaker: Any, district_id: uuid.UUID) -> date:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return await district_today(session=session, district_id=district_id)


def last_months(today: date, count: int) -> list[date]:
    """The ``count`` complete months before ``today``'s, oldest first."""
    this_month = today.replace(day=1)
    return [add_months(this_month, -n) for n in range(count, 0, -1)]


async def steady_plan(
    gql: Any, token: str, today: date, *, missing: date | None = None, title: str = "Buses"
) -> tuple[str, str, str]:
    """A monthly district measure with 18 complete months of steady data (one left out when
    ``missing``), its target, and a plan started six months ago: six months due, no review
    due yet (school-year cadence: none has ended since the start)."""
    months = last_months(today, 18)
    code = f"M{uuid.uuid4().hex[:6]}"
    measure = await create_measure(gql, token, code=code, level="DISTRICT")
    year = school_year_of(months[-1])
    target = {"measureId": measure, "schoolYear": year, "value": 10, "redThreshold": 9}
    assert "errors" not in await gql(SET_TARGET, {"input": target}, token=token)
    values = [
        {"periodStart": m.isoformat(), "value": HIGH if (len(months) - i) % 2 else LOW}
        for i, m in enumerate(months)
        if m != missing
    ]
    assert "errors" not in await record(gql, token, measure, values)
    project = await create_project(gql, token, title=title)
    plan = await create_plan(
        gql,
        token,
        project["id"],
        [measure],
        reviewCadence="SCHOOL_YEAR",
        startDate=months[-6].isoformat(),
    )
    return plan["id"], measure, code


async def stored_rows(app_sessionmaker: Any, district_id: uuid.UUID) -> list[tuple[Any, ...]]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.scalars(select(PlanCompliance).order_by(PlanCompliance.plan_id))
        return [
            (str(r.plan_id), r.as_of, r.status.value, list(r.failed_checks), r.computed_at)
            for r in rows
        ]


async def run_check(app_sessionmaker: Any, district_id: uuid.UUID, **payload: Any) -> None:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await check_sustainability.run(session, district_id, **payload)
        await session.commit()


async def test_the_job_run_twice_stores_the_same_rows(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    today = await today_of(app_sessionmaker, district_id)
    steady, _, _ = await steady_plan(gql, token, today)
    missing = last_months(today, 18)[-3]
    gappy, _, code = await steady_plan(gql, token, today, missing=missing, title="Meals")

    await run_check(app_sessionmaker, district_id, full=True)
    first = await stored_rows(app_sessionmaker, district_id)
    await run_check(app_sessionmaker, district_id, full=True)
    second = await stored_rows(app_sessionmaker, district_id)

    without_clock = [row[:4] for row in first]
    assert without_clock == [row[:4] for row in second]
    assert sorted(without_clock) == sorted(
        [
            (steady, today, "COMPLIANT", []),
            (gappy, today, "AT_RISK", [f"data_current:{code}"]),
        ]
    )
    assert all(b[4] > a[4] for a, b in zip(first, second, strict=True))  # recomputed


async def test_one_plans_check_leaves_the_others_rows(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    today = await today_of(app_sessionmaker, district_id)
    one, _, _ = await steady_plan(gql, token, today)
    other, _, _ = await steady_plan(gql, token, today, title="Meals")

    await run_check(app_sessionmaker, district_id, plan_id=one)

    assert [row[0] for row in await stored_rows(app_sessionmaker, district_id)] == [one]
    await run_check(app_sessionmaker, district_id, plan_id=other)
    assert sorted(row[0] for row in await stored_rows(app_sessionmaker, district_id)) == sorted(
        [one, other]
    )


async def test_a_finished_plan_loses_its_stored_verdict(
    gql, factory, app_sessionmaker, admin_sessionmaker
):
    district_id, token = await factory.district()
    today = await today_of(app_sessionmaker, district_id)
    plan_id, _, _ = await steady_plan(gql, token, today)
    await run_check(app_sessionmaker, district_id, full=True)
    assert len(await stored_rows(app_sessionmaker, district_id)) == 1

    # Started six months ago for five months: its last day has passed. (No operation edits a
    # plan, and the application role may not: set it as the owner role.)
    async with admin_sessionmaker() as session, session.begin():
        await session.execute(
            update(SustainabilityPlan)
            .where(SustainabilityPlan.id == uuid.UUID(plan_id))
            .values(duration_months=5)
        )
    await run_check(app_sessionmaker, district_id, full=True)

    assert await stored_rows(app_sessionmaker, district_id) == []
    served = await gql(COMPLIANCE, {"asOf": None}, token=token)
    assert served["data"]["sustainabilityCompliance"] == []


async def test_a_measurement_moves_the_stored_verdict_through_the_worker(
    gql, factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    """recordMeasurements -> outbox -> relay -> refresh_measure_status -> (after it)
    check_sustainability -> plan_compliance, for real."""
    district_id, token = await factory.district()
    today = await today_of(app_sessionmaker, district_id)
    months = last_months(today, 18)
    plan_id, measure, code = await steady_plan(gql, token, today, missing=months[-2])

    async def stored(status: str) -> Any:
        async def check() -> Any:
            # Relay whatever is waiting: a job queues its followers when it succeeds.
            if await pending_jobs(app_sessionmaker, district_id):
                await relay_once(jobs_sessionmaker, broker)
            rows = await stored_rows(app_sessionmaker, district_id)
            return rows and rows[0][2] == status and rows[0]

        return check

    # The plan's creation queued its check.
    at_risk = await eventually(await stored("AT_RISK"), seconds=120)
    assert at_risk[:4] == (plan_id, today, "AT_RISK", [f"data_current:{code}"])

    # The missing month arrives: the status refresh runs, then the check after it.
    assert "errors" not in await record(
        gql, token, measure, [{"periodStart": months[-2].isoformat(), "value": LOW}]
    )
    compliant = await eventually(await stored("COMPLIANT"), seconds=120)

    assert compliant[:4] == (plan_id, today, "COMPLIANT", [])
    assert compliant[4] > at_risk[4]
    served = (await gql(COMPLIANCE, {"asOf": None}, token=token))["data"][
        "sustainabilityCompliance"
    ]
    assert [(r["status"], r["asOf"]) for r in served] == [("COMPLIANT", today.isoformat())]
    # The same verdict, or a later run's (another queued check may have run since).
    assert datetime.fromisoformat(served[0]["computedAt"]) >= compliant[4]

    # After the check, its follower stores the plan's verdict of every date: a past date's
    # is then served from it, while no input has been written since.
    past = months[-1]  # the plan started five months before it

    async def from_history() -> Any:
        if await pending_jobs(app_sessionmaker, district_id):
            await relay_once(jobs_sessionmaker, broker)
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            inputs = await plan_inputs(
                session=session,
                district_id=district_id,
                plan_ids=[uuid.UUID(plan_id)],
                as_of=past,
                serve_stored=True,
            )
        return inputs.stored

    stored_verdict = (await eventually(from_history, seconds=120))[uuid.UUID(plan_id)]
    read = (await gql(COMPLIANCE, {"asOf": past.isoformat()}, token=token))["data"][
        "sustainabilityCompliance"
    ]
    assert [(r["status"], r["asOf"]) for r in read] == [(stored_verdict[1].value, past.isoformat())]
