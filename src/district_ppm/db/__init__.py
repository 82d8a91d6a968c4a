"""Database access: the declarative base, engines, tenant-scoped transactions."""
