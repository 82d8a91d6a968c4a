"""Sustainability plans (one per project), their control measures, reviews, and stored verdicts."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.analytics.compliance import ComplianceStatus
from district_ppm.db.base import Base, TenantMixin
from district_ppm.measures.models import Frequency


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32)


def fk_plan() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["district_id", "plan_id"],
        ["sustainability_plans.district_id", "sustainability_plans.id"],
        ondelete="CASCADE",
    )


class SustainabilityPlan(TenantMixin, Base):
    """How a project's gains are held: control measures, a review cadence, a response plan.

    One plan per project. The plan is checked from ``start_date`` for ``duration_months``
    months (open-ended when NULL), whatever the project's phase, CLOSED included.
    """

    __tablename__ = "sustainability_plans"
    district_implied_by = "projects"
    __table_args__ = (
        UniqueConstraint("district_id", "project_id"),
        ForeignKeyConstraint(
            ["district_id", "project_id"],
            ["projects.district_id", "projects.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("duration_months BETWEEN 1 AND 600", name="duration_months_range"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    owner: Mapped[str] = mapped_column(String(200))
    review_cadence: Mapped[Frequency] = mapped_column(_enum(Frequency, "measure_frequency"))
    start_date: Mapped[date] = mapped_column(Date)
    duration_months: Mapped[int | None] = mapped_column(Integer)
    response_plan: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))


class PlanMeasure(TenantMixin, Base):
    """A control measure of a plan; ``target`` overrides the measure's own targets when set."""

    __tablename__ = "sustainability_plan_measures"
    district_implied_by = "sustainability_plans"
    __table_args__ = (
        UniqueConstraint("district_id", "plan_id", "measure_id"),
        fk_plan(),
        ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            ondelete="CASCADE",
        ),
        Index("ix_sustainability_plan_measures_measure", "district_id", "measure_id"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    position: Mapped[int] = mapped_column(Integer)  # the order the plan lists its measures in
    target: Mapped[float | None] = mapped_column(Float)


class SustainabilityReview(TenantMixin, Base):
    """One review of a plan: when, by whom, what was found."""

    __tablename__ = "sustainability_reviews"
    district_implied_by = "sustainability_plans"
    __table_args__ = (
        fk_plan(),
        Index("ix_sustainability_reviews_plan", "district_id", "plan_id", "reviewed_on"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    reviewed_on: Mapped[date] = mapped_column(Date)
    reviewer: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class PlanCompliance(TenantMixin, Base):
    """The worker's latest verdict on a plan, as of ``as_of`` (one row per plan)."""

    __tablename__ = "plan_compliance"
    district_implied_by = "sustainability_plans"
    __table_args__ = (UniqueConstraint("district_id", "plan_id"), fk_plan())

    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[ComplianceStatus] = mapped_column(_enum(ComplianceStatus, "compliance_status"))
    failed_checks: Mapped[list[str]] = mapped_column(ARRAY(Text))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanVerdictStep(TenantMixin, Base):
    """Worker-computed: a plan's verdict on every date of ``[valid_from, valid_until)``
    (``valid_until`` NULL: through the history's horizon), as computed from the inputs of the
    ``VerdictHistoryState``'s version (``sustainability.history``)."""

    __tablename__ = "plan_verdict_history"
    district_implied_by = "sustainability_plans"
    __table_args__ = (UniqueConstraint("district_id", "plan_id", "valid_from"), fk_plan())

    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # exclusive
    status: Mapped[ComplianceStatus] = mapped_column(_enum(ComplianceStatus, "compliance_status"))
    failed_checks: Mapped[list[str]] = mapped_column(ARRAY(Text))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VerdictHistoryState(Base):
    """One row per district with a verdict history: the inputs version its ranges were
    computed at (a read serves them only while it is the district's) and the last day they
    cover."""

    __tablename__ = "verdict_history_state"

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    inputs_version: Mapped[int] = mapped_column(BigInteger)
    horizon: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
