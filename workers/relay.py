"""The outbox relay: publishes committed jobs to the broker, at least once.

Rows are claimed with FOR UPDATE SKIP LOCKED (several relays may run), published, marked
dispatched, then committed. If the broker is unreachable nothing is marked and the rows wait
for the next pass: a Redis outage delays work but loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from dramatiq import Broker
from dramatiq.errors import ActorNotFound
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

log = logging.getLogger(__name__)

BATCH = 200


async def relay_once(sessionmaker: async_sessionmaker, broker: Broker) -> int:
    """Publish one batch of pending jobs; returns how many were published.

    ``sessionmaker`` connects as the job runner's role (``create_jobs_engine``): the claim and
    the mark work across districts, and only that role, never the API's, may call them.

    Jobs for actors this build lacks stay pending (and claimed, so another relay that has them
    takes them next time), but they must not hold the batch: when a whole batch is such jobs,
    the claim is widened past them, or one rolled-back deploy's jobs would stall all the work
    of every district behind them.
    """
    async with sessionmaker() as session, session.begin():
        held: set[str] = set()  # claimed here, no actor here
        while True:
            rows = (
                await session.execute(
                    text("SELECT * FROM ppm_outbox_claim(:n)"), {"n": BATCH + len(held)}
                )
            ).all()
            # The claim returns rows this transaction already holds again (its own locks do
            # not make it skip them); the ones it marked dispatched are no longer pending.
            fresh = [row for row in rows if str(row.id) not in held]
            if not fresh:
                return 0
            published = []
            for row in fresh:
                try:
                    actor = broker.get_actor(row.actor_name)
                except ActorNotFound:
                    # A job for an actor this build lacks (a newer deploy wrote it): leave it
                    # pending for a worker that has it, and keep the rest moving.
                    log.warning(
                        "outbox: no actor %r here; leaving job %s pending", row.actor_name, row.id
                    )
                    held.add(str(row.id))
                    continue
                message = actor.message_with_options(
                    kwargs={**row.payload, "district_id": str(row.district_id)},
                )
                # The outbox id is the message id: a redelivered job is recognisably the same.
                message = message.copy(message_id=str(row.id))
                await asyncio.to_thread(broker.enqueue, message)
                published.append(str(row.id))
            if published:
                await session.execute(
                    text("SELECT ppm_outbox_mark_dispatched(CAST(:ids AS uuid[]))"),
                    {"ids": published},
                )
                return len(published)


async def run_relay(
    sessionmaker: async_sessionmaker, broker: Broker, stop: asyncio.Event, poll_seconds: float
) -> None:
    backoff = poll_seconds
    while not stop.is_set():
        try:
            published = await relay_once(sessionmaker, broker)
            backoff = poll_seconds
        except Exception:
            log.warning("outbox relay failed; retrying in %.1fs", backoff, exc_info=True)
            published = 0
            backoff = min(backoff * 2, 30.0)
        if published == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
