"""jobs: a retention function for dispatched outbox rows and old job runs

Revision ID: 0009
Revises: 0008

Every write leaves an outbox row and every job a job_runs row; without a purge both grow
forever. The app role may not delete from either (history is append-only for it), so the
scheduler calls one narrow SECURITY DEFINER function, owned by the migrating role like the
other ppm_* functions, that deletes only what is older than the retention it is given.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "ppm_purge_job_history(interval)"


def upgrade(app_role: str) -> None:
    op.execute(
        """
        CREATE FUNCTION ppm_purge_job_history(p_keep interval)
        RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
            WITH outbox AS (
                DELETE FROM public.outbox_messages
                WHERE dispatched_at IS NOT NULL AND dispatched_at < now() - p_keep
                RETURNING 1
            ), runs AS (
                DELETE FROM public.job_runs
                WHERE finished_at < now() - p_keep
                RETURNING 1
            )
            SELECT ((SELECT count(*) FROM outbox) + (SELECT count(*) FROM runs))::integer
        $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO {app_role}")


def downgrade(app_role: str) -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
