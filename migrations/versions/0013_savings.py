"""savings: the ledger, reinvestment in instruction, and the worker's stored roll-ups

Revision ID: 0013
Revises: 0012

The ledger is never deleted from by the application, and an entry changes only in the columns
granted below (status, amount, month, note and who/when). A trigger refuses every change to
a VALIDATED entry or to a reversal, and to what identifies an entry (project, category, unit,
fiscal year, school, adoption, what it reverses): a correction is a new reversing entry,
whatever code or role runs the UPDATE. A unique partial index lets an entry be reversed once,
however many reversals race.

The roll-ups (``savings_category_rollups``, ``savings_rollups``, ``savings_rollup_state``) are
replaced whole by the ``rollup_savings`` job.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from district_ppm.db.rls import tenant_table_sql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = {
    # UPDATE only on the columns a status move or a correction writes (granted below).
    "savings_entries": "SELECT, INSERT",
    "savings_allocations": "SELECT, INSERT",
    "savings_category_rollups": "SELECT, INSERT, UPDATE, DELETE",
    "savings_rollups": "SELECT, INSERT, UPDATE, DELETE",
    "savings_rollup_state": "SELECT, INSERT, UPDATE",
}
ENTRY_UPDATABLE = (
    "status, amount, month, note, updated_at, updated_by, validated_at, validated_by"
)

FROZEN_TRIGGER = """
CREATE FUNCTION ppm_savings_entry_frozen() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    IF OLD.status = 'VALIDATED' OR OLD.reverses_id IS NOT NULL THEN
        RAISE EXCEPTION 'savings entry % is validated or a reversal: it is never edited', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.project_id, NEW.category, NEW.unit, NEW.fiscal_year, NEW.school_id,
        NEW.adoption_id, NEW.reverses_id)
       IS DISTINCT FROM (OLD.project_id, OLD.category, OLD.unit, OLD.fiscal_year,
                         OLD.school_id, OLD.adoption_id, OLD.reverses_id) THEN
        RAISE EXCEPTION 'savings entry %: what it claims is fixed once recorded', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade(app_role: str) -> None:
    op.create_table('savings_category_rollups',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_savings_category_rollups_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'fiscal_year', 'category', 'status', 'unit', name=op.f('pk_savings_category_rollups'))
    )
    op.create_table('savings_rollup_state',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_savings_rollup_state_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', name=op.f('pk_savings_rollup_state'))
    )
    op.create_table('savings_rollups',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('grouping', sa.String(length=16), nullable=False),
    sa.Column('group_key', sa.UUID(), nullable=False),
    sa.Column('hard_validated', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total_usd', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('validated_usd', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('total_hours', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('validated_hours', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_savings_rollups_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'fiscal_year', 'grouping', 'group_key', name=op.f('pk_savings_rollups'))
    )
    op.create_table('savings_allocations',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.UUID(), nullable=False),
    sa.Column('unit', sa.Enum('USD', 'HOURS', name='savings_unit', native_enum=False, length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('allocated_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_savings_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['district_id', 'process_id'], ['processes.district_id', 'processes.id'], name=op.f('fk_savings_allocations_district_id_process_id_processes')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_savings_allocations_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_savings_allocations'))
    )
    op.create_index('ix_savings_allocations_fiscal_year', 'savings_allocations', ['district_id', 'fiscal_year', 'unit'], unique=False)
    op.create_table('savings_entries',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('project_id', sa.UUID(), nullable=False),
    sa.Column('school_id', sa.UUID(), nullable=True),
    sa.Column('adoption_id', sa.UUID(), nullable=True),
    sa.Column('category', sa.Enum('HARD', 'COST_AVOIDANCE', 'SOFT', 'INSTRUCTIONAL_TIME', name='savings_category', native_enum=False, length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('unit', sa.Enum('USD', 'HOURS', name='savings_unit', native_enum=False, length=32), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('PROJECTED', 'REALIZED', 'VALIDATED', name='savings_status', native_enum=False, length=32), nullable=False),
    sa.Column('reverses_id', sa.UUID(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('validated_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_savings_entries_amount_not_zero')),
    sa.CheckConstraint('fiscal_year BETWEEN 2000 AND 2100', name=op.f('ck_savings_entries_fiscal_year_range')),
    sa.CheckConstraint('month BETWEEN 1 AND 12', name=op.f('ck_savings_entries_month_1_to_12')),
    sa.ForeignKeyConstraint(['district_id', 'adoption_id'], ['adoptions.district_id', 'adoptions.id'], name=op.f('fk_savings_entries_district_id_adoption_id_adoptions')),
    sa.ForeignKeyConstraint(['district_id', 'project_id'], ['projects.district_id', 'projects.id'], name=op.f('fk_savings_entries_district_id_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'reverses_id'], ['savings_entries.district_id', 'savings_entries.id'], name=op.f('fk_savings_entries_district_id_reverses_id_savings_entries')),
    sa.ForeignKeyConstraint(['district_id', 'school_id'], ['schools.district_id', 'schools.id'], name=op.f('fk_savings_entries_district_id_school_id_schools')),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_savings_entries'))
    )
    op.create_index('ix_savings_entries_fiscal_year', 'savings_entries', ['district_id', 'fiscal_year'], unique=False)
    op.create_index('ix_savings_entries_project', 'savings_entries', ['district_id', 'project_id'], unique=False)
    op.create_index('uq_savings_entries_reverses_id', 'savings_entries', ['district_id', 'reverses_id'], unique=True, postgresql_where=sa.text('reverses_id IS NOT NULL'))
    for table, privileges in TENANT_TABLES.items():
        for statement in tenant_table_sql(table, app_role, privileges=privileges):
            op.execute(statement)
    op.execute(f"GRANT UPDATE ({ENTRY_UPDATABLE}) ON savings_entries TO {app_role}")
    op.execute(FROZEN_TRIGGER)
    op.execute(
        "CREATE TRIGGER savings_entry_frozen BEFORE UPDATE ON savings_entries "
        "FOR EACH ROW EXECUTE FUNCTION ppm_savings_entry_frozen()"
    )


def downgrade(app_role: str) -> None:
    op.execute("DROP TRIGGER savings_entry_frozen ON savings_entries")
    op.execute("DROP FUNCTION ppm_savings_entry_frozen()")
    op.drop_index('uq_savings_entries_reverses_id', table_name='savings_entries', postgresql_where=sa.text('reverses_id IS NOT NULL'))
    op.drop_index('ix_savings_entries_project', table_name='savings_entries')
    op.drop_index('ix_savings_entries_fiscal_year', table_name='savings_entries')
    op.drop_table('savings_entries')
    op.drop_index('ix_savings_allocations_fiscal_year', table_name='savings_allocations')
    op.drop_table('savings_allocations')
    op.drop_table('savings_rollups')
    op.drop_table('savings_rollup_state')
    op.drop_table('savings_category_rollups')
