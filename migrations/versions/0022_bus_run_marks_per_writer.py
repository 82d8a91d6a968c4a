"""transportation: bus-run dirty months marked per writer transaction

Revision ID: 0022
Revises: 0021

``bus_run_dirty_months`` was keyed (district, route, month), and both writers of runs (the
``recordBusRuns`` service and the CSV importer) marked with ON CONFLICT DO NOTHING. The
time-loss recompute takes (deletes) the marks, then reads the runs. A writer that marked a
month already marked by a committed write left no mark of its own: if the recompute took that
mark and read the runs before the writer committed, the writer's runs were summed by nobody
until the nightly full recompute.

The key now carries the writer's top-level transaction id (``marked_by``, filled by the
column's default, as ``measure_dirty_marks`` in 0020): every write leaves its own mark, which
the recompute can take only once the write is committed, so its read sees the write. Writers
never conflict with one another on these rows (no waits); a month marked by several writers is
taken once (the recompute dedupes). Existing marks get the migrating transaction's id.

The table keeps its row-level security, grants and data-version trigger.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARKS = "bus_run_dirty_months"
# The writer's top-level transaction id (64-bit, never wraps; a savepoint's writes carry
# their transaction's): equal for every mark one transaction makes, different for every other.
WRITER_XACT = "(pg_current_xact_id()::text::bigint)"
PRIMARY_KEY = f"pk_{MARKS}"


def upgrade(app_role: str) -> None:
    op.add_column(
        MARKS,
        sa.Column(
            "marked_by", sa.BigInteger(), server_default=sa.text(WRITER_XACT), nullable=False
        ),
    )
    op.drop_constraint(op.f(PRIMARY_KEY), MARKS, type_="primary")
    op.create_primary_key(
        op.f(PRIMARY_KEY), MARKS, ["district_id", "route_id", "month", "marked_by"]
    )


def downgrade(app_role: str) -> None:
    # Several writers' marks of one month become one.
    op.execute(
        f"DELETE FROM {MARKS} a USING {MARKS} b WHERE a.district_id = b.district_id "  # noqa: S608
        "AND a.route_id = b.route_id AND a.month = b.month AND a.marked_by > b.marked_by"
    )
    op.drop_constraint(op.f(PRIMARY_KEY), MARKS, type_="primary")
    op.drop_column(MARKS, "marked_by")
    op.create_primary_key(op.f(PRIMARY_KEY), MARKS, ["district_id", "route_id", "month"])
