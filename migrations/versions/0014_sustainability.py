"""sustainability: plans, their control measures, reviews, and the worker's stored verdicts

Revision ID: 0014
Revises: 0013

One plan per project (a unique key, so a racing second plan is refused by the database too).
Reviews are append-only for the application; plan_compliance holds one row per plan, replaced
by the check_sustainability job.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from district_ppm.db.rls import tenant_table_sql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = {
    "sustainability_plans": "SELECT, INSERT",
    "sustainability_plan_measures": "SELECT, INSERT",
    "sustainability_reviews": "SELECT, INSERT",
    "plan_compliance": "SELECT, INSERT, UPDATE, DELETE",
}

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "SCHOOL_YEAR", "FISCAL_YEAR")


def upgrade(app_role: str) -> None:
    op.create_table(
        "sustainability_plans",
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("project_id", sa.UUID(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column(
            "review_cadence",
            sa.Enum(*FREQUENCIES, name="measure_frequency", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=True),
        sa.Column("response_plan", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_months BETWEEN 1 AND 600",
            name=op.f("ck_sustainability_plans_duration_months_range"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "project_id"],
            ["projects.district_id", "projects.id"],
            name=op.f("fk_sustainability_plans_district_id_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f("pk_sustainability_plans")),
        sa.UniqueConstraint(
            "district_id",
            "project_id",
            name=op.f("uq_sustainability_plans_district_id_project_id"),
        ),
    )
    op.create_table(
        "sustainability_plan_measures",
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("measure_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            name=op.f("fk_sustainability_plan_measures_district_id_measure_id_measures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "plan_id"],
            ["sustainability_plans.district_id", "sustainability_plans.id"],
            name=op.f("fk_sustainability_plan_measures_district_id_plan_id_sus_a5b2"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f("pk_sustainability_plan_measures")),
        sa.UniqueConstraint(
            "district_id",
            "plan_id",
            "measure_id",
            name=op.f("uq_sustainability_plan_measures_district_id_plan_id_measure_id"),
        ),
    )
    op.create_index(
        "ix_sustainability_plan_measures_measure",
        "sustainability_plan_measures",
        ["district_id", "measure_id"],
        unique=False,
    )
    op.create_table(
        "sustainability_reviews",
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "plan_id"],
            ["sustainability_plans.district_id", "sustainability_plans.id"],
            name=op.f("fk_sustainability_reviews_district_id_plan_id_sustainab_44e3"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f("pk_sustainability_reviews")),
    )
    op.create_index(
        "ix_sustainability_reviews_plan",
        "sustainability_reviews",
        ["district_id", "plan_id", "reviewed_on"],
        unique=False,
    )
    op.create_table(
        "plan_compliance",
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "COMPLIANT",
                "AT_RISK",
                "NON_COMPLIANT",
                name="compliance_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("failed_checks", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "plan_id"],
            ["sustainability_plans.district_id", "sustainability_plans.id"],
            name=op.f("fk_plan_compliance_district_id_plan_id_sustainability_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f("pk_plan_compliance")),
        sa.UniqueConstraint(
            "district_id", "plan_id", name=op.f("uq_plan_compliance_district_id_plan_id")
        ),
    )
    for table, privileges in TENANT_TABLES.items():
        for statement in tenant_table_sql(table, app_role, privileges=privileges):
            op.execute(statement)


def downgrade(app_role: str) -> None:
    op.drop_table("plan_compliance")
    op.drop_table("sustainability_reviews")
    op.drop_index("ix_sustainability_plan_measures_measure", "sustainability_plan_measures")
    op.drop_table("sustainability_plan_measures")
    op.drop_table("sustainability_plans")
