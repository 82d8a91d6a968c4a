"""GraphQL types, queries and mutations of the management system, one module per topic;
merged in api/schema.py."""

import strawberry

from district_ppm.governance.schema.calendar import CalendarQueries
from district_ppm.governance.schema.decisions import DecisionMutations, DecisionQueries
from district_ppm.governance.schema.forums import ForumMutations, ForumQueries
from district_ppm.governance.schema.meetings import MeetingMutations, MeetingQueries


@strawberry.type
class ForumSystemQueries(ForumQueries, MeetingQueries, DecisionQueries, CalendarQueries):
    """Forums, meetings and their agendas, decisions, the calendar and forum hygiene."""


@strawberry.type
class ForumSystemMutations(ForumMutations, MeetingMutations, DecisionMutations):
    pass


__all__ = ["ForumSystemMutations", "ForumSystemQueries"]
