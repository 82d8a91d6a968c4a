"""Districts, users, memberships and API tokens."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin


class Role(enum.StrEnum):
    DISTRICT_ADMIN = "DISTRICT_ADMIN"
    PROCESS_OWNER = "PROCESS_OWNER"
    IMPROVEMENT_LEAD = "IMPROVEMENT_LEAD"
    FINANCE_VALIDATOR = "FINANCE_VALIDATOR"
    SCHOOL_LEADER = "SCHOOL_LEADER"
    VIEWER = "VIEWER"


role_enum = Enum(Role, name="role", native_enum=False, length=32)


class District(Base):
    """The tenant. Its row is under RLS too: a tenant sees only its own district."""

    __tablename__ = "districts"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    nces_lea_id: Mapped[str | None] = mapped_column(String(7))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Chicago")
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, default=7)
    late_bus_grace_minutes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class User(Base):
    """A person; platform-wide because one person may work for several districts."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Membership(TenantMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("district_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("users.id"))
    role: Mapped[Role] = mapped_column(role_enum)
    # SCHOOL_LEADER acts only for these schools.
    school_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)


class ApiToken(TenantMixin, Base):
    """A bearer token: only its SHA-256 is stored, so a database leak leaks no credential."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        UniqueConstraint("district_id", "token_hash"),
        Index("ix_api_tokens_token_hash", "token_hash"),
        ForeignKeyConstraint(
            ["district_id", "membership_id"], ["memberships.district_id", "memberships.id"]
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(role_enum)
    membership_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    school_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
