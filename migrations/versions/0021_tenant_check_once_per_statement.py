"""rls: a tenant table's write check reads the tenant once per statement, not once per row

Revision ID: 0021
Revises: 0020

``tenant_isolation``'s WITH CHECK compared each written row's ``district_id`` with
``NULLIF(current_setting('app.district_id', true), '')::uuid``, which PostgreSQL evaluates for
every row an INSERT or UPDATE writes: a settings lookup and a uuid parse per row, a fifth of
the time a bulk INSERT of 800,000 bus runs spends writing them. Wrapped in a scalar subquery,
the same expression becomes an InitPlan, evaluated once per statement; each row then costs a
uuid comparison. The check is the same: no statement changes the tenant setting while it
runs, and with no tenant set the subquery is NULL and no row passes. USING (what reads see)
is left as it is: there the planner already reads the setting once, and its plans stay.

Only the policies in the standard form are changed (``districts`` checks ``id`` and takes no
writes from the app role).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As of this revision (db/rls.py may change; a revision must not change what it did).
POLICY = "tenant_isolation"
CURRENT_TENANT = "NULLIF(current_setting('app.district_id', true), '')::uuid"
PER_ROW = f"district_id = {CURRENT_TENANT}"
PER_STATEMENT = f"district_id = (SELECT {CURRENT_TENANT})"

# The tables whose policy checks writes with ``check`` (PostgreSQL's own rendering of it).
_TABLES_CHECKING = """
SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace = 'public'::regnamespace AND p.polname = :policy
  AND pg_get_expr(p.polwithcheck, p.polrelid) = (
      SELECT pg_get_expr(q.polwithcheck, q.polrelid) FROM pg_policy q
      WHERE q.polrelid = 'ppm_check_form'::regclass)
ORDER BY 1
"""


def _tables_checking(check: str) -> list[str]:
    """Tables whose ``tenant_isolation`` WITH CHECK is ``check``, compared as PostgreSQL
    renders it (on a scratch table given that policy)."""
    bind = op.get_bind()
    bind.execute(sa.text("CREATE TEMP TABLE ppm_check_form (district_id uuid) ON COMMIT DROP"))
    bind.execute(sa.text(f"CREATE POLICY {POLICY} ON ppm_check_form WITH CHECK ({check})"))
    tables = list(bind.execute(sa.text(_TABLES_CHECKING), {"policy": POLICY}).scalars())
    bind.execute(sa.text("DROP TABLE ppm_check_form"))
    return tables


def upgrade(app_role: str) -> None:
    for table in _tables_checking(PER_ROW):
        op.execute(f"ALTER POLICY {POLICY} ON {table} WITH CHECK ({PER_STATEMENT})")


def downgrade(app_role: str) -> None:
    for table in _tables_checking(PER_STATEMENT):
        op.execute(f"ALTER POLICY {POLICY} ON {table} WITH CHECK ({PER_ROW})")
