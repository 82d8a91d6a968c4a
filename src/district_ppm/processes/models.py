"""The process tree: category > process group > process > activity."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Boolean, Enum, ForeignKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin


class ProcessKind(enum.StrEnum):
    INSTRUCTIONAL = "INSTRUCTIONAL"
    OPERATIONAL = "OPERATIONAL"
    MANAGEMENT = "MANAGEMENT"


class Process(TenantMixin, Base):
    __tablename__ = "processes"
    __table_args__ = (
        UniqueConstraint("district_id", "code"),
        ForeignKeyConstraint(
            ["district_id", "parent_id"], ["processes.district_id", "processes.id"]
        ),
    )

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProcessKind] = mapped_column(
        Enum(ProcessKind, name="process_kind", native_enum=False, length=16)
    )
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    owner: Mapped[str | None] = mapped_column(String(200))
    customers: Mapped[str | None] = mapped_column(Text)
