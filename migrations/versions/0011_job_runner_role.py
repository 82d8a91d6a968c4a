"""jobs: the relay and scheduler's functions move from the API's role to a role of their own

Revision ID: 0011
Revises: 0010

``ppm_outbox_claim``, ``ppm_outbox_mark_dispatched``, ``ppm_district_ids`` and
``ppm_purge_job_history`` are SECURITY DEFINER and work across districts by design: the relay
publishes every district's jobs, the scheduler visits every district and purges everyone's
old history. Granted to the app role, they let anyone holding the API's credentials (or an
injection in the API) read and swallow another district's jobs, list every tenant and delete
all job history. They now belong to the job runner's role (created by ``district-ppm
migrate``, name in ``DISTRICT_PPM_JOBS_DB_ROLE``), which reads no tenant table at all; the
app role keeps only ``ppm_authenticate``, which returns the one row of the token it is given.

The purge also refuses a retention under a day: a negative or zero interval would delete the
history of every district, including jobs that finished a moment ago.
"""

from collections.abc import Sequence

from alembic import context, op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_FUNCTIONS = [
    "ppm_outbox_claim(integer)",
    "ppm_outbox_mark_dispatched(uuid[])",
    "ppm_district_ids()",
    "ppm_purge_job_history(interval)",
]

PURGE_CHECKED = """
CREATE OR REPLACE FUNCTION ppm_purge_job_history(p_keep interval)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    outbox_purged integer;
    runs_purged integer;
BEGIN
    IF p_keep IS NULL OR p_keep < interval '1 day' THEN
        RAISE EXCEPTION 'job history retention must be at least 1 day, not %', p_keep
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM public.outbox_messages
    WHERE dispatched_at IS NOT NULL AND dispatched_at < now() - p_keep;
    GET DIAGNOSTICS outbox_purged = ROW_COUNT;
    DELETE FROM public.job_runs WHERE finished_at < now() - p_keep;
    GET DIAGNOSTICS runs_purged = ROW_COUNT;
    RETURN outbox_purged + runs_purged;
END
$$
"""

# Revision 0009's body, restored by the downgrade.
PURGE_UNCHECKED = """
CREATE OR REPLACE FUNCTION ppm_purge_job_history(p_keep interval)
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


def _jobs_role() -> str:
    # Set by migrations/env.py from DISTRICT_PPM_JOBS_DB_ROLE (upgrade receives only app_role).
    role: str = context.config.attributes["jobs_role"]
    return role


def upgrade(app_role: str) -> None:
    jobs_role = _jobs_role()
    # Replacing a function keeps its grants: the swap below applies to the new body too.
    op.execute(PURGE_CHECKED)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {jobs_role}")
    for function in JOB_FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM {app_role}")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {jobs_role}")


def downgrade(app_role: str) -> None:
    jobs_role = _jobs_role()
    for function in JOB_FUNCTIONS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM {jobs_role}")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {app_role}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {jobs_role}")
    op.execute(PURGE_UNCHECKED)
