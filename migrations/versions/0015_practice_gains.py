"""practices: adoption gains computed by the worker

Revision ID: 0015
Revises: 0014

One row per (adoption, SCHOOL-level measure of its practice): the before and after means and
the gain, with when they were computed. The worker rewrites them; the API only reads them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from district_ppm.db.rls import tenant_table_sql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str) -> None:
    op.create_table(
        "adoption_gains",
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("adoption_id", sa.UUID(), nullable=False),
        sa.Column("measure_id", sa.UUID(), nullable=False),
        sa.Column("before", sa.Float(), nullable=True),
        sa.Column("after", sa.Float(), nullable=True),
        sa.Column("gain", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "adoption_id"],
            ["adoptions.district_id", "adoptions.id"],
            name=op.f("fk_adoption_gains_district_id_adoption_id_adoptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            name=op.f("fk_adoption_gains_district_id_measure_id_measures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f("pk_adoption_gains")),
        sa.UniqueConstraint(
            "district_id",
            "adoption_id",
            "measure_id",
            name=op.f("uq_adoption_gains_district_id_adoption_id_measure_id"),
        ),
    )
    for statement in tenant_table_sql(
        "adoption_gains", app_role, privileges="SELECT, INSERT, UPDATE, DELETE"
    ):
        op.execute(statement)


def downgrade(app_role: str) -> None:
    op.drop_table("adoption_gains")
