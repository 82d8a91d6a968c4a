"""Opportunities, DMAIC projects, the schools a project covers, and its tollgate history."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Computed,
    DateTime,
    Enum,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin


class Phase(enum.StrEnum):
    DEFINE = "DEFINE"
    MEASURE = "MEASURE"
    ANALYZE = "ANALYZE"
    IMPROVE = "IMPROVE"
    CONTROL = "CONTROL"
    CLOSED = "CLOSED"


PHASE_ORDER = list(Phase)


class OpportunitySource(enum.StrEnum):
    OFF_TARGET_KPI = "OFF_TARGET_KPI"
    CTQ_GAP = "CTQ_GAP"
    STAFF_IDEA = "STAFF_IDEA"
    AUDIT = "AUDIT"
    OTHER = "OTHER"


class OpportunityStatus(enum.StrEnum):
    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    CONVERTED = "CONVERTED"
    DECLINED = "DECLINED"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32)


def fk_project() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["district_id", "project_id"], ["projects.district_id", "projects.id"], ondelete="CASCADE"
    )


class Project(TenantMixin, Base):
    """A DMAIC project: its charter, where it stands, and the tollgate it waits at, if any."""

    __tablename__ = "projects"
    __table_args__ = (
        ForeignKeyConstraint(
            ["district_id", "process_id"], ["processes.district_id", "processes.id"]
        ),
        ForeignKeyConstraint(
            ["district_id", "primary_measure_id"], ["measures.district_id", "measures.id"]
        ),
    )

    title: Mapped[str] = mapped_column(String(200))
    problem_statement: Mapped[str] = mapped_column(Text)
    goal_statement: Mapped[str] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(Text)
    process_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    primary_measure_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    # The school year the baseline describes; claims are checked against the change since.
    baseline_school_year: Mapped[int | None] = mapped_column(Integer)
    sponsor: Mapped[str | None] = mapped_column(String(200))
    lead: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    phase: Mapped[Phase] = mapped_column(_enum(Phase, "project_phase"))
    created_by: Mapped[str] = mapped_column(String(200))
    # Set by requestTollgate, cleared when advanceProjectPhase passes the tollgate.
    tollgate_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tollgate_requested_by: Mapped[str | None] = mapped_column(String(200))
    tollgate_request_note: Mapped[str | None] = mapped_column(Text)


class ProjectSchool(TenantMixin, Base):
    """A school the project covers (its charter's scope)."""

    __tablename__ = "project_schools"
    district_implied_by = "projects"
    __table_args__ = (
        UniqueConstraint("district_id", "project_id", "school_id"),
        fk_project(),
        ForeignKeyConstraint(
            ["district_id", "school_id"], ["schools.district_id", "schools.id"], ondelete="CASCADE"
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class ProjectTollgate(TenantMixin, Base):
    """One phase move: who passed the tollgate, when, with what note."""

    __tablename__ = "project_tollgates"
    district_implied_by = "projects"
    __table_args__ = (
        fk_project(),
        Index("ix_project_tollgates_project", "district_id", "project_id", "approved_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    from_phase: Mapped[Phase] = mapped_column(_enum(Phase, "project_phase"))
    to_phase: Mapped[Phase] = mapped_column(_enum(Phase, "project_phase"))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str | None] = mapped_column(String(200))


PRIORITY_SQL = "round((impact * alignment)::numeric / effort, 4)"


class Opportunity(TenantMixin, Base):
    """An improvement idea, scored 1-5 on impact, effort and alignment; may become a project."""

    __tablename__ = "opportunities"
    __table_args__ = (
        ForeignKeyConstraint(
            ["district_id", "process_id"], ["processes.district_id", "processes.id"]
        ),
        ForeignKeyConstraint(
            ["district_id", "measure_id"], ["measures.district_id", "measures.id"]
        ),
        ForeignKeyConstraint(
            ["district_id", "project_id"], ["projects.district_id", "projects.id"]
        ),
        CheckConstraint("impact BETWEEN 1 AND 5", name="impact_1_to_5"),
        CheckConstraint("effort BETWEEN 1 AND 5", name="effort_1_to_5"),
        CheckConstraint("alignment BETWEEN 1 AND 5", name="alignment_1_to_5"),
    )

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[OpportunitySource] = mapped_column(
        _enum(OpportunitySource, "opportunity_source")
    )
    process_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    measure_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    impact: Mapped[int] = mapped_column(Integer)
    effort: Mapped[int] = mapped_column(Integer)
    alignment: Mapped[int] = mapped_column(Integer)
    estimated_savings: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # impact * alignment / effort to 4 decimals (scoring.priority_score says why that is exact
    # enough to rank by); stored so the list pages by it (migration 0016).
    priority_score: Mapped[Decimal] = mapped_column(
        Numeric(8, 4), Computed(PRIORITY_SQL, persisted=True)
    )
    status: Mapped[OpportunityStatus] = mapped_column(
        _enum(OpportunityStatus, "opportunity_status")
    )
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_by: Mapped[str] = mapped_column(String(200))


# The list's order: highest priority first, ties by creation (then id, for a total order).
Index(
    "ix_opportunities_priority",
    Opportunity.district_id,
    Opportunity.priority_score.desc(),
    Opportunity.created_at,
    Opportunity.id,
)
