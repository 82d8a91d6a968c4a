"""What people add to a measure's series: annotations, chart rebases and point exclusions."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Boolean, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Date

from district_ppm.db.base import Base, TenantMixin
from district_ppm.measures.models import fk_measure, fk_school


class Annotation(TenantMixin, Base):
    """A dated note on a series ("new routing software"), district-wide or for one school."""

    __tablename__ = "measure_annotations"
    __table_args__ = (fk_measure(), fk_school())

    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    occurred_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))


class ChartRebase(TenantMixin, Base):
    """The chart starts (and takes its baseline) from ``start_period``; the newest one wins.

    Rows are never deleted, so every earlier baseline and its reason stays on record.
    """

    __tablename__ = "control_chart_rebases"
    __table_args__ = (
        fk_measure(),
        fk_school(),
        # Readers look for each measure's newest one.
        Index(
            "ix_control_chart_rebases_measure",
            "district_id",
            "measure_id",
            "school_id",
            "created_at",
        ),
    )

    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    start_period: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))


class ChartExclusion(TenantMixin, Base):
    """A point left out of the limits and the signal rules, with the reason why."""

    __tablename__ = "control_chart_exclusions"
    __table_args__ = (
        UniqueConstraint(
            "district_id",
            "measure_id",
            "school_id",
            "period_start",
            postgresql_nulls_not_distinct=True,
        ),
        fk_measure(),
        fk_school(),
    )

    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    period_start: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))


class ChartSignal(Base):
    """Worker-computed: the latest point of a measure's district-wide chart and whether it is
    unfavorable, with the chart settings it was computed from (``measures.latest_points``).

    Written by the status refresh in the transaction that takes the measure's dirty marks; a
    reader uses it only while the measure has no mark and the settings are still these.
    """

    __tablename__ = "measure_chart_signals"
    __table_args__ = (fk_measure(),)

    district_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    latest_period: Mapped[date | None] = mapped_column(Date)  # None: an empty chart
    unfavorable: Mapped[bool] = mapped_column(Boolean)
    rebase_start: Mapped[date | None] = mapped_column(Date)  # the newest district-wide rebase
    exclusions: Mapped[list[date]] = mapped_column(ARRAY(Date))  # district-wide, in order


class SeriesSignals(TenantMixin, Base):
    """Worker-computed: one series of a control measure (district-wide, or one school's) as
    its chart told it at each of its periods (``measures.series_signals``): the periods and
    served values in order, whether the chart cut at each period had an unfavorable point
    among its last six, and the chart settings of the series it was computed with.

    Written by the status refresh in the transaction that takes the measure's dirty marks,
    for the measures sustainability plans check; a reader uses a row only while the measure
    has no mark and the settings are still these.
    """

    __tablename__ = "measure_series_signals"
    district_implied_by = "measures"
    __table_args__ = (
        UniqueConstraint(
            "district_id", "measure_id", "school_id", postgresql_nulls_not_distinct=True
        ),
        fk_measure(),
        fk_school(),
    )

    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    school_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: district
    periods: Mapped[list[date]] = mapped_column(ARRAY(Date))  # every period with a value
    vals: Mapped[list[float]] = mapped_column(ARRAY(Float))  # served, as the verdicts read
    out_of_control: Mapped[list[bool]] = mapped_column(ARRAY(Boolean))  # cut at each period
    rebase_start: Mapped[date | None] = mapped_column(Date)  # the series' newest rebase
    exclusions: Mapped[list[date]] = mapped_column(ARRAY(Date))  # the series', in order
