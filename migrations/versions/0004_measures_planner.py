"""measures: index-backed foreign-key checks for the application role

Revision ID: 0004
Revises: 0002

Every measurement written runs three foreign-key checks (district, measure, school), each a
one-row lookup by primary key. With the default random_page_cost of 4 the planner prefers
to read a small parent table whole (200 schools: every check reads all of them) or picks
the (district_id, nces_id) index and filters every school of the district; on a bulk import
of 720,000 measurements those checks took 12 of the merge's 20 seconds. At 1.1, the usual
value for SSD storage, each check is a primary-key probe. Set for the application role in
this database only, so it holds from the first statement of every pooled connection, and
the foreign-key plans PostgreSQL caches per connection are made with it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _for_app_role(app_role: str, setting: str) -> str:
    return (
        "DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I "
        f"{setting}', '{app_role}', current_database()); END $$"
    )


def upgrade(app_role: str) -> None:
    op.execute(_for_app_role(app_role, "SET random_page_cost = 1.1"))


def downgrade(app_role: str) -> None:
    op.execute(_for_app_role(app_role, "RESET random_page_cost"))
