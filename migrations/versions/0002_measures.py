"""measures: processes, measures, targets, measurements (with revisions), status rows,
logic models, customer requirements, chart annotations/rebases/exclusions; RLS on each

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql  # noqa: F401

from district_ppm.db.rls import tenant_table_sql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table here is a tenant table. Measurement revisions are append-only history.
TENANT_TABLES = {
    "processes": "SELECT, INSERT, UPDATE, DELETE",
    "measures": "SELECT, INSERT, UPDATE, DELETE",
    "measure_targets": "SELECT, INSERT, UPDATE, DELETE",
    "measurements": "SELECT, INSERT, UPDATE, DELETE",
    "measurement_revisions": "SELECT, INSERT",
    "measure_statuses": "SELECT, INSERT, UPDATE, DELETE",
    "logic_models": "SELECT, INSERT, UPDATE, DELETE",
    "logic_model_measures": "SELECT, INSERT, UPDATE, DELETE",
    "measure_links": "SELECT, INSERT, UPDATE, DELETE",
    "customer_requirements": "SELECT, INSERT, UPDATE, DELETE",
    "measure_annotations": "SELECT, INSERT, UPDATE, DELETE",
    "control_chart_rebases": "SELECT, INSERT",
    "control_chart_exclusions": "SELECT, INSERT, UPDATE, DELETE",
}


def upgrade(app_role: str) -> None:
    op.create_table('logic_models',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_logic_models_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_logic_models')),
    sa.UniqueConstraint('district_id', 'name', name=op.f('uq_logic_models_district_id_name'))
    )
    op.create_table('measurement_revisions',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('measurement_id', sa.UUID(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('school_id', sa.UUID(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('source', sa.Enum('MANUAL', 'IMPORT', 'COMPUTED', name='measurement_source', native_enum=False, length=32), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_measurement_revisions_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_measurement_revisions'))
    )
    op.create_index('ix_measurement_revisions_measurement', 'measurement_revisions', ['district_id', 'measurement_id'], unique=False)
    op.create_table('processes',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('INSTRUCTIONAL', 'OPERATIONAL', 'MANAGEMENT', name='process_kind', native_enum=False, length=16), nullable=False),
    sa.Column('is_key', sa.Boolean(), nullable=False),
    sa.Column('parent_id', sa.UUID(), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('customers', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'parent_id'], ['processes.district_id', 'processes.id'], name=op.f('fk_processes_district_id_parent_id_processes')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_processes_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_processes')),
    sa.UniqueConstraint('district_id', 'code', name=op.f('uq_processes_district_id_code'))
    )
    op.create_table('measures',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.Text(), nullable=True),
    sa.Column('unit', sa.Enum('COUNT', 'PERCENT', 'MINUTES', 'HOURS', 'DOLLARS', 'RATIO', name='measure_unit', native_enum=False, length=32), nullable=False),
    sa.Column('direction', sa.Enum('HIGHER_IS_BETTER', 'LOWER_IS_BETTER', name='measure_direction', native_enum=False, length=32), nullable=False),
    sa.Column('stage', sa.Enum('INPUT', 'ACTIVITY', 'OUTPUT', 'SHORT_TERM_OUTCOME', 'INTERMEDIATE_OUTCOME', 'LONG_TERM_OUTCOME', name='measure_stage', native_enum=False, length=32), nullable=False),
    sa.Column('frequency', sa.Enum('DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'SCHOOL_YEAR', 'FISCAL_YEAR', name='measure_frequency', native_enum=False, length=32), nullable=False),
    sa.Column('level', sa.Enum('DISTRICT', 'SCHOOL', name='measure_level', native_enum=False, length=32), nullable=False),
    sa.Column('aggregation', sa.Enum('SUM', 'MEAN', 'ENROLLMENT_WEIGHTED_MEAN', name='measure_aggregation', native_enum=False, length=32), nullable=False),
    sa.Column('process_id', sa.UUID(), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('data_source', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'process_id'], ['processes.district_id', 'processes.id'], name=op.f('fk_measures_district_id_process_id_processes')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_measures_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_measures')),
    sa.UniqueConstraint('district_id', 'code', name=op.f('uq_measures_district_id_code'))
    )
    op.create_table('control_chart_exclusions',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('school_id', sa.UUID(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'measure_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_control_chart_exclusions_district_id_measure_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'school_id'], ['schools.district_id', 'schools.id'], name=op.f('fk_control_chart_exclusions_district_id_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_control_chart_exclusions_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_control_chart_exclusions')),
    sa.UniqueConstraint('district_id', 'measure_id', 'school_id', 'period_start', name=op.f('uq_control_chart_exclusions_district_id_measure_id_school_id_period_start'), postgresql_nulls_not_distinct=True)
    )
    op.create_table('control_chart_rebases',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('school_id', sa.UUID(), nullable=True),
    sa.Column('start_period', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'measure_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_control_chart_rebases_district_id_measure_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'school_id'], ['schools.district_id', 'schools.id'], name=op.f('fk_control_chart_rebases_district_id_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_control_chart_rebases_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_control_chart_rebases'))
    )
    op.create_table('customer_requirements',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('stakeholder_group', sa.String(length=200), nullable=False),
    sa.Column('requirement', sa.Text(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('lower_spec_limit', sa.Float(), nullable=True),
    sa.Column('upper_spec_limit', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'measure_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_customer_requirements_district_id_measure_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_customer_requirements_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_customer_requirements'))
    )
    op.create_table('logic_model_measures',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('logic_model_id', sa.UUID(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'logic_model_id'], ['logic_models.district_id', 'logic_models.id'], name=op.f('fk_logic_model_measures_district_id_logic_model_id_logic_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'measure_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_logic_model_measures_district_id_measure_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_logic_model_measures_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_logic_model_measures')),
    sa.UniqueConstraint('district_id', 'logic_model_id', 'measure_id', name=op.f('uq_logic_model_measures_district_id_logic_model_id_measure_id'))
    )
    op.create_table('measure_annotations',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('school_id', sa.UUID(), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'measure_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_measure_annotations_district_id_measure_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'school_id'], ['schools.district_id', 'schools.id'], name=op.f('fk_measure_annotations_district_id_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_measure_annotations_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_measure_annotations'))
    )
    op.create_table('measure_links',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('logic_model_id', sa.UUID(), nullable=False),
    sa.Column('driver_id', sa.UUID(), nullable=False),
    sa.Column('driven_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'driven_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_measure_links_district_id_driven_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'driver_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_measure_links_district_id_driver_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'logic_model_id'], ['logic_models.district_id', 'logic_models.id'], name=op.f('fk_measure_links_district_id_logic_model_id_logic_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_measure_links_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_measure_links')),
    sa.UniqueConstraint('district_id', 'logic_model_id', 'driver_id', 'driven_id', name=op.f('uq_measure_links_district_id_logic_model_id_driver_id_driven_id'))
    )
    op.create_table('measure_statuses',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('school_id', sa.UUID(), nullable=True),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('latest_period', sa.Date(), nullable=True),
    sa.Column('latest_value', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('red_threshold', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('trend', sa.String(length=16), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'measure_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_measure_statuses_district_id_measure_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'school_id'], ['schools.district_id', 'schools.id'], name=op.f('fk_measure_statuses_district_id_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_measure_statuses_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_measure_statuses')),
    sa.UniqueConstraint('district_id', 'measure_id', 'school_id', 'school_year', name=op.f('uq_measure_statuses_district_id_measure_id_school_id_school_year'), postgresql_nulls_not_distinct=True)
    )
    op.create_index('ix_measure_statuses_year', 'measure_statuses', ['district_id', 'school_year'], unique=False)
    op.create_table('measure_targets',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('school_id', sa.UUID(), nullable=True),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('red_threshold', sa.Float(), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'measure_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_measure_targets_district_id_measure_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'school_id'], ['schools.district_id', 'schools.id'], name=op.f('fk_measure_targets_district_id_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_measure_targets_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_measure_targets')),
    sa.UniqueConstraint('district_id', 'measure_id', 'school_id', 'school_year', name=op.f('uq_measure_targets_district_id_measure_id_school_id_school_year'), postgresql_nulls_not_distinct=True)
    )
    op.create_table('measurements',
    sa.Column('district_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('measure_id', sa.UUID(), nullable=False),
    sa.Column('school_id', sa.UUID(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('source', sa.Enum('MANUAL', 'IMPORT', 'COMPUTED', name='measurement_source', native_enum=False, length=32), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_id', 'measure_id'], ['measures.district_id', 'measures.id'], name=op.f('fk_measurements_district_id_measure_id_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id', 'school_id'], ['schools.district_id', 'schools.id'], name=op.f('fk_measurements_district_id_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_measurements_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'id', name=op.f('pk_measurements')),
    sa.UniqueConstraint('district_id', 'measure_id', 'school_id', 'period_start', name=op.f('uq_measurements_district_id_measure_id_school_id_period_start'), postgresql_nulls_not_distinct=True)
    )
    op.create_index('ix_measurements_measure_period', 'measurements', ['district_id', 'measure_id', 'period_start'], unique=False)

    for table, privileges in TENANT_TABLES.items():
        for statement in tenant_table_sql(table, app_role, privileges=privileges):
            op.execute(statement)


def downgrade(app_role: str) -> None:
    op.drop_index('ix_measurements_measure_period', table_name='measurements')
    op.drop_table('measurements')
    op.drop_table('measure_targets')
    op.drop_index('ix_measure_statuses_year', table_name='measure_statuses')
    op.drop_table('measure_statuses')
    op.drop_table('measure_links')
    op.drop_table('measure_annotations')
    op.drop_table('logic_model_measures')
    op.drop_table('customer_requirements')
    op.drop_table('control_chart_rebases')
    op.drop_table('control_chart_exclusions')
    op.drop_table('measures')
    op.drop_table('processes')
    op.drop_index('ix_measurement_revisions_measurement', table_name='measurement_revisions')
    op.drop_table('measurement_revisions')
    op.drop_table('logic_models')
