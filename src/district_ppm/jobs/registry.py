"""The job registry: every background job, declared next to the services it runs.

An area declares a job in its own ``jobs.py`` module, with one decorator::

    @job("refresh_measure_status", nightly=True)
    async def refresh_measure_status(session, district_id, *, measure_id=None, full=False): ...

The worker turns every declared job into a Dramatiq actor, the nightly scheduler queues the
``nightly`` ones (with ``full=True``) for every district, and ``enqueue_job`` refuses a name that
no area declared, so a typo fails where it is written instead of leaving a job nobody runs.

A job declared ``after="other_job"`` is queued (no payload) each time ``other_job`` succeeds, in
the same transaction: an area whose figures depend on another's (sustainability compliance on
the measures' status rows) follows it without the other area knowing. Without a payload a
follower covers its whole district; that is also how a nightly follower of a nightly job runs
each night (the scheduler leaves it to its leader). A handler that returns ``False`` says it
found nothing to do (a refresh whose work an earlier run already did): its followers are not
queued.

A job declared ``has_work="<SQL condition on :district_id>"`` is queued by the scheduler, and
after its leader, only for a district where the condition holds: it must be true whenever a
whole-district run could change anything (most districts use few areas, and a job that finds
nothing still costs a transaction). Jobs queued for a write are queued regardless.

A handler takes the tenant session, the district id and its payload as keyword arguments; it
runs inside ``run_job`` (one transaction, under the district's lock for that job), so it never
commits and must be idempotent: messages are delivered at least once.
"""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

JobHandler = Callable[..., Awaitable[bool | None]]  # False: nothing done, no followers


class UnknownJob(LookupError):
    """A job name that no area declared: a programming error, raised where it is used."""


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    handler: JobHandler
    nightly: bool  # queued for every district each night with ``full=True``
    after: str | None = None  # queued whenever this job succeeds
    has_work: str | None = None  # SQL: false where a whole-district run has nothing to do

    async def run(
        self, session: AsyncSession, district_id: uuid.UUID, **payload: Any
    ) -> bool | None:
        return await self.handler(session, district_id, **payload)


_jobs: dict[str, Job] = {}
_discovered = False


def job(
    name: str, *, nightly: bool = False, after: str | None = None, has_work: str | None = None
) -> Callable[[JobHandler], Job]:
    """Declare the decorated handler as the job ``name``."""

    def declare(handler: JobHandler) -> Job:
        if name in _jobs and _jobs[name].handler is not handler:
            raise ValueError(f"job {name!r} is declared twice")
        _jobs[name] = Job(
            name=name, handler=handler, nightly=nightly, after=after, has_work=has_work
        )
        return _jobs[name]

    return declare


def discover() -> None:
    """Import every area's ``jobs`` module, so that every job is declared."""
    global _discovered
    if _discovered:
        return
    import district_ppm

    for area in pkgutil.iter_modules(district_ppm.__path__):
        if area.ispkg and importlib.util.find_spec(f"district_ppm.{area.name}.jobs"):
            importlib.import_module(f"district_ppm.{area.name}.jobs")
    _discovered = True


def get_job(name: str) -> Job:
    discover()
    try:
        return _jobs[name]
    except KeyError:
        known = ", ".join(sorted(_jobs))
        raise UnknownJob(f"no job is declared as {name!r}; declared: {known}") from None


def all_jobs() -> list[Job]:
    discover()
    return sorted(_jobs.values(), key=lambda j: j.name)


def nightly_jobs() -> list[Job]:
    return [j for j in all_jobs() if j.nightly]


def followers_of(name: str) -> list[Job]:
    """The jobs declared ``after=name``; an ``after`` naming no job is refused here."""
    jobs = all_jobs()
    for each in jobs:
        if each.after is not None and each.after not in _jobs:
            raise UnknownJob(f"job {each.name!r} follows {each.after!r}, which is not declared")
    return [j for j in jobs if j.after == name]
