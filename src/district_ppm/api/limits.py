"""Query limits (depth, aliases, cost) and input paths on literal-value errors.

Strawberry's own limiters report plain errors; ours carry ``LIMIT_EXCEEDED`` so that clients
can tell "too big" from "wrong". Cost: each field costs 1, multiplied by the page size of every
enclosing field that takes ``first`` (the literal value, the maximum page for a variable, the
default page when absent).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql.utilities.validate_input_value import validate_input_literal
from graphql.validation import ValuesOfCorrectTypeRule
from graphql.validation.rules.values_of_correct_type import SKIP
from strawberry.extensions import SchemaExtension

from district_ppm.db.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)


def _page_multiplier(node: FieldNode, takes_first: bool) -> int:
    if not takes_first:
        return 1
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return MAX_PAGE_SIZE
    return DEFAULT_PAGE_SIZE


class _Measure:
    def __init__(self, context: ValidationContext) -> None:
        self.schema = context.schema
        self.fragments = {
            d.name.value: d
            for d in context.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }

    def walk(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        depth: int,
        multiplier: int,
        seen: frozenset[str],
    ) -> tuple[int, int]:
        """(max depth, cost) of a selection set."""
        if selection_set is None:
            return depth, 0
        max_depth, cost = depth, 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue  # introspection has its own depth rule in graphql-core
                field = (
                    parent.fields.get(name)
                    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType))
                    else None
                )
                child_type = get_named_type(field.type) if field else None
                child_multiplier = multiplier * _page_multiplier(
                    selection, bool(field and "first" in field.args)
                )
                d, c = self.walk(
                    selection.selection_set, child_type, depth + 1, child_multiplier, seen
                )
                max_depth, cost = max(max_depth, d), cost + multiplier + c
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                d, c = self.walk(selection.selection_set, target, depth, multiplier, seen)
                max_depth, cost = max(max_depth, d), cost + c
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                d, c = self.walk(fragment.selection_set, target, depth, multiplier, seen | {name})
                max_depth, cost = max(max_depth, d), cost + c
        return max_depth, cost


def query_limits_rule(max_depth: int, max_aliases: int, max_cost: int) -> type[ValidationRule]:
    class QueryLimitsRule(ValidationRule):
        def enter_document(self, node: Any, *_args: Any) -> None:
            measure = _Measure(self.context)
            aliases = sum(1 for _ in _aliased_fields(node))
            if aliases > max_aliases:
                self._limit(f"{aliases} aliases exceed the limit of {max_aliases}", None)
            for definition in node.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                root = self.context.schema.get_root_type(definition.operation)
                depth, cost = measure.walk(definition.selection_set, root, 0, 1, frozenset())
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
            prefix = [
                a.name.value
                for a in self._ancestors
                if isinstance(a, ArgumentNode | ObjectFieldNode)
            ]

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
        return SKIP


class ApiValidationRules(SchemaExtension):
    """Swaps in the path-aware value rule and adds the query limits."""

    limits_rule: type[ValidationRule]

    def on_validate(self) -> Iterator[None]:
        rules = [
            FieldPathValuesRule if rule is ValuesOfCorrectTypeRule else rule
            for rule in self.execution_context.validation_rules
        ]
        self.execution_context.validation_rules = (*rules, self.limits_rule)
        yield


def api_validation_rules(max_depth: int, max_aliases: int, max_cost: int) -> type[SchemaExtension]:
    rule = query_limits_rule(max_depth, max_aliases, max_cost)
    return type("ApiValidation", (ApiValidationRules,), {"limits_rule": rule})
