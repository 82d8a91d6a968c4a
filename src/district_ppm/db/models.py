"""Imports every model so the metadata is complete (Alembic, schema tests)."""

from district_ppm.audit.models import AuditEvent
from district_ppm.db.base import Base
from district_ppm.db.data_version import DistrictDataVersion
from district_ppm.governance.models_forums import (
    AgendaAmendment,
    Decision,
    Forum,
    ForumMeasure,
    ForumProcess,
    Meeting,
    MeetingAgendaItem,
)
from district_ppm.governance.models_people import ManagementRating, ResponsibilityAssignment
from district_ppm.improvement.models import Opportunity, Project, ProjectSchool, ProjectTollgate
from district_ppm.jobs.models import DistrictStats, JobRun, OutboxMessage
from district_ppm.measures.charts_models import (
    Annotation,
    ChartExclusion,
    ChartRebase,
    ChartSignal,
    SeriesSignals,
)
from district_ppm.measures.logic_models import (
    CustomerRequirement,
    LogicModel,
    LogicModelMeasure,
    MeasureLink,
)
from district_ppm.measures.models import (
    Measure,
    MeasureDirtyMark,
    Measurement,
    MeasurementRevision,
    MeasureStatus,
    PeriodCounts,
    Target,
)
from district_ppm.practices.models import Adoption, AdoptionGain, Practice, PracticeMeasure
from district_ppm.processes.models import Process
from district_ppm.savings.models import (
    SavingsAllocation,
    SavingsCategoryRollup,
    SavingsEntry,
    SavingsRollup,
    SavingsRollupState,
)
from district_ppm.schools.models import School, SchoolEnrollment
from district_ppm.sustainability.models import (
    PlanCompliance,
    PlanMeasure,
    SustainabilityPlan,
    SustainabilityReview,
)
from district_ppm.tenancy.models import ApiToken, District, Membership, User
from district_ppm.transportation.models import (
    BusRoute,
    BusRun,
    BusRunDirtyMonth,
    TimeLossRollup,
    TimeLossRouteMonth,
    TimeLossState,
)

metadata = Base.metadata

__all__ = [
    "Adoption",
    "AdoptionGain",
    "AgendaAmendment",
    "Annotation",
    "ApiToken",
    "AuditEvent",
    "BusRoute",
    "BusRun",
    "BusRunDirtyMonth",
    "ChartExclusion",
    "ChartRebase",
    "ChartSignal",
    "CustomerRequirement",
    "Decision",
    "District",
    "DistrictDataVersion",
    "DistrictStats",
    "Forum",
    "ForumMeasure",
    "ForumProcess",
    "JobRun",
    "LogicModel",
    "LogicModelMeasure",
    "ManagementRating",
    "Measure",
    "MeasureDirtyMark",
    "MeasureLink",
    "MeasureStatus",
    "Measurement",
    "MeasurementRevision",
    "Meeting",
    "MeetingAgendaItem",
    "Membership",
    "Opportunity",
    "OutboxMessage",
    "PeriodCounts",
    "PlanCompliance",
    "PlanMeasure",
    "Practice",
    "PracticeMeasure",
    "Process",
    "Project",
    "ProjectSchool",
    "ProjectTollgate",
    "ResponsibilityAssignment",
    "SavingsAllocation",
    "SavingsCategoryRollup",
    "SavingsEntry",
    "SavingsRollup",
    "SavingsRollupState",
    "School",
    "SchoolEnrollment",
    "SeriesSignals",
    "SustainabilityPlan",
    "SustainabilityReview",
    "Target",
    "TimeLossRollup",
    "TimeLossRouteMonth",
    "TimeLossState",
    "User",
    "metadata",
]
