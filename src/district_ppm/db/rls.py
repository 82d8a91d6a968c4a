"""SQL that migrations use to put a table under tenant row-level security."""

from __future__ import annotations

# NULL when no tenant is set. After a transaction-local set_config ends, the setting reads as
# '' (not NULL) on that pooled connection, hence the NULLIF.
CURRENT_TENANT = "NULLIF(current_setting('app.district_id', true), '')::uuid"
TENANT_PREDICATE = f"district_id = {CURRENT_TENANT}"
# The same for writes, the tenant read once per statement (a scalar subquery is an InitPlan):
# as a plain expression it is evaluated for every row written (migration 0021).
TENANT_CHECK = f"district_id = (SELECT {CURRENT_TENANT})"


def tenant_table_sql(
    table: str, app_role: str, *, privileges: str = "SELECT, INSERT, UPDATE, DELETE"
) -> list[str]:
    """Enable and force RLS on ``table`` and grant the app role the given privileges.

    With no tenant set, ``CURRENT_TENANT`` is NULL and the policy matches no row: a session
    that forgot to set the tenant sees nothing and can write nothing.
    """
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_PREDICATE}) "
        f"WITH CHECK ({TENANT_CHECK})",
        operator_policy_sql(table),
        f"GRANT {privileges} ON {table} TO {app_role}",
    ]


OPERATOR_POLICY = "platform_operator"


def operator_policy_sql(table: str) -> str:
    """The migrating role (the platform operator: create-district, token, member add) works
    across tenants even when it is not a superuser, as on managed PostgreSQL.

    FORCE puts the table's owner under the policies too, and only superusers bypass them; the
    owner could lift FORCE at will, so admitting it gives it nothing it lacked. The policy
    names that role alone (``CURRENT_USER`` is resolved when the migration runs): the
    application role stays bound to ``tenant_isolation``.
    """
    return (
        f"CREATE POLICY {OPERATOR_POLICY} ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
    )
