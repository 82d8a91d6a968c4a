"""adoptPractice, then measurements → status refresh → its follower compute_adoption_gains →
the adoption's gains, through the outbox, Redis and a real worker."""

from __future__ import annotations

from tests.support.jobs import pending_jobs
from tests.support.measures import create_measure, create_school, monthly, record
from tests.support.practices import ADOPT, PRACTICE, create_practice
from tests.support.waiting import eventually
from workers.relay import relay_once


async def test_measurements_after_an_adoption_reach_its_gains_through_the_worker(
    gql, factory, app_sessionmaker, jobs_sessionmaker, broker, running_worker
):
    district_id, token = await factory.district()
    ada = await create_measure(gql, token, code="ADA")
    school = await create_school(gql, token, "Adams")
    practice = await create_practice(gql, token, measureIds=[ada])
    adopted = await gql(
        ADOPT,
        {"input": {"practiceId": practice["id"], "schoolId": school, "adoptedOn": "2024-07-15"}},
        token=token,
    )
    assert "errors" not in adopted

    async def gains_of_adams():
        # Relays whatever this district queued (the follower is queued only when the status
        # refresh has run), then reads.
        if await pending_jobs(app_sessionmaker, district_id):
            await relay_once(jobs_sessionmaker, broker)
        read = await gql(PRACTICE, {"id": practice["id"]}, token=token)
        return read["data"]["practice"]["adoptions"][0]["gains"]

    async def computed(expected):
        async def check():
            return await gains_of_adams() == expected

        return check

    # The adoption's own job: no values yet on either side.
    await eventually(
        await computed([{"measureId": ada, "before": None, "after": None, "gain": None}]),
        seconds=120,
    )

    # April-June before, July left out, August-October after: 80 -> 86.
    values = monthly(school, 2024, 4, [78, 80, 82, 10, 85, 86, 87])
    assert "errors" not in await record(gql, token, ada, values)

    await eventually(
        await computed([{"measureId": ada, "before": 80.0, "after": 86.0, "gain": 6.0}]),
        seconds=120,
    )
