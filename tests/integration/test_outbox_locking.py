"""Enqueueing takes the outbox row locks at one point, in one order, just before commit.

Two transactions that queue the same jobs in opposite orders must both commit, not deadlock;
a job queued inside a rolled-back savepoint or transaction is not queued at all.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.jobs.service import enqueue_job

pytestmark = pytest.mark.asyncio


async def _pending(app_sessionmaker, district_id) -> list[tuple[str, str]]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = (
            await session.execute(
                select(OutboxMessage.actor_name, OutboxMessage.dedupe_key)
                .where(OutboxMessage.dispatched_at.is_(None))
                .order_by(OutboxMessage.actor_name, OutboxMessage.dedupe_key)
            )
        ).all()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("already_waiting", [False, True])
async def test_opposite_enqueue_orders_do_not_deadlock(factory, app_sessionmaker, already_waiting):
    district_id, _ = await factory.district()
    jobs = [("recount_schools", "job_a"), ("recount_schools", "job_b")]
    if already_waiting:  # both rows exist and wait: each enqueue would lock one
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            for actor, key in jobs:
                await enqueue_job(
                    session=session, district_id=district_id, actor_name=actor, dedupe_key=key
                )
            await session.commit()

    async def writer(order: list[tuple[str, str]], ready: asyncio.Event, go: asyncio.Event):
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            actor, key = order[0]
            await enqueue_job(
                session=session, district_id=district_id, actor_name=actor, dedupe_key=key
            )
            await session.flush()
            ready.set()
            await go.wait()
            actor, key = order[1]
            await enqueue_job(
                session=session, district_id=district_id, actor_name=actor, dedupe_key=key
            )
            await session.commit()

    ready_1, ready_2 = asyncio.Event(), asyncio.Event()
    both_ready = asyncio.Event()

    async def release() -> None:
        await ready_1.wait()
        await ready_2.wait()
        both_ready.set()

    # Given two transactions that have each queued one job, when each queues the other's
    # job and commits, then both commit (no deadlock) and each job waits exactly once.
    await asyncio.wait_for(
        asyncio.gather(
            writer(jobs, ready_1, both_ready),
            writer(jobs[::-1], ready_2, both_ready),
            release(),
        ),
        timeout=30,
    )

    assert await _pending(app_sessionmaker, district_id) == jobs


async def test_a_job_queued_in_a_rolled_back_savepoint_is_not_queued(factory, app_sessionmaker):
    district_id, _ = await factory.district()

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await enqueue_job(
            session=session,
            district_id=district_id,
            actor_name="recount_schools",
            dedupe_key="kept",
        )
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await enqueue_job(
                    session=session,
                    district_id=district_id,
                    actor_name="recount_schools",
                    dedupe_key="dropped",
                )
                raise RuntimeError("the savepoint's work fails")
        await session.commit()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await enqueue_job(
            session=session,
            district_id=district_id,
            actor_name="recount_schools",
            dedupe_key="rolled_back",
        )
        # leaving without a commit rolls back

    assert await _pending(app_sessionmaker, district_id) == [("recount_schools", "kept")]


async def test_a_job_dispatched_while_a_writer_is_open_is_queued_again_by_its_commit(
    factory, app_sessionmaker, jobs_sessionmaker
):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await enqueue_job(session=session, district_id=district_id, actor_name="recount_schools")
        await session.commit()

    async with tenant_transaction(app_sessionmaker, district_id) as writer:
        await enqueue_job(session=writer, district_id=district_id, actor_name="recount_schools")
        await writer.flush()
        # The relay hands the waiting job to the broker before the writer commits: that run
        # cannot see the writer's rows, so the writer's commit must leave a job waiting.
        async with jobs_sessionmaker() as relay, relay.begin():
            # The relay's own claim (its role's), limited to this district's jobs; a limit
            # past every job that earlier tests left waiting.
            waiting = list(
                await relay.scalars(
                    text("SELECT id FROM ppm_outbox_claim(100000) WHERE district_id = :d"),
                    {"d": district_id},
                )
            )
            await relay.execute(
                text("SELECT ppm_outbox_mark_dispatched(CAST(:ids AS uuid[]))"),
                {"ids": [str(job_id) for job_id in waiting]},
            )
        await writer.commit()

    assert await _pending(app_sessionmaker, district_id) == [("recount_schools", "district")]
