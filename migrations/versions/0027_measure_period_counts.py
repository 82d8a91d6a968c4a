"""measures: how many values each period of a measure holds, stored by the status refresh

Revision ID: 0027
Revises: 0026

``measure_period_counts``: one row per measure, written by the status refresh job in the
transaction that takes the measure's dirty marks (``measures.period_counts`` explains why a
row with no mark is exact): every period with a value, in order, and beside each the number
of school values and whether a district-wide value is held. Data-entry reminders (a person's
responsibilities, ``dataEntryReminders``) read it instead of counting the trailing year's
measurements on every read. Under the tenant's row-level security, with the data-version
trigger; it goes with its measure. Empty until the first refresh: a measure without a row is
counted from the data.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from district_ppm.db.data_version import data_version_trigger_sql
from district_ppm.db.rls import tenant_table_sql

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "measure_period_counts"


def upgrade(app_role: str) -> None:
    op.create_table(
        TABLE,
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("measure_id", sa.UUID(), nullable=False),
        sa.Column("periods", postgresql.ARRAY(sa.Date()), nullable=False),
        sa.Column("schools", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("district_wide", postgresql.ARRAY(sa.Boolean()), nullable=False),
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


def downgrade(app_role: str) -> None:
    op.drop_table(TABLE)
