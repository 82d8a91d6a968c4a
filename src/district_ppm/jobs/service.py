"""Enqueueing through the outbox, running a job, and the jobs' own bookkeeping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, TextClause, bindparam, event, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from district_ppm.db.tenancy import begin_with, end_reads, tenant_transaction
from district_ppm.jobs.models import JobRun, OutboxMessage
from district_ppm.jobs.registry import Job, followers_of, get_job

_PENDING = "district_ppm.outbox.pending"

# A job waiting to be written: its key (district, actor, dedupe key) -> payload, and the
# (possibly nested) transaction that asked for it.
_JobKey = tuple[str, str, str]


async def enqueue_job(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    actor_name: str,
    payload: dict[str, Any] | None = None,
    dedupe_key: str = "district",
) -> None:
    """Queue the job ``actor_name`` for ``district_id`` when the caller's transaction commits.

    ``actor_name`` is the name of a job declared in the registry (``some_job.name``); any
    other name is refused here, where it is written, not left in the outbox for nobody.

    While an equal job (same actor and dedupe key) is still waiting, this adds nothing: a burst
    of writes coalesces into one job. A job asked for inside a savepoint that rolls back, or a
    transaction that does not commit, is not queued.

    The outbox row is written just before the commit (``_write_outbox``), not here, and the
    waiting row is locked (a no-op update) rather than merely seen: the relay skips locked
    rows, so the job it stands for cannot be dispatched, and run, before the caller's writes
    commit; otherwise a job could run without seeing them and nothing would run again. Taking
    those locks at one point, last, in key order, is what keeps two transactions that queue
    the same jobs in opposite orders from deadlocking.
    """
    get_job(actor_name)
    sync = session.sync_session
    owner = sync.get_nested_transaction() or sync.get_transaction()
    pending: dict[_JobKey, tuple[dict[str, Any], Any]] = sync.info.setdefault(_PENDING, {})
    pending.setdefault((str(district_id), actor_name, dedupe_key), (payload or {}, owner))


# A waiting row with the same key absorbs the job; the no-op update locks it (see
# ``enqueue_job``). Built once: the nightly run queues a few thousand.
_OUTBOX_INSERT = text(
    "INSERT INTO outbox_messages "
    "(district_id, id, actor_name, payload, dedupe_key, attempts) "
    "VALUES (:district_id, :id, :actor_name, :payload, :dedupe_key, 0) "
    "ON CONFLICT (district_id, actor_name, dedupe_key) WHERE dispatched_at IS NULL "
    "DO UPDATE SET actor_name = excluded.actor_name"
).bindparams(bindparam("payload", type_=JSONB))


@event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    """Write the transaction's queued jobs, in key order, as its last statements."""
    if session.in_nested_transaction() or not session.info.get(_PENDING):
        return  # a savepoint's jobs belong to the enclosing transaction
    # The transaction's own rows first, so that no row lock is taken after an outbox lock.
    session.flush()
    pending: dict[_JobKey, tuple[dict[str, Any], Any]] = session.info.pop(_PENDING)
    for (district_id, actor_name, dedupe_key), (payload, _) in sorted(pending.items()):
        session.execute(
            _OUTBOX_INSERT,
            {
                "district_id": uuid.UUID(district_id),
                "id": uuid.uuid4(),
                "actor_name": actor_name,
                "payload": payload,
                "dedupe_key": dedupe_key,
            },
        )


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_jobs(session: Session, previous_transaction: Any) -> None:
    """Drop the jobs asked for in the transaction (or savepoint) that just rolled back."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    for key, (_, owner) in list(pending.items()):
        transaction = owner
        while transaction is not None:
            if transaction is previous_transaction:
                del pending[key]
                break
            transaction = transaction.parent


@event.listens_for(Session, "after_transaction_end")
def _forget_jobs_of_ended_transaction(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended, however it ended
        session.info.pop(_PENDING, None)


async def lock_district(session: AsyncSession, district_id: uuid.UUID, purpose: str) -> None:
    """Serialize one district's recomputes of one kind until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"{purpose}:{district_id}"},
    )


