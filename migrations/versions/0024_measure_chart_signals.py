"""measures: the latest point of each district-wide control chart, stored by the status refresh

Revision ID: 0024
Revises: 0022

``measure_chart_signals``: one row per measure, written by the status refresh job in the
transaction that takes the measure's dirty marks (``measures.latest_points`` explains why a
row with no mark is exact): the chart's latest period (NULL for an empty chart), whether that
point is unfavorable, and the chart settings it was computed with (the newest district-wide
rebase's start, the district-wide excluded periods), which a reader compares with the current
ones. Under the tenant's row-level security, with the data-version trigger; it goes with its
measure.

``control_chart_rebases`` gets an index by measure: readers look for each measure's newest
district-wide rebase.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from district_ppm.db.data_version import data_version_trigger_sql
from district_ppm.db.rls import tenant_table_sql

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "measure_chart_signals"
REBASES_INDEX = "ix_control_chart_rebases_measure"


def upgrade(app_role: str) -> None:
    op.create_table(
        TABLE,
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("measure_id", sa.UUID(), nullable=False),
        sa.Column("latest_period", sa.Date(), nullable=True),
        sa.Column("unfavorable", sa.Boolean(), nullable=False),
        sa.Column("rebase_start", sa.Date(), nullable=True),
        sa.Column("exclusions", postgresql.ARRAY(sa.Date()), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            name=op.f(f"fk_{TABLE}_district_id_measure_id_measures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "measure_id", name=op.f(f"pk_{TABLE}")),
    )
    for statement in tenant_table_sql(TABLE, app_role):
        op.execute(statement)
    for statement in data_version_trigger_sql(TABLE):
        op.execute(statement)
    op.create_index(
        REBASES_INDEX,
        "control_chart_rebases",
        ["district_id", "measure_id", "school_id", "created_at"],
    )


def downgrade(app_role: str) -> None:
    op.drop_index(REBASES_INDEX, table_name="control_chart_rebases")
    op.drop_table(TABLE)
