"""measures: the statuses of a school year indexed by scope too

Revision ID: 0029
Revises: 0028

``ix_measure_statuses_year`` was (district, school year); it is now (district, school year,
school). Reads of the district-wide rows of a year (an agenda's RED measures, the hygiene
reports' statuses) found them by walking every school's row of the year and filtering: 2,700
rows for 23 in bench_improvement's district (0.85 of the agenda's 1.9 ms statement). With
the school in the key, ``school_id IS NULL`` is part of the index condition. Reads of every
row of a year use the same index as before, by its first two columns.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "measure_statuses"
INDEX = "ix_measure_statuses_year"


def upgrade(app_role: str) -> None:
    op.drop_index(INDEX, table_name=TABLE)
    op.create_index(INDEX, TABLE, ["district_id", "school_year", "school_id"])


def downgrade(app_role: str) -> None:
    op.drop_index(INDEX, table_name=TABLE)
    op.create_index(INDEX, TABLE, ["district_id", "school_year"])
