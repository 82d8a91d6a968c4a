"""Forums (their scope and members), meetings with their stored and amended agendas, decisions.

A forum's scope is the processes and measures it names (DOMAIN.md "Agenda"; the processes'
descendants and measures are derived, see ``governance/forums.py``). A meeting keeps the agenda
generated for its date as ``GENERATED`` items, never changed; people amend it by adding
items (``ADDED``) or removing any item, each amendment a row of its own with its note and
author, so what was generated stays apart from what was amended.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    Date,
    DateTime,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base, TenantMixin
from district_ppm.measures.models import Frequency


class AgendaReason(enum.StrEnum):
    """Why an item is on an agenda; an agenda lists its items in this order."""

    RED_MEASURE = "RED_MEASURE"
    UNFAVORABLE_SIGNAL = "UNFAVORABLE_SIGNAL"
    TOLLGATE_WAITING = "TOLLGATE_WAITING"
    PLAN_AT_RISK = "PLAN_AT_RISK"
    PLAN_NON_COMPLIANT = "PLAN_NON_COMPLIANT"
    DECISION_OVERDUE = "DECISION_OVERDUE"


REASON_ORDER = list(AgendaReason)


class AgendaItemOrigin(enum.StrEnum):
    GENERATED = "GENERATED"  # generated from the data when the meeting was scheduled
    ADDED = "ADDED"  # added by a person afterwards (amendAgenda)


class AmendmentAction(enum.StrEnum):
    ADD = "ADD"
    REMOVE = "REMOVE"


class DecisionStatus(enum.StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"
    DROPPED = "DROPPED"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32)


def _fk(column: str, table: str, *, cascade: bool = False) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["district_id", column],
        [f"{table}.district_id", f"{table}.id"],
        ondelete="CASCADE" if cascade else None,
    )


class Forum(TenantMixin, Base):
    """A management forum (e.g. the monthly operations review): cadence, chair, members."""

    __tablename__ = "forums"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    cadence: Mapped[Frequency] = mapped_column(_enum(Frequency, "measure_frequency"))
    chair: Mapped[str | None] = mapped_column(String(200))
    members: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    created_by: Mapped[str] = mapped_column(String(200))


class ForumProcess(TenantMixin, Base):
    """A process the forum names; its descendants are in the forum's scope too."""

    __tablename__ = "forum_processes"
    district_implied_by = "forums"
    __table_args__ = (
        UniqueConstraint("district_id", "forum_id", "process_id"),
        _fk("forum_id", "forums", cascade=True),
        _fk("process_id", "processes"),
        Index("ix_forum_processes_process", "district_id", "process_id"),
    )

    forum_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    process_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class ForumMeasure(TenantMixin, Base):
    """A measure the forum names (whatever its process)."""

    __tablename__ = "forum_measures"
    district_implied_by = "forums"
    __table_args__ = (
        UniqueConstraint("district_id", "forum_id", "measure_id"),
        _fk("forum_id", "forums", cascade=True),
        _fk("measure_id", "measures"),
        Index("ix_forum_measures_measure", "district_id", "measure_id"),
    )

    forum_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    measure_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Meeting(TenantMixin, Base):
    """One meeting of a forum on a day (at most one a day per forum)."""

    __tablename__ = "meetings"
    district_implied_by = "forums"
    __table_args__ = (
        UniqueConstraint("district_id", "forum_id", "held_on"),
        _fk("forum_id", "forums", cascade=True),
    )

    forum_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    held_on: Mapped[date] = mapped_column(Date)
    scheduled_by: Mapped[str] = mapped_column(String(200))


class MeetingAgendaItem(TenantMixin, Base):
    """An item of a meeting's agenda: generated when it was scheduled, or added later.

    ``position`` orders the items of one origin (generated ones in the agenda's order, added
    ones after them as they came); ``title`` is what the item said when it was made.
    """

    __tablename__ = "meeting_agenda_items"
    district_implied_by = "meetings"
    __table_args__ = (
        UniqueConstraint("district_id", "meeting_id", "position"),
        _fk("meeting_id", "meetings", cascade=True),
        _fk("measure_id", "measures"),
        _fk("project_id", "projects"),
        _fk("plan_id", "sustainability_plans"),
        _fk("decision_id", "decisions"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    position: Mapped[int] = mapped_column(Integer)
    origin: Mapped[AgendaItemOrigin] = mapped_column(_enum(AgendaItemOrigin, "agenda_item_origin"))
    reason: Mapped[AgendaReason] = mapped_column(_enum(AgendaReason, "agenda_reason"))
    measure_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    decision_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(Text)


class AgendaAmendment(TenantMixin, Base):
    """A person's change to a meeting's agenda: an item added or removed, with why and who.

    An item is added at most once and removed at most once (the unique key).
    """

    __tablename__ = "agenda_amendments"
    district_implied_by = "meetings"
    __table_args__ = (
        UniqueConstraint("district_id", "item_id", "action"),
        _fk("meeting_id", "meetings", cascade=True),
        _fk("item_id", "meeting_agenda_items", cascade=True),
        Index("ix_agenda_amendments_meeting", "district_id", "meeting_id", "created_at"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    item_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    action: Mapped[AmendmentAction] = mapped_column(_enum(AmendmentAction, "amendment_action"))
    note: Mapped[str] = mapped_column(Text)
    amended_by: Mapped[str] = mapped_column(String(200))


class Decision(TenantMixin, Base):
    """A decision of the log: what, why, who owns it, by when, and what it concerns.

    ``fact``, ``cause`` and ``action`` are set when the decision was opened from a RED measure
    (``school_year`` is the year it was RED in); closing sets ``closed_*``.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        _fk("measure_id", "measures"),
        _fk("project_id", "projects"),
        _fk("meeting_id", "meetings"),
        Index("ix_decisions_due", "district_id", "due_on", "created_at", "id"),
        Index("ix_decisions_meeting", "district_id", "meeting_id"),
    )

    title: Mapped[str] = mapped_column(String(200))
    rationale: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[DecisionStatus] = mapped_column(_enum(DecisionStatus, "decision_status"))
    measure_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    project_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    school_year: Mapped[int | None] = mapped_column(Integer)
    fact: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    close_note: Mapped[str | None] = mapped_column(Text)
