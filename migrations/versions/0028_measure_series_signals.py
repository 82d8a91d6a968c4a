"""measures: each control series as its chart told it at every period, stored by the status refresh

Revision ID: 0028
Revises: 0027

``measure_series_signals``: one row per series (a measure district-wide, or at one school) of
the measures sustainability plans check, written by the status refresh job in the transaction
that takes the measure's dirty marks (``measures.series_signals`` explains why a row with no
mark is exact): the periods with a value, in order, their served values, whether the chart cut
at each period had an unfavorable point among its last six, and the series' chart settings it
was computed with (the newest rebase's start, the excluded periods), which a reader compares
with the current ones. The verdicts of a past date (``sustainabilityCompliance(asOf)``, an
agenda's draft) read it instead of every control measurement and every chart. Under the
tenant's row-level security, with the data-version trigger; it goes with its measure or its
school. Empty until the first refresh: a series without a row is computed from the data.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from district_ppm.db.data_version import data_version_trigger_sql
from district_ppm.db.rls import tenant_table_sql

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "measure_series_signals"


def upgrade(app_role: str) -> None:
    op.create_table(
        TABLE,
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("measure_id", sa.UUID(), nullable=False),
        sa.Column("school_id", sa.UUID(), nullable=True),
        sa.Column("periods", postgresql.ARRAY(sa.Date()), nullable=False),
        sa.Column("vals", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column("out_of_control", postgresql.ARRAY(sa.Boolean()), nullable=False),
        sa.Column("rebase_start", sa.Date(), nullable=True),
        sa.Column("exclusions", postgresql.ARRAY(sa.Date()), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            name=op.f(f"fk_{TABLE}_district_id_measure_id_measures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "school_id"],
            ["schools.district_id", "schools.id"],
            name=op.f(f"fk_{TABLE}_district_id_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint(
            "district_id",
            "measure_id",
            "school_id",
            name=op.f(f"uq_{TABLE}_district_id_measure_id_school_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    for statement in tenant_table_sql(TABLE, app_role):
        op.execute(statement)
    for statement in data_version_trigger_sql(TABLE):
        op.execute(statement)


def downgrade(app_role: str) -> None:
    op.drop_table(TABLE)