JobBody = Callable[[AsyncSession, uuid.UUID], Awaitable[bool | None]]

# A job's first statement: the tenant, and the district's lock for the job (``lock_district``'s
# key), in one round trip.
_BEGIN_JOB = text(
    "SELECT set_config('app.district_id', :district_id, true), "
    "pg_advisory_xact_lock(hashtext(:key))"
)


@asynccontextmanager
async def _job_transaction(
    sessionmaker: async_sessionmaker, district_id: uuid.UUID, actor_name: str
) -> AsyncIterator[AsyncSession]:
    """``tenant_transaction`` holding ``lock_district(session, district_id, actor_name)``."""
    session, _ = await begin_with(
        sessionmaker,
        _BEGIN_JOB,
        {"district_id": str(district_id), "key": f"{actor_name}:{district_id}"},
    )
    try:
        yield session
    finally:
        await end_reads(session)


async def run_job(
    *,
    sessionmaker: async_sessionmaker,
    district_id: uuid.UUID,
    actor_name: str,
    message_id: str,
    body: JobBody,
) -> None:
    """Run ``body`` in one tenant transaction under the district's lock, and log the outcome.

    The jobs declared to follow ``actor_name`` are queued in the same transaction, unless
    ``body`` returned ``False`` (it found nothing to do, so nothing downstream changed).

    A failure is recorded in its own transaction and re-raised so the broker retries.
    """
    started = datetime.now(UTC)
    try:
        async with _job_transaction(sessionmaker, district_id, actor_name) as session:
            outcome = await body(session, district_id)
            followers = followers_of(actor_name) if outcome is not False else []
            for follower in await jobs_with_work(session, district_id, followers):
                await enqueue_job(
                    session=session,
                    district_id=district_id,
                    actor_name=follower.name,
                    dedupe_key=f"after:{actor_name}",
                )
            await _log_run(session, district_id, actor_name, message_id, started, None)
            await session.commit()
    except Exception as error:
        async with tenant_transaction(sessionmaker, district_id) as session:
            await _log_run(session, district_id, actor_name, message_id, started, repr(error))
            await session.commit()
        raise


# Built once, run with bound parameters.
_LOG_RUN = insert(cast(Table, JobRun.__table__))


async def _log_run(
    session: AsyncSession,
    district_id: uuid.UUID,
    actor_name: str,
    message_id: str,
    started: datetime,
    error: str | None,
) -> None:
    """One ``job_runs`` row; ``error`` None: the job succeeded. A Core insert: the nightly run
    logs thousands, and the ORM's unit of work for each cost more than most jobs' bodies."""
    await session.execute(
        _LOG_RUN,
        {
            "id": uuid.uuid4(),
            "district_id": district_id,
            "actor_name": actor_name,
            "message_id": message_id,
            "status": "succeeded" if error is None else "failed",
            "started_at": started,
            "finished_at": datetime.now(UTC),
            "error": error,
        },
    )


async def jobs_with_work(
    session: AsyncSession, district_id: uuid.UUID, jobs: Sequence[Job]
) -> list[Job]:
    """``jobs`` less those whose ``has_work`` condition is false for the district (all the
    conditions in one statement, in the caller's tenant transaction)."""
    conditional = [job for job in jobs if job.has_work]
    if not conditional:
        return list(jobs)
    found = (
        await session.execute(
            _has_work_statement(tuple(job.has_work for job in conditional)),  # type: ignore[misc]
            {"district_id": district_id},
        )
    ).one()
    idle = {job.name for job, has_work in zip(conditional, found, strict=True) if not has_work}
    return [job for job in jobs if job.name not in idle]


@lru_cache(maxsize=64)
def _has_work_statement(conditions: tuple[str, ...]) -> TextClause:
    """One statement for the conditions, made once per set (the nightly run asks thousands of
    times for the same few)."""
    return text("SELECT " + ", ".join(f"({condition})" for condition in conditions))


async def pending_jobs(*, session: AsyncSession, district_id: uuid.UUID) -> list[OutboxMessage]:
    return list(
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.district_id == district_id, OutboxMessage.dispatched_at.is_(None))
            .order_by(OutboxMessage.created_at)
        )
    )
