"""Schools and enrollment."""

from __future__ import annotations

import enum
import uuid
from datetime import time

from sqlalchemy import Enum, ForeignKeyConstraint, Integer, String, Time, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin


class SchoolLevel(enum.StrEnum):
    ELEMENTARY = "ELEMENTARY"
    MIDDLE = "MIDDLE"
    HIGH = "HIGH"
    OTHER = "OTHER"


class School(TenantMixin, Base):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("district_id", "nces_id"),)

    name: Mapped[str] = mapped_column(String(200))
    nces_id: Mapped[str | None] = mapped_column(String(12))
    level: Mapped[SchoolLevel] = mapped_column(
        Enum(SchoolLevel, name="school_level", native_enum=False, length=16)
    )
    first_bell: Mapped[time] = mapped_column(Time)


class SchoolEnrollment(Base):
    """Enrollment of one school in one school year (named by the year it ends)."""

    __tablename__ = "school_enrollments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["district_id", "school_id"], ["schools.district_id", "schools.id"], ondelete="CASCADE"
        ),
    )

    district_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    school_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    school_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment: Mapped[int] = mapped_column(Integer)
