"""The savings ledger, what finance reinvested from it, and the roll-ups the worker stores.

The ledger is append-mostly: an entry's status moves forward (PROJECTED -> REALIZED ->
VALIDATED) and an unvalidated entry's amount may be corrected, but a VALIDATED entry, a
reversal and a reversed entry never change again (a trigger refuses it too, migration 0013);
a correction is a new reversing entry. Nothing is ever deleted by the application.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin


class SavingsCategory(enum.StrEnum):
    HARD = "HARD"  # money no longer spent: USD
    COST_AVOIDANCE = "COST_AVOIDANCE"  # money that would have been spent: USD
    SOFT = "SOFT"  # capacity freed (staff time or its value): USD or HOURS
    INSTRUCTIONAL_TIME = "INSTRUCTIONAL_TIME"  # student instructional hours recovered: HOURS


class SavingsStatus(enum.StrEnum):
    PROJECTED = "PROJECTED"
    REALIZED = "REALIZED"
    VALIDATED = "VALIDATED"


class SavingsUnit(enum.StrEnum):
    USD = "USD"
    HOURS = "HOURS"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32)


# Entries hold one amount (at most 999,999,999.99); sums over a district's ledger need room.
AMOUNT = Numeric(14, 2)
SUM = Numeric(18, 2)


class SavingsEntry(TenantMixin, Base):
    """One claimed saving of a project, or the reversal of one (``reverses_id`` set)."""

    __tablename__ = "savings_entries"
    district_implied_by = "projects"
    __table_args__ = (
        ForeignKeyConstraint(
            ["district_id", "project_id"],
            ["projects.district_id", "projects.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["district_id", "school_id"], ["schools.district_id", "schools.id"]),
        ForeignKeyConstraint(
            ["district_id", "adoption_id"], ["adoptions.district_id", "adoptions.id"]
        ),
        ForeignKeyConstraint(
            ["district_id", "reverses_id"], ["savings_entries.district_id", "savings_entries.id"]
        ),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year_range"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_1_to_12"),
        # An entry is reversed at most once, whatever runs concurrently.
        Index(
            "uq_savings_entries_reverses_id",
            "district_id",
            "reverses_id",
            unique=True,
            postgresql_where=text("reverses_id IS NOT NULL"),
        ),
        Index("ix_savings_entries_fiscal_year", "district_id", "fiscal_year"),
        Index("ix_savings_entries_project", "district_id", "project_id"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    adoption_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    category: Mapped[SavingsCategory] = mapped_column(_enum(SavingsCategory, "savings_category"))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    unit: Mapped[SavingsUnit] = mapped_column(_enum(SavingsUnit, "savings_unit"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int | None] = mapped_column(Integer)  # calendar month (1-12) in the fiscal year
    status: Mapped[SavingsStatus] = mapped_column(_enum(SavingsStatus, "savings_status"))
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why a reversal was made
    recorded_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(200))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    validated_by: Mapped[str | None] = mapped_column(String(200))


class SavingsAllocation(TenantMixin, Base):
    """Validated savings of one fiscal year reinvested in an INSTRUCTIONAL process."""

    __tablename__ = "savings_allocations"
    __table_args__ = (
        # No cascade: what was reinvested stays on the books whatever becomes of the process.
        ForeignKeyConstraint(
            ["district_id", "process_id"], ["processes.district_id", "processes.id"]
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_savings_allocations_fiscal_year", "district_id", "fiscal_year", "unit"),
    )

    fiscal_year: Mapped[int] = mapped_column(Integer)
    process_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    unit: Mapped[SavingsUnit] = mapped_column(_enum(SavingsUnit, "savings_unit"))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    note: Mapped[str | None] = mapped_column(Text)
    allocated_by: Mapped[str] = mapped_column(String(200))


class SavingsCategoryRollup(Base):
    """``savingsSummary.rows``: one fiscal year's net amount by category, status and unit."""

    __tablename__ = "savings_category_rollups"

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(SUM)
    entries: Mapped[int] = mapped_column(Integer)


class SavingsRollup(Base):
    """One fiscal year's totals for one project, process, school, practice or adoption
    (``grouping``; ``group_key`` is its id). Reversals are netted in every figure."""

    __tablename__ = "savings_rollups"

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    grouping: Mapped[str] = mapped_column(String(16), primary_key=True)
    group_key: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    hard_validated: Mapped[Decimal] = mapped_column(SUM)  # HARD, VALIDATED, USD
    total_usd: Mapped[Decimal] = mapped_column(SUM)  # USD, REALIZED or VALIDATED
    validated_usd: Mapped[Decimal] = mapped_column(SUM)  # USD, VALIDATED
    total_hours: Mapped[Decimal] = mapped_column(SUM)  # HOURS, REALIZED or VALIDATED
    validated_hours: Mapped[Decimal] = mapped_column(SUM)  # HOURS, VALIDATED
    entries: Mapped[int] = mapped_column(Integer)


class SavingsRollupState(Base):
    """When the district's savings roll-ups were last computed (``computedAt``)."""

    __tablename__ = "savings_rollup_state"

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entries: Mapped[int] = mapped_column(Integer)
