"""sustainability: the verdict history's inputs version and horizon kept once per district

Revision ID: 0031
Revises: 0030

With the inputs version on every range (0030), each run of the worker rewrote every range
whenever any input was written, and every night, changed or not. Now one row per district,
``verdict_history_state``, says which inputs version the ranges hold and the last day they
cover; a range's ``valid_until`` is NULL when it reaches that day. A run rewrites only the
ranges whose verdict or extent changed, and a night with no write extends the history by
judging only the new days. Under the tenant's row-level security, without a data-version
trigger (writing it changes no answer); it goes with its district.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from district_ppm.db.rls import tenant_table_sql

revision: str = "0031"
down_revision: str | Sequence[str] | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "verdict_history_state"
HISTORY = "plan_verdict_history"


def upgrade(app_role: str) -> None:
    op.create_table(
        TABLE,
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.Column("horizon", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f(f"fk_{TABLE}_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", name=op.f(f"pk_{TABLE}")),
    )
    for statement in tenant_table_sql(TABLE, app_role):
        op.execute(statement)
    # The ranges stored at 0030 carry their own version: none is kept (the next run stores
    # them again, and reads compute meanwhile).
    op.execute(f"DELETE FROM {HISTORY}")
    op.drop_column(HISTORY, "inputs_version")
    op.alter_column(HISTORY, "valid_until", existing_type=sa.Date(), nullable=True)


def downgrade(app_role: str) -> None:
    op.execute(f"DELETE FROM {HISTORY}")
    op.alter_column(HISTORY, "valid_until", existing_type=sa.Date(), nullable=False)
    op.add_column(HISTORY, sa.Column("inputs_version", sa.BigInteger(), nullable=False))
    op.drop_table(TABLE)
