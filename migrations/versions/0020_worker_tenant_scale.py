"""workers at tenant scale: measures marked dirty per writer, purges on indexes

Revision ID: 0020
Revises: 0019

``measure_dirty_marks``: one row per (measure, writer transaction) whose data changed since
the measure's status rows were last refreshed. The writer inserts it in its own transaction,
beside one outbox job per district; the job takes (deletes) the committed marks, then reads
the data of those measures: a mark it can see belongs to a committed write, which the read
sees. The key carries the writer's transaction id, so a write not yet committed when the job
takes the marks (the same measure marked by an earlier write or not) leaves a mark of its own
for the next job: with one row per measure and ON CONFLICT DO NOTHING, such a write merged
into a mark the job took and was lost. Writers never conflict with one another or with the
job on these rows (no waits, no deadlocks).

The nightly purge (``ppm_purge_job_history``) deletes dispatched outbox rows and job runs older
than the retention: without an index on the columns it filters on, each night it read both
tables whole. The indexes are built CONCURRENTLY, outside the migration's transaction: the
worker keeps writing both tables while they are built.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from district_ppm.db.rls import tenant_table_sql

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARKS = "measure_dirty_marks"
# The writer's top-level transaction id (64-bit, never wraps): equal for every mark one
# transaction makes of one measure, different for every other transaction.
WRITER_XACT = "(pg_current_xact_id()::text::bigint)"


def upgrade(app_role: str) -> None:
    op.create_table(
        MARKS,
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("measure_id", sa.UUID(), nullable=False),
        sa.Column(
            "marked_by", sa.BigInteger(), server_default=sa.text(WRITER_XACT), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "measure_id"],
            ["measures.district_id", "measures.id"],
            name=op.f(f"fk_{MARKS}_district_id_measure_id_measures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "district_id", "measure_id", "marked_by", name=op.f(f"pk_{MARKS}")
        ),
    )
    for statement in tenant_table_sql(MARKS, app_role, privileges="SELECT, INSERT, DELETE"):
        op.execute(statement)

    with op.get_context().autocommit_block():
        op.create_index(
            "ix_outbox_messages_dispatched_at",
            "outbox_messages",
            ["dispatched_at"],
            postgresql_where=sa.text("dispatched_at IS NOT NULL"),
            postgresql_concurrently=True,
        )
        op.create_index(
            "ix_job_runs_finished_at",
            "job_runs",
            ["finished_at"],
            postgresql_concurrently=True,
        )


def downgrade(app_role: str) -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_job_runs_finished_at", table_name="job_runs", postgresql_concurrently=True
        )
        op.drop_index(
            "ix_outbox_messages_dispatched_at",
            table_name="outbox_messages",
            postgresql_concurrently=True,
        )
    op.drop_table(MARKS)
