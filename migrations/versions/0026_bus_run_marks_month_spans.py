"""transportation: a bus-run dirty mark covers a span of one route's months

Revision ID: 0026
Revises: 0023

``bus_run_dirty_months`` held one row per (route, month) a writer changed: a first bulk import
of 810,000 runs (1,500 routes over three school years) wrote 40,500 marks, a quarter of the
import's PostgreSQL time (grouping the file by route and month, then inserting the rows, their
index entries and their foreign-key checks). A mark now covers a route's months from
``first_month`` through ``last_month``: the importer writes one per route (1,500 for that
file), the ``recordBusRuns`` service one per changed month as before. The recompute takes the
marks and rebuilds every month of each span; a month of a span in which the route has no run
rebuilds to nothing, so the figures are those of the exact months, at the cost of a few empty
index probes.

``month`` becomes ``first_month``; existing marks span their one month. The key keeps the
writer's transaction id (0022) and takes ``last_month``, so two spans one writer marks from
the same month are both kept. The table keeps its row-level security, grants and data-version
trigger.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARKS = "bus_run_dirty_months"
PRIMARY_KEY = f"pk_{MARKS}"
SPAN = f"ck_{MARKS}_span_in_order"


def upgrade(app_role: str) -> None:
    op.alter_column(MARKS, "month", new_column_name="first_month")
    op.add_column(MARKS, sa.Column("last_month", sa.Date(), nullable=True))
    op.execute(f"UPDATE {MARKS} SET last_month = first_month")  # noqa: S608
    op.alter_column(MARKS, "last_month", nullable=False)
    op.create_check_constraint(op.f(SPAN), MARKS, "first_month <= last_month")
    op.drop_constraint(op.f(PRIMARY_KEY), MARKS, type_="primary")
    op.create_primary_key(
        op.f(PRIMARY_KEY),
        MARKS,
        ["district_id", "route_id", "first_month", "last_month", "marked_by"],
    )


def downgrade(app_role: str) -> None:
    # Each span becomes its months, one row each; months two spans of a writer share, one.
    op.execute(
        f"""INSERT INTO {MARKS} (district_id, route_id, first_month, last_month, marked_by)
        SELECT DISTINCT d.district_id, d.route_id, m.month::date, m.month::date, d.marked_by
        FROM {MARKS} d CROSS JOIN LATERAL generate_series(
            d.first_month::timestamp, d.last_month::timestamp, interval '1 month') AS m(month)
        WHERE d.first_month < d.last_month
        ON CONFLICT DO NOTHING"""  # noqa: S608
    )
    op.execute(f"DELETE FROM {MARKS} WHERE first_month < last_month")  # noqa: S608
    op.drop_constraint(op.f(PRIMARY_KEY), MARKS, type_="primary")
    op.drop_constraint(op.f(SPAN), MARKS, type_="check")
    op.drop_column(MARKS, "last_month")
    op.alter_column(MARKS, "first_month", new_column_name="month")
    op.create_primary_key(
        op.f(PRIMARY_KEY), MARKS, ["district_id", "route_id", "month", "marked_by"]
    )
