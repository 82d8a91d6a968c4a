"""Checks on every input before graphql-core coerces it, in one place for every field.

- No string may hold the NUL character: PostgreSQL refuses it in text, so it would otherwise
  surface deep in a service as an internal error.
- No list may be longer than its maximum: graphql-core coerces a list item by item before
  any resolver runs, so a batch of 100,000 values took seconds to be refused by the service's
  own cap. Checked on the raw JSON variables (and on literals, though the token limit already
  keeps those short), the refusal costs one ``len``.

Both answer BAD_INPUT naming the input's path (``input.values``), like the services do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from strawberry.extensions import SchemaExtension

from district_ppm.measures.recording import MAX_BATCH as MAX_MEASUREMENTS_PER_CALL
from district_ppm.transportation.service import MAX_RUNS_PER_MUTATION
from graphql import (
    ArgumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLInputType,
    GraphQLSchema,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_nullable_type,
    get_operation_ast,
    is_input_object_type,
    is_list_type,
    type_from_ast,
    visit,
)

# "InputType.field": the longest list the service accepts in one call.
MAX_LIST_LENGTHS: dict[str, int] = {
    "RecordMeasurementsInput.values": MAX_MEASUREMENTS_PER_CALL,
    "RecordBusRunsInput.runs": MAX_RUNS_PER_MUTATION,
}
DEFAULT_MAX_LIST_LENGTH = 1_000  # ids of schools, measures: far fewer in any district
MAX_REPORTED = 20
NUL = "\x00"


@dataclass(frozen=True, slots=True)
class InputProblem:
    path: tuple[str | int, ...]
    message: str

    @property
    def field(self) -> str:
        return ".".join(str(part) for part in self.path)

    def error(self, nodes: Node | list[Node] | None = None) -> GraphQLError:
        return GraphQLError(
            self.message, nodes, extensions={"code": "BAD_INPUT", "field": self.field}
        )


def max_list_length(coordinate: str | None) -> int:
    return MAX_LIST_LENGTHS.get(coordinate or "", DEFAULT_MAX_LIST_LENGTH)


def input_problems(
    value: Any,
    type_: GraphQLInputType,
    path: tuple[str | int, ...],
    coordinate: str | None = None,
) -> Iterator[InputProblem]:
    """What is wrong with the raw (uncoerced) ``value`` of ``type_``: NUL characters and
    over-long lists. Anything else is left to graphql-core's coercion, which names it."""
    nullable = get_nullable_type(type_)  # type: ignore[type-var]
    if isinstance(value, str):
        if NUL in value:
            yield InputProblem(path, "must not contain the NUL character (\\u0000)")
    elif is_list_type(nullable):
        items = value if isinstance(value, list) else [value]  # one value is a list of one
        maximum = max_list_length(coordinate)
        if len(items) > maximum:
            yield InputProblem(path, f"has {len(items)} items; at most {maximum} per call")
            return
        for index, item in enumerate(items):
            yield from input_problems(item, nullable.of_type, (*path, index))
    elif is_input_object_type(nullable) and isinstance(value, dict):
        for name, field in nullable.fields.items():
            if name in value:
                yield from input_problems(
                    value[name], field.type, (*path, name), f"{nullable.name}.{name}"
                )


def first_problems(problems: Iterator[InputProblem]) -> list[InputProblem]:
    return list(islice(problems, MAX_REPORTED))


def variable_paths(operation: OperationDefinitionNode) -> dict[str, tuple[str, ...]]:
    """Variable name -> the input path where the operation first uses it (``$v`` passed as
    ``input: {values: $v}`` is ``("input", "values")``), so errors name the schema's input."""
    paths: dict[str, tuple[str, ...]] = {}

    class _Usages(Visitor):
        def enter_variable(
            self, node: VariableNode, _key: Any, parent: Any, _path: Any, ancestors: Any
        ) -> None:
            lineage = (*ancestors, parent)  # graphql-core passes the parent apart
            if any(isinstance(a, VariableDefinitionNode) for a in lineage):
                return
            names = tuple(
                a.name.value for a in lineage if isinstance(a, ArgumentNode | ObjectFieldNode)
            )
            paths.setdefault(node.name.value, names)

    visit(operation, _Usages())
    return paths


@dataclass(frozen=True, slots=True)
class _DeclaredVariable:
    name: str
    type_: GraphQLInputType
    path: tuple[str | int, ...]
    definition: VariableDefinitionNode


def declared_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> list[_DeclaredVariable]:
    """The operation's variables with their types and input paths (a walk of the document)."""
    paths = variable_paths(operation)
    declared = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_ = type_from_ast(schema, definition.type)
        if type_ is not None:
            path = paths.get(name) or (f"${name}",)
            declared.append(_DeclaredVariable(name, type_, path, definition))  # type: ignore[arg-type]
    return declared


# The parser cache hands every request of a document the same operation node: its variables
# are walked once, not on every request (a tenth of a scorecard request). By identity, the
# node kept alive beside its entry so that its id is never another node's.
_DECLARED: dict[int, tuple[OperationDefinitionNode, GraphQLSchema, list[_DeclaredVariable]]] = {}
_DECLARED_LIMIT = 512


def variable_problems(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> list[GraphQLError]:
    """The operation's raw variables, checked against their declared types."""
    cached = _DECLARED.get(id(operation))
    if cached is None or cached[0] is not operation or cached[1] is not schema:
        if len(_DECLARED) >= _DECLARED_LIMIT:
            _DECLARED.clear()
        cached = (operation, schema, declared_variables(schema, operation))
        _DECLARED[id(operation)] = cached
    errors: list[GraphQLError] = []
    for each in cached[2]:
        if each.name not in variables:
            continue  # defaults are literals, checked with the document's other literals
        for problem in first_problems(input_problems(variables[each.name], each.type_, each.path)):
            errors.append(problem.error(each.definition))
    return errors[:MAX_REPORTED]


class InputGuards(SchemaExtension):
    """Refuses an operation whose variables hold a NUL or an over-long list, before
    graphql-core coerces them (coercion happens when execution starts)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = (
            get_operation_ast(document, context.operation_name) if document is not None else None
        )
        if operation is not None and isinstance(context.variables, dict):
            errors = variable_problems(context.schema._schema, operation, context.variables)
            if errors:
                # Strawberry executes nothing when an extension has set the result.
                context.result = ExecutionResult(data=None, errors=errors)
        yield
