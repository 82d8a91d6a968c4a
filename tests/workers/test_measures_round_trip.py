"""recordMeasurements → outbox → relay → Redis → worker → the scorecard's status, for real."""

from __future__ import annotations

from datetime import datetime

from district_ppm.jobs.registry import followers_of
from district_ppm.measures.jobs import refresh_measure_status_job
from tests.support.jobs import marked_measures, pending_jobs
from tests.support.measures import SET_TARGET, create_measure, monthly, record
from tests.support.waiting import eventually
from workers.relay import relay_once

SCORECARD = """
query { scorecard(view: DASHBOARD, schoolYear: 2026) {
  rows { measure { code } schoolId latestPeriod latestValue target status trend computedAt }
} }
"""


async def relay_until_sent(app_sessionmaker, jobs_sessionmaker, broker, district_id) -> None:
    """Relay batch after batch until this district's jobs are out: earlier tests leave
    hundreds of jobs pending, and the relay sends the oldest first."""
    for _ in range(50):
        if not await pending_jobs(app_sessionmaker, district_id):
            return
        await relay_once(jobs_sessionmaker, broker)
    raise AssertionError("this district's jobs were never relayed")


async def test_a_write_reaches_the_scorecard_through_the_worker(
    gql, factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    district_id, token = await factory.district()
    measure_id = await create_measure(
        gql, token, code="ADA", level="DISTRICT", stage="OUTPUT", unit="PERCENT"
    )
    target = {"measureId": measure_id, "schoolYear": 2026, "value": 90, "redThreshold": 80}
    assert "errors" not in await gql(SET_TARGET, {"input": target}, token=token)
    written = await record(gql, token, measure_id, monthly(None, 2025, 7, [91, 92, 93, 94, 95, 96]))
    assert written["data"]["recordMeasurements"]["written"] == 6

    # Two writes to one measure, one pending refresh of the district: the outbox coalesces
    # them, and the measure is marked for it.
    assert await pending_jobs(app_sessionmaker, district_id) == [
        (refresh_measure_status_job.name, {})
    ]
    assert await marked_measures(app_sessionmaker, district_id) == [measure_id]
    before = await gql(SCORECARD, token=token)
    assert [r["status"] for r in before["data"]["scorecard"]["rows"]] == ["NO_DATA"]
    await relay_until_sent(app_sessionmaker, jobs_sessionmaker, broker, district_id)

    async def row_with(status):
        async def check():
            rows = (await gql(SCORECARD, token=token))["data"]["scorecard"]["rows"]
            return rows and rows[0]["status"] == status and rows[0]

        return check

    # The worker may first work through the jobs other tests left in the queue.

    green = await eventually(await row_with("GREEN"), seconds=120)
    assert green | {"computedAt": None} == {
        "measure": {"code": "ADA"},
        "schoolId": None,
        "latestPeriod": "2025-12-01",
        "latestValue": 96.0,
        "target": 90.0,
        "status": "GREEN",
        "trend": "IMPROVING",
        "computedAt": None,
    }

    # A later, bad month: the worker recomputes on its own and computedAt moves on.
    await record(gql, token, measure_id, monthly(None, 2026, 1, [70]))
    await relay_until_sent(app_sessionmaker, jobs_sessionmaker, broker, district_id)
    red = await eventually(await row_with("RED"), seconds=120)

    assert (red["latestPeriod"], red["latestValue"]) == ("2026-01-01", 70.0)
    assert datetime.fromisoformat(red["computedAt"]) > datetime.fromisoformat(green["computedAt"])
    # Nothing is left: the marks were taken, and the jobs that follow a status refresh
    # (@job(after=...)) have no work in a district without plans or adoptions (has_work).
    assert [job.name for job in followers_of(refresh_measure_status_job.name)]
    assert await pending_jobs(app_sessionmaker, district_id) == []
    assert await marked_measures(app_sessionmaker, district_id) == []
