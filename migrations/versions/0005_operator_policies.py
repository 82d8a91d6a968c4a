"""operator policies: the migrating role may work across tenants without being a superuser

Revision ID: 0005
Revises: 0003

Every table under row-level security forces it on its owner as well, so an operator role
that is not a superuser (managed PostgreSQL offers none) could migrate but not create a
district, issue a token or add a member. ``tenant_table_sql`` now adds a policy for the
migrating role to each new table; this revision adds it to every table that already has row-
level security and lacks it (idempotent, whatever order the branches ran in).
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from district_ppm.db.rls import OPERATOR_POLICY, operator_policy_sql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES_WITH_RLS = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relrowsecurity
ORDER BY 1
"""


def upgrade(app_role: str) -> None:
    connection = op.get_bind()
    for (table,) in connection.execute(text(_TABLES_WITH_RLS)).all():
        exists = connection.execute(
            text(
                "SELECT 1 FROM pg_policies WHERE schemaname = 'public' "
                "AND tablename = :table AND policyname = :policy"
            ),
            {"table": table, "policy": OPERATOR_POLICY},
        ).first()
        if not exists:
            op.execute(operator_policy_sql(table))


def downgrade(app_role: str) -> None:
    connection = op.get_bind()
    for (table,) in connection.execute(text(_TABLES_WITH_RLS)).all():
        op.execute(f"DROP POLICY IF EXISTS {OPERATOR_POLICY} ON {table}")
