"""The schema: each area's queries and mutations merged in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.tools import merge_types

from district_ppm.api.error_contract import ErrorContract
from district_ppm.api.execution import ExecutionContext
from district_ppm.api.input_guards import InputGuards
from district_ppm.api.limits import api_validation_rules
from district_ppm.config import Settings
from district_ppm.governance.schema import (
    ForumSystemMutations,
    ForumSystemQueries,
    PeopleMutations,
    PeopleQueries,
)
from district_ppm.improvement.schema import ImprovementMutations, ImprovementQueries
from district_ppm.jobs.schema import JobQueries
from district_ppm.measures.schema import MeasureMutations, MeasureQueries
from district_ppm.practices.schema import PracticeMutations, PracticeQueries
from district_ppm.processes.schema import ProcessMutations, ProcessQueries
from district_ppm.savings.schema import SavingsMutations, SavingsQueries
from district_ppm.schools.schema import SchoolMutations, SchoolQueries
from district_ppm.sustainability.schema import SustainabilityMutations, SustainabilityQueries
from district_ppm.tenancy.schema import TenancyQueries
from district_ppm.tenancy.token_schema import TokenMutations, TokenQueries
from district_ppm.transportation.schema import TransportationMutations, TransportationQueries

QUERY_TYPES: tuple[type, ...] = (
    TenancyQueries,
    TokenQueries,
    SchoolQueries,
    TransportationQueries,
    ProcessQueries,
    MeasureQueries,
    JobQueries,
    ImprovementQueries,
    SustainabilityQueries,
    PracticeQueries,
    SavingsQueries,
    ForumSystemQueries,
    PeopleQueries,
)
MUTATION_TYPES: tuple[type, ...] = (
    TokenMutations,
    SchoolMutations,
    TransportationMutations,
    ProcessMutations,
    MeasureMutations,
    ImprovementMutations,
    SustainabilityMutations,
    PracticeMutations,
    SavingsMutations,
    ForumSystemMutations,
    PeopleMutations,
)

Query = merge_types("Query", QUERY_TYPES)
Mutation = merge_types("Mutation", MUTATION_TYPES)


class Schema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """ErrorContract logs internal errors once, with the request id; nothing to add."""


def build_schema(settings: Settings) -> strawberry.Schema:
    # Extensions are classes or zero-argument factories: Strawberry makes fresh instances
    # per operation, so no state is shared between concurrent requests.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ErrorContract,
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: ParserCache(maxsize=512),
        api_validation_rules(
            settings.max_query_depth, settings.max_query_aliases, settings.max_query_cost
        ),
        InputGuards,
    ]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        execution_context_class=ExecutionContext,
    )
