"""Imports every model so the metadata is complete (Alembic, schema tests)."""

from district_ppm.audit.models import AuditEvent
from district_ppm.db.base import Base
from district_ppm.jobs.models import DistrictStats, JobRun, OutboxMessage
from district_ppm.schools.models import School, SchoolEnrollment
from district_ppm.tenancy.models import ApiToken, District, Membership, User

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEvent",
    "District",
    "DistrictStats",
    "JobRun",
    "Membership",
    "OutboxMessage",
    "School",
    "SchoolEnrollment",
    "User",
    "metadata",
]
