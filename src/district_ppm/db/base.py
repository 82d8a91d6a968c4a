"""Declarative base and the columns every tenant table shares."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantMixin:
    """Every tenant row: ``(district_id, id)`` primary key, led by the tenant.

    Leading with ``district_id`` keeps each district's rows together in every index and is the
    distribution key should the data move to Citus.

    ``district_id`` references ``districts`` unless the table sets ``district_implied_by``.
    """

    # The tenant table that a composite foreign key ``(district_id, <parent>_id)`` of this
    # table references, ON DELETE CASCADE. Every row then belongs to a parent row of the same
    # district, which itself references the district and goes when it goes; a foreign key of
    # its own to ``districts`` would only repeat that check on every insert (a bulk import of
    # measurements spent 1.8 of its 12 merge seconds on it). None: the table has that key.
    district_implied_by: ClassVar[str | None] = None

    @declared_attr
    def district_id(cls) -> Mapped[uuid.UUID]:
        if cls.district_implied_by is not None:
            return mapped_column(UUID(as_uuid=True), primary_key=True, sort_order=-100)
        return mapped_column(
            UUID(as_uuid=True),
            ForeignKey("districts.id", ondelete="CASCADE"),
            primary_key=True,
            sort_order=-100,
        )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, default=uuid.uuid4, sort_order=-99
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
