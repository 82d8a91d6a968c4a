"""GraphQL for improvement: projects and their tollgates, opportunities; merged in api/schema.py."""

import strawberry

from district_ppm.improvement.schema.opportunities import OpportunityMutations, OpportunityQueries
from district_ppm.improvement.schema.projects import ProjectMutations, ProjectQueries


@strawberry.type
class ImprovementQueries(ProjectQueries, OpportunityQueries):
    pass


@strawberry.type
class ImprovementMutations(ProjectMutations, OpportunityMutations):
    pass


__all__ = ["ImprovementMutations", "ImprovementQueries"]
