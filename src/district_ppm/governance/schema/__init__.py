"""GraphQL types, queries and mutations of the management system, one module per topic;
merged in api/schema.py."""

import strawberry

from district_ppm.governance.schema.accountability import (
    AccountabilityMutations,
    AccountabilityQueries,
)
from district_ppm.governance.schema.assessment import AssessmentMutations, AssessmentQueries
from district_ppm.governance.schema.calendar import CalendarQueries
from district_ppm.governance.schema.decisions import DecisionMutations, DecisionQueries
from district_ppm.governance.schema.forums import ForumMutations, ForumQueries
from district_ppm.governance.schema.matrix import MatrixQueries
from district_ppm.governance.schema.meetings import MeetingMutations, MeetingQueries
from district_ppm.governance.schema.reminders import ReminderQueries


@strawberry.type
class ForumSystemQueries(ForumQueries, MeetingQueries, DecisionQueries, CalendarQueries):
    """Forums, meetings and their agendas, decisions, the calendar and forum hygiene."""


@strawberry.type
class ForumSystemMutations(ForumMutations, MeetingMutations, DecisionMutations):
    pass


@strawberry.type
class PeopleQueries(AccountabilityQueries, ReminderQueries, MatrixQueries, AssessmentQueries):
    """People and their responsibilities, data-entry reminders, the process matrix and the
    assessment of the management system."""


@strawberry.type
class PeopleMutations(AccountabilityMutations, AssessmentMutations):
    pass


__all__ = ["ForumSystemMutations", "ForumSystemQueries", "PeopleMutations", "PeopleQueries"]
