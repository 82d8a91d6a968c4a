"""Bus routes, bus runs, and the time-loss roll-ups the worker keeps for them.

Runs are keyed by what they are, ``(district, route, service date)``, rather than by a
surrogate id: writing the same run again replaces it, and the key is the index that
incremental recomputes read ranges of.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin


class BusRoute(TenantMixin, Base):
    __tablename__ = "bus_routes"
    __table_args__ = (
        UniqueConstraint("district_id", "code"),
        ForeignKeyConstraint(
            ["district_id", "school_id"],
            ["schools.district_id", "schools.id"],
            ondelete="CASCADE",
        ),
    )

    code: Mapped[str] = mapped_column(String(50))
    school_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    riders: Mapped[int] = mapped_column(Integer)


class BusRun(Base):
    """One arrival. ``riders`` is the count on board that day (the route's when not given),
    fixed when the run is written so that later route changes do not rewrite history.

    No foreign keys, on purpose: a row-by-row referential check would cost more than the rest
    of a bulk import together. Every write path joins ``bus_routes`` of the same district in
    the writing statement, and the application role may delete no route, so no run can refer
    to a missing one; removing a district (an operator's act) deletes its runs explicitly.
    """

    __tablename__ = "bus_runs"

    district_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    route_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    service_date: Mapped[date] = mapped_column(Date, primary_key=True)
    scheduled_arrival: Mapped[time] = mapped_column(Time)
    actual_arrival: Mapped[time] = mapped_column(Time)
    riders: Mapped[int] = mapped_column(Integer)


class BusRunDirtyMonth(Base):
    """One route's months, ``first_month`` through ``last_month``, whose runs one writer
    transaction changed since the roll-ups were last computed.

    Written in the writer's transaction, drained by the recompute in its own: a crash before
    the recompute commits leaves the marks in place, so no change is ever forgotten.
    ``marked_by`` is the writer's transaction id (the column's default), so a write still
    uncommitted when the recompute takes the marks never merges into a mark it takes: it
    leaves a mark of its own for the next recompute (migration 0022). The importer marks one
    span per route of its file, the ``recordBusRuns`` service each changed month: a month of
    a span with no run of the route rebuilds to nothing (migration 0026).
    """

    __tablename__ = "bus_run_dirty_months"

    __table_args__ = (
        ForeignKeyConstraint(
            ["district_id", "route_id"],
            ["bus_routes.district_id", "bus_routes.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("first_month <= last_month", name="span_in_order"),
    )

    # No foreign key of its own to districts: the route's key implies the district, and a
    # bulk import writes a mark per route (migration 0023).
    district_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    route_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    first_month: Mapped[date] = mapped_column(Date, primary_key=True)
    last_month: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_by: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, server_default=text("(pg_current_xact_id()::text::bigint)")
    )


class TimeLossRouteMonth(Base):
    """Sums of one route's runs in one month: the grain that incremental recomputes rebuild."""

    __tablename__ = "time_loss_route_months"

    __table_args__ = (
        ForeignKeyConstraint(
            ["district_id", "route_id"],
            ["bus_routes.district_id", "bus_routes.id"],
            ondelete="CASCADE",
        ),
        # Roll-ups of one school year are read and rebuilt together.
        Index("ix_time_loss_route_months_school_year", "district_id", "school_year"),
    )

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    route_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_year: Mapped[int] = mapped_column(Integer)
    runs: Mapped[int] = mapped_column(Integer)
    late_instances: Mapped[int] = mapped_column(Integer)
    late_minutes: Mapped[int] = mapped_column(BigInteger)
    instructional_minutes_lost: Mapped[int] = mapped_column(BigInteger)
    student_instructional_minutes_lost: Mapped[int] = mapped_column(BigInteger)


class TimeLossRollup(Base):
    """One row of ``instructionalTimeLost``: a school year's sums for one school, route or
    month (``grouping``), or for the whole district (grouping ``DISTRICT``, empty key)."""

    __tablename__ = "time_loss_rollups"

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    school_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    grouping: Mapped[str] = mapped_column(String(16), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer)
    late_instances: Mapped[int] = mapped_column(Integer)
    late_minutes: Mapped[int] = mapped_column(BigInteger)
    instructional_minutes_lost: Mapped[int] = mapped_column(BigInteger)
    student_instructional_minutes_lost: Mapped[int] = mapped_column(BigInteger)


class TimeLossState(Base):
    """When the district's roll-ups were last computed, and with which grace."""

    __tablename__ = "time_loss_state"

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    grace_minutes: Mapped[int] = mapped_column(Integer)
