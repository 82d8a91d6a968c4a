"""The outbox: jobs written in the same transaction as the data they concern."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin


class OutboxMessage(TenantMixin, Base):
    """A job waiting to be handed to the broker.

    Rows are written by the transaction that causes the work, so a rollback drops the job and
    a commit guarantees it; the relay publishes pending rows and marks them dispatched. A
    pending row with the same ``dedupe_key`` absorbs later writes: a burst of writes becomes
    one job.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(
            "uq_outbox_pending_dedupe",
            "district_id",
            "actor_name",
            "dedupe_key",
            unique=True,
            postgresql_where=text("dispatched_at IS NULL"),
        ),
        Index("ix_outbox_pending", "created_at", postgresql_where=text("dispatched_at IS NULL")),
        # The nightly purge of dispatched rows older than the retention (ppm_purge_job_history).
        Index(
            "ix_outbox_messages_dispatched_at",
            "dispatched_at",
            postgresql_where=text("dispatched_at IS NOT NULL"),
        ),
    )

    actor_name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class JobRun(TenantMixin, Base):
    """The outcome of one job: when it ran, whether it failed, and why."""

    __tablename__ = "job_runs"
    # The nightly purge of runs older than the retention (ppm_purge_job_history).
    __table_args__ = (Index("ix_job_runs_finished_at", "finished_at"),)

    actor_name: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # succeeded | failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class DistrictStats(Base):
    """The foundation's proof-of-path roll-up: schools per district, computed by a worker."""

    __tablename__ = "district_stats"

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    school_count: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
