"""The schema: each area's queries and mutations merged in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from district_ppm.api.context import Context
from district_ppm.api.error_contract import ErrorContract
from district_ppm.api.execution import ExecutionContext
from district_ppm.api.extension_runner import LeanExtensionsRunner
from district_ppm.api.input_guards import InputGuards
from district_ppm.api.lean_resolvers import install_lean_resolvers
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
from graphql import GraphQLError, OperationType, get_operation_ast, parse

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

    def create_extensions_runner(
        self, execution_context: Any, extensions: list[SchemaExtension]
    ) -> LeanExtensionsRunner:
        return LeanExtensionsRunner(execution_context, extensions)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[StrawberryOperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Execute; a query whose connection the server dropped (a restart) runs once more.

        A query only reads, so running it again on a fresh connection is safe and answers as
        if the restart had not happened; a mutation may have committed, so it is not replayed.
        """

        async def run() -> ExecutionResult:
            return await super(Schema, self).execute(
                query,
                variable_values=variable_values,
                context_value=context_value,
                root_value=root_value,
                operation_name=operation_name,
                allowed_operation_types=allowed_operation_types,
                operation_extensions=operation_extensions,
            )

        result = await run()
        if (
            isinstance(context_value, Context)
            and context_value.transaction is not None
            and context_value.connection_lost
            and _is_query(query, operation_name)
        ):
            context_value.connection_lost = False
            context_value.replaying = True
            context_value.loaders.clear()  # their batches failed with the connection
            await context_value.transaction.begin_again()
            result = await run()
        return result


def _is_query(query: str | None, operation_name: str | None) -> bool:
    try:
        operation = get_operation_ast(parse(query or ""), operation_name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation is OperationType.QUERY


class LimitedParserCache(ParserCache):
    """``ParserCache`` that parses with ``MaxTokensLimiter``'s limit, in one hook instead of
    two: Strawberry wraps every extension's hook in a context manager per request (about 2%
    of a ``{ __typename }`` request each). A document over the limit fails to parse, so it
    is never cached."""

    def __init__(self, *, max_token_count: int, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_token_count = max_token_count

    def on_parse(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.max_token_count
        yield from super().on_parse()


def build_schema(settings: Settings) -> strawberry.Schema:
    # Extensions are classes or zero-argument factories: Strawberry makes fresh instances
    # per operation, so no state is shared between concurrent requests.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ErrorContract,
        lambda: LimitedParserCache(max_token_count=settings.max_query_tokens, maxsize=512),
        api_validation_rules(
            settings.max_query_depth, settings.max_query_aliases, settings.max_query_cost
        ),
        InputGuards,
    ]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        execution_context_class=ExecutionContext,
    )
    install_lean_resolvers(schema)
    return schema
