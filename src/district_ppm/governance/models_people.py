"""People's responsibilities for processes and measures, and ratings of the management system.

A responsibility names a member of the district (``memberships.user_id``: the foreign key
makes sure the person belongs to the district) and exactly one subject, a process or a
measure, with a RACI type. RACI's own rule, one ACCOUNTABLE per subject, is held by partial
unique indexes, so two racing writers cannot both make someone accountable for the same
process; a key process with nobody accountable is reported (accountability.py).

Ratings of the management system's elements are append-only: the latest per element is the
current assessment, the earlier ones its history.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
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

from district_ppm.db.base import Base, TenantMixin


class Responsibility(enum.StrEnum):
    """RACI: who does the work, who answers for it (one person), who is asked, who is told."""

    RESPONSIBLE = "RESPONSIBLE"
    ACCOUNTABLE = "ACCOUNTABLE"
    CONSULTED = "CONSULTED"
    INFORMED = "INFORMED"


class ManagementElement(enum.StrEnum):
    """The elements of a management system (Performance Design Lab), in the contract's order."""

    PROCESS_ARCHITECTURE = "PROCESS_ARCHITECTURE"
    PROCESS_GOALS = "PROCESS_GOALS"
    PROCESS_METRICS = "PROCESS_METRICS"
    PROCESS_MODELS = "PROCESS_MODELS"
    ROLES_AND_ACCOUNTABILITIES = "ROLES_AND_ACCOUNTABILITIES"
    TRACKING_AND_REPORTING = "TRACKING_AND_REPORTING"
    DIAGNOSTICS = "DIAGNOSTICS"
    DECISION_MECHANISMS = "DECISION_MECHANISMS"
    COLLECTIVE_FORUMS = "COLLECTIVE_FORUMS"


class AssessmentAction(enum.StrEnum):
    """What the district chose to do about an element."""

    ADD = "ADD"  # add to what exists
    CREATE = "CREATE"  # create what is missing
    IMPROVE = "IMPROVE"  # improve what is deficient
    NONE = "NONE"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32)


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["district_id", column], [f"{table}.district_id", f"{table}.id"], ondelete="CASCADE"
    )


ONE_ACCOUNTABLE_PROCESS = "ux_responsibility_assignments_accountable_process"
ONE_ACCOUNTABLE_MEASURE = "ux_responsibility_assignments_accountable_measure"
PERSON_SUBJECT = "uq_responsibility_assignments_person_subject"


class ResponsibilityAssignment(TenantMixin, Base):
    """A person's RACI responsibility for one process or one measure."""

    __tablename__ = "responsibility_assignments"
    __table_args__ = (
        CheckConstraint("num_nonnulls(process_id, measure_id) = 1", name="one_subject"),
        UniqueConstraint(
            "district_id",
            "user_id",
            "process_id",
            "measure_id",
            "responsibility",
            name=PERSON_SUBJECT,
            postgresql_nulls_not_distinct=True,
        ),
        Index(
            ONE_ACCOUNTABLE_PROCESS,
            "district_id",
            "process_id",
            unique=True,
            postgresql_where=text("responsibility = 'ACCOUNTABLE' AND process_id IS NOT NULL"),
        ),
        Index(
            ONE_ACCOUNTABLE_MEASURE,
            "district_id",
            "measure_id",
            unique=True,
            postgresql_where=text("responsibility = 'ACCOUNTABLE' AND measure_id IS NOT NULL"),
        ),
        # The subjects' RACI charts and the reminders read assignments by subject.
        Index("ix_responsibility_assignments_process", "district_id", "process_id"),
        Index("ix_responsibility_assignments_measure", "district_id", "measure_id"),
        # A member of this district: memberships are unique by (district_id, user_id).
        ForeignKeyConstraint(
            ["district_id", "user_id"],
            ["memberships.district_id", "memberships.user_id"],
            ondelete="CASCADE",
        ),
        _fk("process_id", "processes"),
        _fk("measure_id", "measures"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    process_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    measure_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    responsibility: Mapped[Responsibility] = mapped_column(_enum(Responsibility, "responsibility"))
    assigned_by: Mapped[str] = mapped_column(String(200))


class ManagementRating(TenantMixin, Base):
    """One rating (1-5) of one element of the management system, with the action chosen."""

    __tablename__ = "management_ratings"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),
        Index("ix_management_ratings_element", "district_id", "element", "rated_on", "created_at"),
    )

    element: Mapped[ManagementElement] = mapped_column(
        _enum(ManagementElement, "management_element")
    )
    rating: Mapped[int] = mapped_column(Integer)
    action: Mapped[AssessmentAction] = mapped_column(_enum(AssessmentAction, "assessment_action"))
    notes: Mapped[str | None] = mapped_column(Text)
    rated_on: Mapped[date] = mapped_column(Date)
    rated_by: Mapped[str] = mapped_column(String(200))
