"""Query limits (depth, aliases, cost) and input paths on literal-value errors.

Strawberry's own limiters report plain errors; ours carry ``LIMIT_EXCEEDED`` so that clients
can tell "too big" from "wrong". The cost model (every list multiplies what is under it) is
in ``query_cost``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql.utilities.validate_input_value import validate_input_literal
from graphql.validation import ValuesOfCorrectTypeRule
from graphql.validation.rules.values_of_correct_type import SKIP
from strawberry.extensions import SchemaExtension

from district_ppm.api.input_guards import first_problems, input_problems, variable_paths
from district_ppm.api.query_cost import QueryCost
from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    ObjectFieldNode,
    OperationDefinitionNode,
    ValidationRule,
    VariableDefinitionNode,
    value_from_ast_untyped,
)


def query_limits_rule(max_depth: int, max_aliases: int, max_cost: int) -> type[ValidationRule]:
    class QueryLimitsRule(ValidationRule):
        def enter_document(self, node: Any, *_args: Any) -> None:
            cost_of = QueryCost(
                self.context.schema,
                {
                    d.name.value: d
                    for d in node.definitions
                    if isinstance(d, FragmentDefinitionNode)
                },
            )
            aliases = sum(1 for _ in _aliased_fields(node))
            if aliases > max_aliases:
                self._limit(f"{aliases} aliases exceed the limit of {max_aliases}", None)
            for definition in node.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                root = self.context.schema.get_root_type(definition.operation)
                measured = cost_of.measure(definition.selection_set, root)
                depth, cost = measured.depth, measured.cost
                if depth > max_depth:
                    self._limit(f"query depth {depth} exceeds the limit of {max_depth}", definition)
                if cost > max_cost:
                    self._limit(f"query cost {cost} exceeds the limit of {max_cost}", definition)

        def _limit(self, message: str, node: Any) -> None:
            self.report_error(GraphQLError(message, node, extensions={"code": "LIMIT_EXCEEDED"}))

    return QueryLimitsRule


def _aliased_fields(node: Any) -> Iterator[FieldNode]:
    from graphql.language import Visitor

    from graphql import visit

    found: list[FieldNode] = []

    class _Aliases(Visitor):
        def enter_field(self, field: FieldNode, *_args: Any) -> None:
            if field.alias is not None:
                found.append(field)

    visit(node, _Aliases())
    yield from found


class FieldPathValuesRule(ValuesOfCorrectTypeRule):
    """graphql-core's literal-value rule, with ``extensions.field`` naming the input path."""

    _ancestors: tuple[Any, ...] = ()

    def _remember(self, parent: Any, ancestors: Any) -> None:
        self._ancestors = (*ancestors, parent)

    def enter_null_value(self, node, key, parent, path, ancestors):  # type: ignore[no-untyped-def]
        self._remember(parent, ancestors)
        return super().enter_null_value(node)

    def enter_list_value(self, node, key, parent, path, ancestors):  # type: ignore[no-untyped-def]
        self._remember(parent, ancestors)
        return super().enter_list_value(node)

    def enter_object_value(self, node, key, parent, path, ancestors):  # type: ignore[no-untyped-def]
        self._remember(parent, ancestors)
        return super().enter_object_value(node)

    def enter_enum_value(self, node, key, parent, path, ancestors):  # type: ignore[no-untyped-def]
        self._remember(parent, ancestors)
        return super().enter_enum_value(node)

    def enter_int_value(self, node, key, parent, path, ancestors):  # type: ignore[no-untyped-def]
        self._remember(parent, ancestors)
        return super().enter_int_value(node)

    def enter_float_value(self, node, key, parent, path, ancestors):  # type: ignore[no-untyped-def]
        self._remember(parent, ancestors)
        return super().enter_float_value(node)

    def enter_string_value(self, node, key, parent, path, ancestors):  # type: ignore[no-untyped-def]
        self._remember(parent, ancestors)
        return super().enter_string_value(node)

    def enter_boolean_value(self, node, key, parent, path, ancestors):  # type: ignore[no-untyped-def]
        self._remember(parent, ancestors)
        return super().enter_boolean_value(node)

    def is_valid_value_node(self, node: Any, input_type: Any) -> Any:
        if input_type:
            prefix = self._input_path()

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                field = ".".join(str(p) for p in [*prefix, *path])
                self.report_error(
                    GraphQLError(
                        error.message,
                        error.nodes,
                        extensions={"code": "BAD_INPUT", **({"field": field} if field else {})},
                    )
                )

            validate_input_literal(
                node, input_type, on_error, None, None, self.context.hide_suggestions
            )
            literal = value_from_ast_untyped(node)
            for problem in first_problems(input_problems(literal, input_type, tuple(prefix))):
                self.report_error(problem.error(node))
        return SKIP

    def _input_path(self) -> list[str]:
        """Argument and input-field names down to the literal; a variable's default value is
        named where the operation uses the variable."""
        names = [
            a.name.value for a in self._ancestors if isinstance(a, ArgumentNode | ObjectFieldNode)
        ]
        definition = next(
            (a for a in self._ancestors if isinstance(a, VariableDefinitionNode)), None
        )
        operation = next(
            (a for a in self._ancestors if isinstance(a, OperationDefinitionNode)), None
        )
        if definition is None or operation is None:
            return names
        name = definition.variable.name.value
        return [*variable_paths(operation).get(name, (f"${name}",)), *names]


class ValidDocuments:
    """The texts of documents that passed validation, most recently used last, bounded.

    Validation depends only on the document and the schema's fixed rules, so a dashboard
    polling the same query is validated once per process, not on every request (it was a
    third of a scorecard request's CPU). Refused documents are not kept: their errors are
    rebuilt each time, so no error object is ever shared between requests.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._texts: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, text: str) -> bool:
        if text in self._texts:
            self._texts.move_to_end(text)
            return True
        return False

    def add(self, text: str) -> None:
        self._texts[text] = None
        if len(self._texts) > self.maxsize:
            self._texts.popitem(last=False)


class ApiValidationRules(SchemaExtension):
    """Swaps in the path-aware value rule, adds the query limits, remembers valid documents."""

    limits_rule: type[ValidationRule]
    valid_documents: ValidDocuments

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.query in self.valid_documents:
            context.pre_execution_errors = []  # Strawberry then skips validation
            yield
            return
        rules = [
            FieldPathValuesRule if rule is ValuesOfCorrectTypeRule else rule
            for rule in context.validation_rules
        ]
        context.validation_rules = (*rules, self.limits_rule)
        yield
        if context.query is not None and context.pre_execution_errors == []:
            self.valid_documents.add(context.query)


def api_validation_rules(
    max_depth: int, max_aliases: int, max_cost: int, *, remembered: int = 1024
) -> type[SchemaExtension]:
    """The extension class of one schema: its rules and its own memory of valid documents."""
    rule = query_limits_rule(max_depth, max_aliases, max_cost)
    return type(
        "ApiValidation",
        (ApiValidationRules,),
        {"limits_rule": rule, "valid_documents": ValidDocuments(remembered)},
    )
