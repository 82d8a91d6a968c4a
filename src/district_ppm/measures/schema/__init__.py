"""GraphQL for measures: types, queries and mutations, merged in api/schema.py."""

from district_ppm.measures.schema.mutations import MeasureMutations
from district_ppm.measures.schema.queries import MeasureQueries

__all__ = ["MeasureMutations", "MeasureQueries"]
