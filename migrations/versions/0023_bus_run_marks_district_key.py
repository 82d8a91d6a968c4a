"""transportation: drop the dirty marks' foreign key to districts that the one to routes implies

Revision ID: 0023
Revises: 0024

(Numbered 0023, the number this change was given; 0024 landed first, so it follows 0024.)

Every ``bus_run_dirty_months`` row references its route by ``(district_id, route_id)``, ON
DELETE CASCADE, and every route references its district, ON DELETE CASCADE: a mark's district
exists, and deleting a district deletes its routes and so their marks. The mark's own foreign
key to ``districts`` checked nothing more, once per mark written, as the measurements' did
before 0007: a first bulk import of 810,000 bus runs writes 40,500 marks, and the check took
0.17 s of the 0.58 s of server time that writing them costs.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "bus_run_dirty_months"
CONSTRAINT = "fk_bus_run_dirty_months_district_id_districts"


def upgrade(app_role: str) -> None:
    op.drop_constraint(CONSTRAINT, TABLE, type_="foreignkey")


def downgrade(app_role: str) -> None:
    op.create_foreign_key(
        CONSTRAINT, TABLE, "districts", ["district_id"], ["id"], ondelete="CASCADE"
    )
