"""governance: people's RACI responsibilities for processes and measures, management ratings

Revision ID: 0018
Revises: 0017

One ACCOUNTABLE per process and per measure is held by partial unique indexes, so racing
writers cannot make two. Ratings are append-only (the latest per element is the assessment);
responsibilities are deleted when unassigned (the audit log keeps who did what).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from district_ppm.db.rls import tenant_table_sql

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = {
    "responsibility_assignments": "SELECT, INSERT, DELETE",
    "management_ratings": "SELECT, INSERT",
}

RESPONSIBILITIES = ("RESPONSIBLE", "ACCOUNTABLE", "CONSULTED", "INFORMED")
ELEMENTS = (
    "PROCESS_ARCHITECTURE",
    "PROCESS_GOALS",
    "PROCESS_METRICS",
    "PROCESS_MODELS",
    "ROLES_AND_ACCOUNTABILITIES",
    "TRACKING_AND_REPORTING",
    "DIAGNOSTICS",
    "DECISION_MECHANISMS",
    "COLLECTIVE_FORUMS",
)
ACTIONS = ("ADD", "CREATE", "IMPROVE", "NONE")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def _keys() -> list[sa.Column]:
    return [
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
    ]


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _district_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["district_id"],
        ["districts.id"],
        name=op.f(f"fk_{table}_district_id_districts"),
        ondelete="CASCADE",
    )


def upgrade(app_role: str) -> None:
    table = "responsibility_assignments"
    op.create_table(
        table,
        *_keys(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("process_id", sa.UUID(), nullable=True),
        sa.Column("measure_id", sa.UUID(), nullable=True),
        sa.Column("responsibility", _enum("responsibility", *RESPONSIBILITIES), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        _created_at(),
        sa.CheckConstraint(
            "num_nonnulls(process_id, measure_id) = 1", name=op.f(f"ck_{table}_one_subject")
        ),
        _district_fk(table),
        sa.ForeignKeyConstraint(
            ["district_id", "user_id"],
            ["memberships.district_id", "memberships.user_id"],
            name=op.f(f"fk_{table}_district_id_user_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "process_id"],
            ["processes.district_id", "processes.id"],
            name=op.f(f"fk_{table}_district_id_process_id_processes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            name=op.f(f"fk_{table}_district_id_measure_id_measures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(
            "district_id",
            "user_id",
            "process_id",
            "measure_id",
            "responsibility",
            name=op.f(f"uq_{table}_person_subject"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    for subject in ("process", "measure"):
        op.create_index(
            f"ux_{table}_accountable_{subject}",
            table,
            ["district_id", f"{subject}_id"],
            unique=True,
            postgresql_where=sa.text(
                f"responsibility = 'ACCOUNTABLE' AND {subject}_id IS NOT NULL"
            ),
        )
        op.create_index(f"ix_{table}_{subject}", table, ["district_id", f"{subject}_id"])

    table = "management_ratings"
    op.create_table(
        table,
        *_keys(),
        sa.Column("element", _enum("management_element", *ELEMENTS), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("action", _enum("assessment_action", *ACTIONS), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("rated_by", sa.String(length=200), nullable=False),
        _created_at(),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f(f"ck_{table}_rating_1_to_5")),
        _district_fk(table),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f(f"pk_{table}")),
    )
    op.create_index(
        "ix_management_ratings_element",
        table,
        ["district_id", "element", "rated_on", "created_at"],
    )
    for name, privileges in TENANT_TABLES.items():
        for statement in tenant_table_sql(name, app_role, privileges=privileges):
            op.execute(statement)


def downgrade(app_role: str) -> None:
    for name in reversed(list(TENANT_TABLES)):
        op.drop_table(name)
