"""Measures, targets, measurements (with history) and the worker-maintained status rows."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Date

from district_ppm.analytics.aggregation import DERIVED_DECIMALS, Aggregation, round_half_up
from district_ppm.db.base import Base, TenantMixin

__all__ = ["Aggregation"]  # re-exported: the enum lives with its math


class Unit(enum.StrEnum):
    COUNT = "COUNT"
    PERCENT = "PERCENT"
    MINUTES = "MINUTES"
    HOURS = "HOURS"
    DOLLARS = "DOLLARS"
    RATIO = "RATIO"


class Direction(enum.StrEnum):
    HIGHER_IS_BETTER = "HIGHER_IS_BETTER"
    LOWER_IS_BETTER = "LOWER_IS_BETTER"


class Stage(enum.StrEnum):
    INPUT = "INPUT"
    ACTIVITY = "ACTIVITY"
    OUTPUT = "OUTPUT"
    SHORT_TERM_OUTCOME = "SHORT_TERM_OUTCOME"
    INTERMEDIATE_OUTCOME = "INTERMEDIATE_OUTCOME"
    LONG_TERM_OUTCOME = "LONG_TERM_OUTCOME"


class ScorecardView(enum.StrEnum):
    DASHBOARD = "DASHBOARD"
    SCOREBOARD = "SCOREBOARD"


# Logic-model order; also decides the view (DOMAIN.md: dashboard = input, activity, output).
STAGE_ORDER = list(Stage)
DASHBOARD_STAGES = frozenset({Stage.INPUT, Stage.ACTIVITY, Stage.OUTPUT})


def view_of(stage: Stage) -> ScorecardView:
    return ScorecardView.DASHBOARD if stage in DASHBOARD_STAGES else ScorecardView.SCOREBOARD


def stages_of(view: ScorecardView) -> list[Stage]:
    return [stage for stage in STAGE_ORDER if view_of(stage) is view]


class Frequency(enum.StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    SCHOOL_YEAR = "SCHOOL_YEAR"
    FISCAL_YEAR = "FISCAL_YEAR"


class MeasureLevel(enum.StrEnum):
    DISTRICT = "DISTRICT"
    SCHOOL = "SCHOOL"


def default_aggregation(unit: Unit) -> Aggregation:
    # Counts, hours and dollars add up across schools; rates and averages do not.
    if unit in (Unit.COUNT, Unit.HOURS, Unit.DOLLARS):
        return Aggregation.SUM
    return Aggregation.MEAN


def ratio_scale(unit: Unit) -> float:
    """What a RATIO aggregation multiplies Σnumerator / Σdenominator by: a percent is 100 times
    its quotient (183 of 200 days attended is 91.5); every other unit is the quotient itself."""
    return 100.0 if unit is Unit.PERCENT else 1.0


# DOMAIN.md: hours are rounded to two decimals after summing. Values are stored as written
# (the transportation worker's hours unrounded) and rounded where they are served: a
# district-wide value only after the schools' values are aggregated, so that the district's
# hours are the rounded sum, not a sum of rounded parts (0.12 + 0.12 for 7 + 7 minutes).
SERVED_DECIMALS = {Unit.HOURS: 2}


def served(unit: Unit, value: float) -> float:
    """A stored or aggregated value as the API shows it (HOURS to two decimals)."""
    decimals = SERVED_DECIMALS.get(unit)
    return value if decimals is None else round_half_up(value, decimals)


def served_aggregate(unit: Unit, value: float) -> float:
    """A district-wide value aggregated from the schools' values, as the API shows it: HOURS
    to two decimals, every other unit to ``DERIVED_DECIMALS`` (a sum or a mean of recorded
    values carries float noise, or more digits than anyone recorded)."""
    return round_half_up(value, SERVED_DECIMALS.get(unit, DERIVED_DECIMALS))


class Source(enum.StrEnum):
    MANUAL = "MANUAL"
    IMPORT = "IMPORT"
    COMPUTED = "COMPUTED"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32)


def fk_measure() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["district_id", "measure_id"], ["measures.district_id", "measures.id"], ondelete="CASCADE"
    )


def fk_school() -> ForeignKeyConstraint:
    # MATCH SIMPLE: a NULL school_id (district-wide row) skips the check, as intended.
    return ForeignKeyConstraint(
        ["district_id", "school_id"], ["schools.district_id", "schools.id"], ondelete="CASCADE"
    )


class Measure(TenantMixin, Base):
    __tablename__ = "measures"
    __table_args__ = (
        UniqueConstraint("district_id", "code"),
        ForeignKeyConstraint(
            ["district_id", "process_id"], ["processes.district_id", "processes.id"]
        ),
    )

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[Unit] = mapped_column(_enum(Unit, "measure_unit"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "measure_direction"))
    stage: Mapped[Stage] = mapped_column(_enum(Stage, "measure_stage"))
    frequency: Mapped[Frequency] = mapped_column(_enum(Frequency, "measure_frequency"))
    level: Mapped[MeasureLevel] = mapped_column(_enum(MeasureLevel, "measure_level"))
    aggregation: Mapped[Aggregation] = mapped_column(_enum(Aggregation, "measure_aggregation"))
    process_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    owner: Mapped[str | None] = mapped_column(String(200))
    data_source: Mapped[str | None] = mapped_column(String(200))

    @property
    def view(self) -> ScorecardView:
        return view_of(self.stage)


class Target(TenantMixin, Base):
    """A target for one school year, district-wide (school_id NULL) or for one school."""

    __tablename__ = "measure_targets"
    __table_args__ = (
        UniqueConstraint(
            "district_id",
            "measure_id",
            "school_id",
            "school_year",
            postgresql_nulls_not_distinct=True,
        ),
        fk_measure(),
        fk_school(),
    )

    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    school_year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    red_threshold: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)


class Measurement(TenantMixin, Base):
    """One value per (measure, school or district, period); rewriting the key replaces it."""

    __tablename__ = "measurements"
    district_implied_by = "measures"  # by fk_measure(): the import's hottest insert
    __table_args__ = (
        UniqueConstraint(
            "district_id",
            "measure_id",
            "school_id",
            "period_start",
            postgresql_nulls_not_distinct=True,
        ),
        # School comparisons read one period across every school.
        Index("ix_measurements_measure_period", "district_id", "measure_id", "period_start"),
        fk_measure(),
        fk_school(),
    )

    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    period_start: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    source: Mapped[Source] = mapped_column(_enum(Source, "measurement_source"))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MeasurementRevision(TenantMixin, Base):
    """A value that a later write replaced: what it was, who wrote it, when it was replaced.

    Written only by the ``measurements_keep_history`` trigger (migration 0010), from the row
    an UPDATE of ``measurements`` actually replaces.
    """

    __tablename__ = "measurement_revisions"
    __table_args__ = (
        Index("ix_measurement_revisions_measurement", "district_id", "measurement_id"),
        Index(
            "ix_measurement_revisions_key",
            "district_id",
            "measure_id",
            "period_start",
            "school_id",
            "replaced_at",
        ),
    )

    measurement_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    period_start: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    source: Mapped[Source] = mapped_column(_enum(Source, "measurement_source"))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_by: Mapped[str] = mapped_column(String(200))


class MeasureStatus(TenantMixin, Base):
    """Worker-computed: a measure's latest value, status and trend for one scope and year.

    ``school_id`` NULL is the district-wide row (a SCHOOL-level measure aggregated).
    """

    __tablename__ = "measure_statuses"
    __table_args__ = (
        UniqueConstraint(
            "district_id",
            "measure_id",
            "school_id",
            "school_year",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_measure_statuses_year", "district_id", "school_year", "school_id"),
        fk_measure(),
        fk_school(),
    )

    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    school_year: Mapped[int] = mapped_column(Integer)
    latest_period: Mapped[date | None] = mapped_column(Date)
    latest_value: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    red_threshold: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    trend: Mapped[str] = mapped_column(String(16))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PeriodCounts(Base):
    """Worker-computed: how many values each period of a measure holds, school values and
    whether a district-wide one (``measures.period_counts``): what data-entry reminders ask.

    One row per measure, its periods in order with the counts beside them; written by the
    status refresh in the transaction that takes the measure's dirty marks. A reader uses it
    only while the measure has no mark; a measure without a row is counted from the data.
    """

    __tablename__ = "measure_period_counts"
    __table_args__ = (fk_measure(),)

    district_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    periods: Mapped[list[date]] = mapped_column(ARRAY(Date))  # every period with a value
    schools: Mapped[list[int]] = mapped_column(ARRAY(Integer))  # school values of each
    district_wide: Mapped[list[bool]] = mapped_column(ARRAY(Boolean))  # a district-wide one


class MeasureDirtyMark(Base):
    """A measure whose data one writer transaction changed: its status rows need a refresh.

    Written in the writer's transaction (``measures.jobs.enqueue_refresh``); the status refresh
    takes (deletes) the marks it can see before it reads the data. ``marked_by`` is the
    writer's transaction id, so a write still uncommitted then never merges into a mark the
    refresh takes: it leaves a mark of its own for the next refresh.
    """

    __tablename__ = "measure_dirty_marks"
    __table_args__ = (fk_measure(),)

    district_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    marked_by: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, server_default=text("(pg_current_xact_id()::text::bigint)")
    )
