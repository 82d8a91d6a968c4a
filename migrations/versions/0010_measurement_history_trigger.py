"""measures: the history of a measurement is written from the row actually replaced

Revision ID: 0010
Revises: 0009

The merge used to copy the old value to ``measurement_revisions`` from its own snapshot, then
let ``ON CONFLICT DO UPDATE`` overwrite the row. Under READ COMMITTED the conflict arm updates
the latest committed row, which a concurrent writer may have put there after the snapshot: that
value was overwritten without ever reaching the history (20 racing writers lost 14 values).

A row-level trigger sees the row the UPDATE really replaces (``OLD``, locked by the update
itself), so every value that stops being current is copied exactly once, whoever wrote it and
whatever ran at the same time. ``replaced_at`` is the clock at the moment of replacement, not
the transaction's start, so the history orders the way the replacements happened.

The function runs as the caller (the app role, under the tenant's RLS), not SECURITY DEFINER:
it writes only the caller's own district's rows, which the caller may insert anyway.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str) -> None:
    op.execute(
        """
        CREATE FUNCTION ppm_measurement_revision() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
        BEGIN
            INSERT INTO public.measurement_revisions (
                district_id, id, measurement_id, measure_id, school_id, period_start, value,
                numerator, denominator, source, recorded_by, recorded_at, replaced_at,
                replaced_by, created_at)
            VALUES (
                OLD.district_id, gen_random_uuid(), OLD.id, OLD.measure_id, OLD.school_id,
                OLD.period_start, OLD.value, OLD.numerator, OLD.denominator, OLD.source,
                OLD.recorded_by, OLD.recorded_at, clock_timestamp(), NEW.recorded_by, now());
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER measurements_keep_history
        BEFORE UPDATE ON measurements
        FOR EACH ROW
        WHEN ((OLD.value, OLD.numerator, OLD.denominator)
              IS DISTINCT FROM (NEW.value, NEW.numerator, NEW.denominator))
        EXECUTE FUNCTION ppm_measurement_revision()
        """
    )
    # Auditors read a key's history oldest first.
    op.execute(
        "CREATE INDEX ix_measurement_revisions_key ON measurement_revisions "
        "(district_id, measure_id, period_start, school_id, replaced_at)"
    )


def downgrade(app_role: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_measurement_revisions_key")
    op.execute("DROP TRIGGER IF EXISTS measurements_keep_history ON measurements")
    op.execute("DROP FUNCTION IF EXISTS ppm_measurement_revision()")
