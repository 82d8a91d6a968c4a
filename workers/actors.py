"""One Dramatiq actor per declared job (``district_ppm.jobs.registry``), all of one shape.

A message carries the district id and the job's payload as keyword arguments; the actor runs
the job's handler inside ``run_job`` (one tenant transaction under the district's lock, the run
logged in ``job_runs``). Nothing here names a job: adding one is a declaration in its area.
"""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from district_ppm.jobs import registry
from district_ppm.jobs.service import run_job
from workers.broker import broker
from workers.db import worker_sessionmaker

log = logging.getLogger(__name__)
broker.add_middleware(CurrentMessage())

RETRY: dict[str, Any] = {"max_retries": 8, "min_backoff": 1_000, "max_backoff": 300_000}
QUEUE = "rollups"


def _message_id() -> str:
    message = CurrentMessage.get_current_message()
    return message.message_id if message else "direct"


def _declare(job: registry.Job) -> dramatiq.Actor[..., Any]:
    accepted = set(inspect.signature(job.handler).parameters)

    async def perform(district_id: str, **payload: Any) -> None:
        # A message written by another build may carry a key this handler does not take:
        # retrying could never succeed, so the key is dropped (and logged), not fatal.
        unknown = sorted(set(payload) - accepted)
        if unknown:
            log.warning("job %s: ignoring payload keys %s", job.name, unknown)
        await run_job(
            sessionmaker=worker_sessionmaker(),
            district_id=uuid.UUID(district_id),
            actor_name=job.name,
            message_id=_message_id(),
            body=functools.partial(
                job.handler, **{k: v for k, v in payload.items() if k in accepted}
            ),
        )

    perform.__name__ = job.name
    perform.__doc__ = job.handler.__doc__
    declare = dramatiq.actor(actor_name=job.name, queue_name=QUEUE, **RETRY)
    return declare(perform)


ACTORS = {job.name: _declare(job) for job in registry.all_jobs()}


def check_actors() -> None:
    """At start-up: every declared job has its actor on the broker, and nothing else does."""
    declared = {job.name for job in registry.all_jobs()}
    on_broker = set(broker.actors)
    if declared != on_broker:
        raise RuntimeError(
            f"jobs without an actor: {sorted(declared - on_broker)}; "
            f"actors without a job: {sorted(on_broker - declared)}"
        )
