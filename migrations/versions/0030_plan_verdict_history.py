"""sustainability: every plan's verdict on every date, kept by the worker at an inputs version

Revision ID: 0030
Revises: 0029

- ``district_data_versions.inputs_version``: a second number per district, moved at commit
  (by ``ppm_advance_data_version``, with the data version) only when the transaction wrote a
  table a sustainability verdict is computed from (``data_version.VERDICT_INPUT_TABLES``).
- ``ppm_mark_verdict_input()``: a statement trigger on those tables that notes the write in a
  transaction-local setting (``app.verdict_inputs_wrote``), as ``ppm_mark_district_write``
  does for the data version: no lock, one call per statement.
- ``plan_verdict_history``: each plan's verdict over ranges of dates ``[valid_from,
  valid_until)``, with the inputs version it was computed at (``sustainability.history``).
  A read serves a row only while the district's inputs version is still that one. Under the
  tenant's row-level security; no data-version trigger (writing it changes no answer).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from district_ppm.db.rls import tenant_table_sql

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "plan_verdict_history"
# As of this revision (``data_version.VERDICT_INPUT_TABLES`` may grow; a revision must not
# change what it did).
VERDICT_INPUT_TABLES = (
    "districts",
    "school_enrollments",
    "measures",
    "measurements",
    "measure_targets",
    "control_chart_rebases",
    "control_chart_exclusions",
    "sustainability_plans",
    "sustainability_plan_measures",
    "sustainability_reviews",
    "project_schools",
)

MARK_INPUT = """
CREATE FUNCTION ppm_mark_verdict_input() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM set_config('app.verdict_inputs_wrote', 'on', true);
    RETURN NULL;
END
$$
"""

# 0019's function, each UPDATE also moving ``inputs_version`` when the transaction wrote a
# verdict's input (a transaction that wrote one for several districts moves them all).
ADVANCE = """
CREATE OR REPLACE FUNCTION ppm_advance_data_version() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
    written text := coalesce(current_setting('app.districts_wrote', true), '');
    districts uuid[] := '{}';
    inputs int := CASE WHEN current_setting('app.verdict_inputs_wrote', true) = 'on'
                       THEN 1 ELSE 0 END;
BEGIN
    IF current_setting('app.district_wrote', true) = 'on' THEN
        districts := array_remove(
            ARRAY[nullif(current_setting('app.district_id', true), '')::uuid], NULL);
    END IF;
    IF written = '*' THEN
        -- Key order: two transactions moving several rows never wait for each other in a
        -- cycle (one moving a single row waits for nothing once it holds it).
        PERFORM 1 FROM public.district_data_versions ORDER BY district_id FOR UPDATE;
        UPDATE public.district_data_versions
        SET version = version + 1, inputs_version = inputs_version + inputs;
    ELSE
        IF written <> '' THEN
            districts := districts || string_to_array(rtrim(written, ','), ',')::uuid[];
        END IF;
        IF cardinality(districts) = 1 THEN
            UPDATE public.district_data_versions
            SET version = version + 1, inputs_version = inputs_version + inputs
            WHERE district_id = districts[1];
        ELSIF cardinality(districts) > 1 THEN
            PERFORM 1 FROM public.district_data_versions WHERE district_id = ANY(districts)
            ORDER BY district_id FOR UPDATE;
            UPDATE public.district_data_versions
            SET version = version + 1, inputs_version = inputs_version + inputs
            WHERE district_id = ANY(districts);
        END IF;
    END IF;
    -- Moved once: a second call in the same transaction moves nothing more.
    PERFORM set_config('app.district_wrote', '', true);
    PERFORM set_config('app.districts_wrote', '', true);
    PERFORM set_config('app.verdict_inputs_wrote', '', true);
END
$$
"""

# 0019's function, as it was.
ADVANCE_BEFORE = """
CREATE OR REPLACE FUNCTION ppm_advance_data_version() RETURNS void
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
    PERFORM set_config('app.district_wrote', '', true);
    PERFORM set_config('app.districts_wrote', '', true);
END
$$
"""


def upgrade(app_role: str) -> None:
    op.add_column(
        "district_data_versions",
        sa.Column("inputs_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.execute(MARK_INPUT)
    for table in VERDICT_INPUT_TABLES:
        op.execute(
            f"CREATE TRIGGER ppm_verdict_input AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ppm_mark_verdict_input()"
        )
    op.execute(ADVANCE)
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
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "COMPLIANT",
                "AT_RISK",
                "NON_COMPLIANT",
                name="compliance_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("failed_checks", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id", "plan_id"],
            ["sustainability_plans.district_id", "sustainability_plans.id"],
            name=op.f(f"fk_{TABLE}_district_id_plan_id_sustainability_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("district_id", "id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint(
            "district_id",
            "plan_id",
            "valid_from",
            name=op.f(f"uq_{TABLE}_district_id_plan_id_valid_from"),
        ),
    )
    for statement in tenant_table_sql(TABLE, app_role):
        op.execute(statement)


def downgrade(app_role: str) -> None:
    op.drop_table(TABLE)
    op.execute(ADVANCE_BEFORE)
    for table in VERDICT_INPUT_TABLES:
        op.execute(f"DROP TRIGGER ppm_verdict_input ON {table}")
    op.execute("DROP FUNCTION ppm_mark_verdict_input()")
    op.drop_column("district_data_versions", "inputs_version")
