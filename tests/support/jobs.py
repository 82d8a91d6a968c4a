"""Jobs in tests: what is pending or marked, and a job's actor relayed and run by hand."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.jobs.service import run_job
from district_ppm.measures.jobs import refresh_measure_status_job
from district_ppm.measures.models import MeasureDirtyMark


async def pending_jobs(app_sessionmaker, district_id) -> list[tuple[str, dict]]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None))
        )
        return [(m.actor_name, m.payload) for m in rows]


async def marked_measures(app_sessionmaker, district_id) -> list[str]:
    """The measures marked for the district's next status refresh."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.scalars(select(MeasureDirtyMark.measure_id).distinct())
        return sorted(str(measure_id) for measure_id in rows)


async def stored_period_counts(app_sessionmaker, district_id) -> dict[str, tuple]:
    """The periods' counts the status refresh stored (measures.period_counts), by measure:
    (periods, school values of each, a district-wide value in each)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text("SELECT measure_id, periods, schools, district_wide FROM measure_period_counts")
        )
        return {str(row[0]): tuple(row[1:]) for row in rows}


@dataclass(frozen=True)
class HandRun:
    """A job's actor as the relay and the worker run it, step by step, so that a test can
    race its runs against writers: ``job`` is the ``@job`` (its name and handler)."""

    job: Any

    async def dispatch_pending(self, app_sessionmaker: Any, district_id: uuid.UUID) -> list[Any]:
        """What the relay does with the district's pending messages: mark them dispatched."""
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            rows = (
                await session.execute(
                    text(
                        "UPDATE outbox_messages SET dispatched_at = now(), "
                        "attempts = attempts + 1 WHERE district_id = :district_id "
                        "AND actor_name = :actor AND dispatched_at IS NULL RETURNING id, payload"
                    ),
                    {"district_id": district_id, "actor": self.job.name},
                )
            ).all()
            await session.commit()
        return rows

    async def run(self, app_sessionmaker: Any, district_id: uuid.UUID, message_id: str) -> None:
        """What the worker's actor does with a message."""
        handler: Callable[..., Any] = self.job.handler
        await run_job(
            sessionmaker=app_sessionmaker,
            district_id=district_id,
            actor_name=self.job.name,
            message_id=message_id,
            body=handler,
        )

    async def drain(self, app_sessionmaker: Any, district_id: uuid.UUID) -> int:
        """Relay and run the district's messages until none waits; how many ran."""
        ran = 0
        while rows := await self.dispatch_pending(app_sessionmaker, district_id):
            for row in rows:
                await self.run(app_sessionmaker, district_id, str(row.id))
                ran += 1
        return ran


async def run_refresh_job(app_sessionmaker: Any, district_id: uuid.UUID, full: bool) -> None:
    """The status refresh job run as the worker runs it: ``full`` as the nightly run (which
    stores every measure's missing latest chart point), else the marked measures only."""

    async def body(session: Any, district_id: uuid.UUID) -> None:
        await refresh_measure_status_job.handler(session, district_id, full=full)

    await run_job(
        sessionmaker=app_sessionmaker,
        district_id=district_id,
        actor_name=refresh_measure_status_job.name,
        message_id=f"test-{uuid.uuid4()}",
        body=body,
    )


async def stored_series(app_sessionmaker, district_id) -> dict[tuple, tuple]:
    """The control series the status refresh stored (measures.series_signals), by (measure,
    school or None): (periods, values, out of control when cut at each period)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text(
                "SELECT measure_id, school_id, periods, vals, out_of_control "
                "FROM measure_series_signals"
            )
        )
        return {(row[0], row[1]): tuple(row[2:]) for row in rows}
