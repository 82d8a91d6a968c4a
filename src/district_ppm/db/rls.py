"""SQL that migrations use to put a table under tenant row-level security."""

from __future__ import annotations

# NULL when no tenant is set. After a transaction-local set_config ends, the setting reads as
# '' (not NULL) on that pooled connection, hence the NULLIF.
CURRENT_TENANT = "NULLIF(current_setting('app.district_id', true), '')::uuid"
TENANT_PREDICATE = f"district_id = {CURRENT_TENANT}"


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
        f"WITH CHECK ({TENANT_PREDICATE})",
        f"GRANT {privileges} ON {table} TO {app_role}",
    ]
