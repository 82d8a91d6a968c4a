"""GraphQL for improvement: projects and their tollgates, opportunities; merged in api/schema.py."""

from district_ppm.improvement.schema.projects import ProjectMutations, ProjectQueries

__all__ = ["ProjectMutations", "ProjectQueries"]
