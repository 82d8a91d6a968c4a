"""GraphQL for the savings ledger; merged in api/schema.py."""

from district_ppm.savings.schema.mutations import SavingsMutations
from district_ppm.savings.schema.queries import SavingsQueries

__all__ = ["SavingsMutations", "SavingsQueries"]
