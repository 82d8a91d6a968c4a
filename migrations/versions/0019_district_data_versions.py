"""data versions: each district's number that every committed write of its data moves on

Revision ID: 0019
Revises: 0018

The response cache keys its entries by it, so that no read after a committed write is answered
from an entry made before that write (``district_ppm.db.data_version`` explains the design).

- ``district_data_versions``: one row per district (made for the existing ones here, and by a
  trigger on ``districts`` for new ones, whoever inserts them), under the tenant's RLS; the
  app role reads and moves its own district's row only.
- ``ppm_mark_district_write()``: a trigger function that only sets transaction-local settings:
  ``app.district_wrote = 'on'`` in a tenant's transaction; without a tenant (the operator's
  role) the written rows' districts in ``app.districts_wrote``, or ``*`` for every district.
  Attached per statement to every table with a ``district_id`` under RLS (a statement trigger
  costs one call however many rows the statement writes, and takes no lock), per row to the
  few small tables the operator writes without a tenant, and to ``users`` for updates and
  deletes. Job bookkeeping is left out (``UNVERSIONED``).
- ``ppm_advance_data_version()``: run by the application's engines as the last statement of
  every commit; adds one to the version of each district the transaction wrote, locking the
  rows in key order. It runs as its caller (no SECURITY DEFINER): the app role moves only its
  own district's row, and the job runner's role, which writes no versioned table, never
  reaches the UPDATE it has no privilege for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from district_ppm.db.rls import tenant_table_sql

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "district_data_versions"
# As of this revision (``data_version.UNVERSIONED_TABLES`` and ``OPERATOR_TABLES`` may grow;
# a revision must not change what it did).
UNVERSIONED = {TABLE, "outbox_messages", "job_runs", "measure_dirty_marks"}
OPERATOR_TABLES = {
    "districts": "id",
    "api_tokens": "district_id",
    "memberships": "district_id",
    "audit_events": "district_id",
}

_TENANT_TABLES = """
SELECT c.relname FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'district_id' AND NOT a.attisdropped
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relrowsecurity
ORDER BY 1
"""

MARK = """
CREATE FUNCTION ppm_mark_district_write() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    written text := coalesce(current_setting('app.districts_wrote', true), '');
    district text;
BEGIN
    IF nullif(current_setting('app.district_id', true), '') IS NOT NULL THEN
        -- A tenant's transaction: row-level security confines it to its own district.
        PERFORM set_config('app.district_wrote', 'on', true);
    ELSIF written = '*' THEN
        NULL;
    ELSIF TG_LEVEL = 'STATEMENT' OR length(written) > 37 * 100 THEN
        -- Rows of unknown districts (or of over a hundred): every district moves.
        PERFORM set_config('app.districts_wrote', '*', true);
    ELSE
        IF TG_OP = 'DELETE' THEN
            district := to_jsonb(OLD) ->> TG_ARGV[0];
        ELSE
            district := to_jsonb(NEW) ->> TG_ARGV[0];
        END IF;
        IF strpos(written, district) = 0 THEN
            PERFORM set_config('app.districts_wrote', written || district || ',', true);
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""

ADVANCE = """
CREATE FUNCTION ppm_advance_data_version() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    written text := coalesce(current_setting('app.districts_wrote', true), '');
    districts uuid[] := '{}';
BEGIN
    IF current_setting('app.district_wrote', true) = 'on' THEN
        districts := array_remove(
            ARRAY[nullif(current_setting('app.district_id', true), '')::uuid], NULL);
    END IF;
    IF written = '*' THEN
        -- Key order: two transactions moving several rows never wait for each other in a
        -- cycle (one moving a single row waits for nothing once it holds it).
        PERFORM 1 FROM public.district_data_versions ORDER BY district_id FOR UPDATE;
        UPDATE public.district_data_versions SET version = version + 1;
    ELSE
        IF written <> '' THEN
            districts := districts || string_to_array(rtrim(written, ','), ',')::uuid[];
        END IF;
        IF cardinality(districts) = 1 THEN
            UPDATE public.district_data_versions SET version = version + 1
            WHERE district_id = districts[1];
        ELSIF cardinality(districts) > 1 THEN
            PERFORM 1 FROM public.district_data_versions WHERE district_id = ANY(districts)
            ORDER BY district_id FOR UPDATE;
            UPDATE public.district_data_versions SET version = version + 1
            WHERE district_id = ANY(districts);
        END IF;
    END IF;
    -- Moved once: a second call in the same transaction moves nothing more.
    PERFORM set_config('app.district_wrote', '', true);
    PERFORM set_config('app.districts_wrote', '', true);
END
$$
"""

CREATE_ROW = """
CREATE FUNCTION ppm_create_data_version() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO public.district_data_versions (district_id) VALUES (NEW.id);
    RETURN NULL;
END
$$
"""


def _trigger_sql(table: str) -> str:
    if table in OPERATOR_TABLES:
        return (
            f"CREATE TRIGGER ppm_data_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ppm_mark_district_write('{OPERATOR_TABLES[table]}')"
        )
    return (
        f"CREATE TRIGGER ppm_data_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ppm_mark_district_write()"
    )


def upgrade(app_role: str) -> None:
    op.create_table(
        TABLE,
        sa.Column("district_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f(f"fk_{TABLE}_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", name=op.f(f"pk_{TABLE}")),
    )
    for statement in tenant_table_sql(TABLE, app_role, privileges="SELECT, UPDATE"):
        op.execute(statement)
    op.execute(f"INSERT INTO {TABLE} (district_id) SELECT id FROM districts")
    op.execute(CREATE_ROW)
    op.execute(
        "CREATE TRIGGER ppm_create_data_version AFTER INSERT ON districts "
        "FOR EACH ROW EXECUTE FUNCTION ppm_create_data_version()"
    )

    op.execute(MARK)
    op.execute(ADVANCE)
    tables = [name for (name,) in op.get_bind().execute(text(_TENANT_TABLES))]
    for table in sorted({*tables, *OPERATOR_TABLES} - UNVERSIONED):
        op.execute(_trigger_sql(table))
    op.execute(
        "CREATE TRIGGER ppm_data_version AFTER UPDATE OR DELETE ON users "
        "FOR EACH STATEMENT EXECUTE FUNCTION ppm_mark_district_write()"
    )


_MARKED_TABLES = """
SELECT tgrelid::regclass::text FROM pg_trigger
WHERE tgname = 'ppm_data_version' AND NOT tgisinternal ORDER BY 1
"""


def downgrade(app_role: str) -> None:
    for (table,) in op.get_bind().execute(text(_MARKED_TABLES)).all():
        op.execute(f"DROP TRIGGER ppm_data_version ON {table}")
    op.execute("DROP TRIGGER IF EXISTS ppm_create_data_version ON districts")
    op.execute("DROP FUNCTION IF EXISTS ppm_advance_data_version()")
    op.execute("DROP FUNCTION IF EXISTS ppm_mark_district_write()")
    op.execute("DROP FUNCTION IF EXISTS ppm_create_data_version()")
    op.drop_table(TABLE)
