"""Practices (what a project proved), the measures that show their effect, and adoptions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin


def fk_practice() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["district_id", "practice_id"],
        ["practices.district_id", "practices.id"],
        ondelete="CASCADE",
    )


class Practice(TenantMixin, Base):
    __tablename__ = "practices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["district_id", "project_id"], ["projects.district_id", "projects.id"]
        ),
    )

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_by: Mapped[str] = mapped_column(String(200))


class PracticeMeasure(TenantMixin, Base):
    """A measure that shows the practice's effect (its adoptions' gains are computed on it)."""

    __tablename__ = "practice_measures"
    district_implied_by = "practices"
    __table_args__ = (
        UniqueConstraint("district_id", "practice_id", "measure_id"),
        fk_practice(),
        ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            ondelete="CASCADE",
        ),
    )

    practice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Adoption(TenantMixin, Base):
    """A school that took up the practice, and from when."""

    __tablename__ = "adoptions"
    district_implied_by = "practices"
    __table_args__ = (
        UniqueConstraint("district_id", "practice_id", "school_id"),
        fk_practice(),
        ForeignKeyConstraint(
            ["district_id", "school_id"], ["schools.district_id", "schools.id"], ondelete="CASCADE"
        ),
    )

    practice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    adopted_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))


class AdoptionGain(TenantMixin, Base):
    """Worker-computed: one adoption's gain on one SCHOOL-level measure of its practice.

    Rewritten as a whole by ``compute_adoption_gains``; figures are rounded as
    ``analytics.adoption`` documents (None where a side has fewer than three values).
    """

    __tablename__ = "adoption_gains"
    district_implied_by = "adoptions"
    __table_args__ = (
        UniqueConstraint("district_id", "adoption_id", "measure_id"),
        ForeignKeyConstraint(
            ["district_id", "adoption_id"],
            ["adoptions.district_id", "adoptions.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            ondelete="CASCADE",
        ),
    )

    adoption_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    before: Mapped[float | None] = mapped_column(Float)
    after: Mapped[float | None] = mapped_column(Float)
    gain: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
