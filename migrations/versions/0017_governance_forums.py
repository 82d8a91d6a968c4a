"""governance: forums and their scope, meetings with stored and amended agendas, decisions

Revision ID: 0017
Revises: 0016
Depends on: 0014 (agenda items name sustainability plans)

A meeting's generated agenda items are never changed by the application; amendments are
append-only rows beside them. Decisions are updated only when closed. Forums are updated
(updateForum), and their named processes and measures replaced.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from district_ppm.db.rls import tenant_table_sql

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0014"

TENANT_TABLES = {
    "forums": "SELECT, INSERT, UPDATE",
    "forum_processes": "SELECT, INSERT, DELETE",
    "forum_measures": "SELECT, INSERT, DELETE",
    # UPDATE only for the row lock amendAgenda takes (SELECT ... FOR UPDATE needs it).
    "meetings": "SELECT, INSERT, UPDATE",
    "decisions": "SELECT, INSERT, UPDATE",
    "meeting_agenda_items": "SELECT, INSERT",
    "agenda_amendments": "SELECT, INSERT",
}

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "SCHOOL_YEAR", "FISCAL_YEAR")
REASONS = (
    "RED_MEASURE",
    "UNFAVORABLE_SIGNAL",
    "TOLLGATE_WAITING",
    "PLAN_AT_RISK",
    "PLAN_NON_COMPLIANT",
    "DECISION_OVERDUE",
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _fk(table: str, column: str, parent: str, *, cascade: bool = False) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["district_id", column],
        [f"{parent}.district_id", f"{parent}.id"],
        name=op.f(f"fk_{table}_district_id_{column}_{parent}"),
        ondelete="CASCADE" if cascade else None,
    )


def _district_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["district_id"],
        ["districts.id"],
        name=op.f(f"fk_{table}_district_id_districts"),
        ondelete="CASCADE",
    )


def _keys(table: str) -> list[sa.Column]:
    return [
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
    ]


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("district_id", "id", name=op.f(f"pk_{table}"))


def upgrade(app_role: str) -> None:
    op.create_table(
        "forums",
        *_keys("forums"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("cadence", _enum("measure_frequency", *FREQUENCIES), nullable=False),
        sa.Column("chair", sa.String(length=200), nullable=True),
        sa.Column("members", sa.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _created_at(),
        _district_fk("forums"),
        _pk("forums"),
        sa.UniqueConstraint("district_id", "name", name=op.f("uq_forums_district_id_name")),
    )
    for table, column, parent in (
        ("forum_processes", "process_id", "processes"),
        ("forum_measures", "measure_id", "measures"),
    ):
        op.create_table(
            table,
            *_keys(table),
            sa.Column("forum_id", sa.UUID(), nullable=False),
            sa.Column(column, sa.UUID(), nullable=False),
            _created_at(),
            _fk(table, "forum_id", "forums", cascade=True),
            _fk(table, column, parent),
            _pk(table),
            sa.UniqueConstraint(
                "district_id",
                "forum_id",
                column,
                name=op.f(f"uq_{table}_district_id_forum_id_{column}"),
            ),
        )
    op.create_index("ix_forum_processes_process", "forum_processes", ["district_id", "process_id"])
    op.create_index("ix_forum_measures_measure", "forum_measures", ["district_id", "measure_id"])
    op.create_table(
        "meetings",
        *_keys("meetings"),
        sa.Column("forum_id", sa.UUID(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("scheduled_by", sa.String(length=200), nullable=False),
        _created_at(),
        _fk("meetings", "forum_id", "forums", cascade=True),
        _pk("meetings"),
        sa.UniqueConstraint(
            "district_id",
            "forum_id",
            "held_on",
            name=op.f("uq_meetings_district_id_forum_id_held_on"),
        ),
    )
    op.create_table(
        "decisions",
        *_keys("decisions"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", _enum("decision_status", "OPEN", "DONE", "DROPPED"), nullable=False),
        sa.Column("measure_id", sa.UUID(), nullable=True),
        sa.Column("project_id", sa.UUID(), nullable=True),
        sa.Column("meeting_id", sa.UUID(), nullable=True),
        sa.Column("school_year", sa.Integer(), nullable=True),
        sa.Column("fact", sa.Text(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        _created_at(),
        _district_fk("decisions"),
        _fk("decisions", "measure_id", "measures"),
        _fk("decisions", "project_id", "projects"),
        _fk("decisions", "meeting_id", "meetings"),
        _pk("decisions"),
    )
    op.create_index("ix_decisions_due", "decisions", ["district_id", "due_on", "created_at", "id"])
    op.create_index("ix_decisions_meeting", "decisions", ["district_id", "meeting_id"])
    op.create_table(
        "meeting_agenda_items",
        *_keys("meeting_agenda_items"),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("origin", _enum("agenda_item_origin", "GENERATED", "ADDED"), nullable=False),
        sa.Column("reason", _enum("agenda_reason", *REASONS), nullable=False),
        sa.Column("measure_id", sa.UUID(), nullable=True),
        sa.Column("project_id", sa.UUID(), nullable=True),
        sa.Column("plan_id", sa.UUID(), nullable=True),
        sa.Column("decision_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        _created_at(),
        _fk("meeting_agenda_items", "meeting_id", "meetings", cascade=True),
        _fk("meeting_agenda_items", "measure_id", "measures"),
        _fk("meeting_agenda_items", "project_id", "projects"),
        _fk("meeting_agenda_items", "plan_id", "sustainability_plans"),
        _fk("meeting_agenda_items", "decision_id", "decisions"),
        _pk("meeting_agenda_items"),
        sa.UniqueConstraint(
            "district_id",
            "meeting_id",
            "position",
            name=op.f("uq_meeting_agenda_items_district_id_meeting_id_position"),
        ),
    )
    op.create_table(
        "agenda_amendments",
        *_keys("agenda_amendments"),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("action", _enum("amendment_action", "ADD", "REMOVE"), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("amended_by", sa.String(length=200), nullable=False),
        _created_at(),
        _fk("agenda_amendments", "meeting_id", "meetings", cascade=True),
        _fk("agenda_amendments", "item_id", "meeting_agenda_items", cascade=True),
        _pk("agenda_amendments"),
        sa.UniqueConstraint(
            "district_id",
            "item_id",
            "action",
            name=op.f("uq_agenda_amendments_district_id_item_id_action"),
        ),
    )
    op.create_index(
        "ix_agenda_amendments_meeting",
        "agenda_amendments",
        ["district_id", "meeting_id", "created_at"],
    )
    for table, privileges in TENANT_TABLES.items():
        for statement in tenant_table_sql(table, app_role, privileges=privileges):
            op.execute(statement)


def downgrade(app_role: str) -> None:
    for table in reversed(list(TENANT_TABLES)):
        op.drop_table(table)
