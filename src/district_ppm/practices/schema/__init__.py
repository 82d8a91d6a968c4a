"""GraphQL for practices and adoptions; merged in api/schema.py."""

from district_ppm.practices.schema.operations import PracticeMutations, PracticeQueries

__all__ = ["PracticeMutations", "PracticeQueries"]
