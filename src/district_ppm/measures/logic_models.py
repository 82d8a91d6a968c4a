"""Logic models (programs with measures by stage, "drives" links) and customer requirements."""

from __future__ import annotations

import uuid

from sqlalchemy import Float, ForeignKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin
from district_ppm.measures.models import fk_measure


def _fk_model() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["district_id", "logic_model_id"],
        ["logic_models.district_id", "logic_models.id"],
        ondelete="CASCADE",
    )


class LogicModel(TenantMixin, Base):
    __tablename__ = "logic_models"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class LogicModelMeasure(TenantMixin, Base):
    """A measure placed in a program's logic model (its stage is the measure's own)."""

    __tablename__ = "logic_model_measures"
    __table_args__ = (
        UniqueConstraint("district_id", "logic_model_id", "measure_id"),
        _fk_model(),
        fk_measure(),
    )

    logic_model_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class MeasureLink(TenantMixin, Base):
    """Within one logic model: ``driver_id`` drives ``driven_id``."""

    __tablename__ = "measure_links"
    __table_args__ = (
        UniqueConstraint("district_id", "logic_model_id", "driver_id", "driven_id"),
        _fk_model(),
        ForeignKeyConstraint(
            ["district_id", "driver_id"],
            ["measures.district_id", "measures.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["district_id", "driven_id"],
            ["measures.district_id", "measures.id"],
            ondelete="CASCADE",
        ),
    )

    logic_model_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    driver_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    driven_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class CustomerRequirement(TenantMixin, Base):
    """A CTQ: what a stakeholder group needs, the measure that shows it, and its spec limits."""

    __tablename__ = "customer_requirements"
    __table_args__ = (fk_measure(),)

    stakeholder_group: Mapped[str] = mapped_column(String(200))
    requirement: Mapped[str] = mapped_column(Text)
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    lower_spec_limit: Mapped[float | None] = mapped_column(Float)
    upper_spec_limit: Mapped[float | None] = mapped_column(Float)
