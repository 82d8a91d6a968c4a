"""graphql-core's executor, with scalar fields of plain attributes read in one step.

A dashboard's list answers are mostly scalars read straight off dataclasses (a comparison
row's value, rank, percentile...). graphql-core builds a resolve info, calls Strawberry's
resolver wrapper and completes the value through several layers for each one: for a
200-row list that was most of the request's CPU. A field qualifies when Strawberry marks it
basic (no resolver, no permission, no extension, no arguments) and its type is a scalar or
an enum; it is then read with ``getattr`` and coerced by its type, exactly what the full
path does. Anything else, and any value the shortcut cannot complete (a null in a non-null
field, a value the type refuses), goes through graphql-core's own path, which reports the
error as it always has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)

STRAWBERRY_FIELD = "strawberry-definition"


@dataclass(frozen=True, slots=True)
class PlainScalar:
    attribute: str
    coerce: Callable[[Any], Any]
    non_null: bool


@dataclass(frozen=True, slots=True)
class PlainObject:
    """An object-typed plain field: read, then its own fields executed directly."""

    attribute: str
    object_type: GraphQLObjectType
    field_type: Any
    non_null: bool


def plain_field(field_def: GraphQLField, field_nodes: Any) -> PlainScalar | PlainObject | None:
    """How to read ``field_def`` directly, or None when it needs the full path."""
    strawberry_field = (field_def.extensions or {}).get(STRAWBERRY_FIELD)
    if (
        strawberry_field is None
        or not strawberry_field.is_basic_field
        or not getattr(field_def.resolve, "_is_default", False)
        or field_def.args
        or any(details.node.arguments or details.node.directives for details in field_nodes)
    ):
        return None
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return PlainScalar(strawberry_field.python_name, named.coerce_output_value, non_null)
    if isinstance(named, GraphQLObjectType) and named.is_type_of is None:
        return PlainObject(strawberry_field.python_name, named, field_type, non_null)
    return None


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per operation: (parent type, id of its field group) -> each field's shortcut.
        # graphql-core keeps a list's field group alive and reuses it for every item.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, list[Any]]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Any]:
        key = (parent_type, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        plan = []
        for response_name, field_details_list in grouped_field_set.items():
            field_def = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
            shortcut = None if field_def is None else plain_field(field_def, field_details_list)
            plan.append((response_name, field_details_list, shortcut))
        self._plans[key] = (grouped_field_set, plan)
        return plan

    def _plain_object(
        self,
        shortcut: PlainObject,
        parent_type: GraphQLObjectType,
        source_value: Any,
        field_details_list: Any,
        path: Path | None,
        response_name: str,
        position_context: Any,
    ) -> Any:
        """What ``execute_field`` gives for the field, without a resolve info; Undefined when
        the full path must answer (a null in a non-null field, a missing attribute)."""
        value = getattr(source_value, shortcut.attribute, Undefined)
        if value is Undefined or (value is None and shortcut.non_null):
            return Undefined
        if value is None:
            return None
        field_path = Path(path, response_name, parent_type.name)
        try:
            completed = self.collect_and_execute_subfields(
                shortcut.object_type, field_details_list, field_path, value, position_context
            )
        except Exception as raw_error:  # noqa: BLE001 - as execute_field handles it
            self.handle_field_error(raw_error, shortcut.field_type, field_details_list, field_path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:  # noqa: BLE001 - as execute_field handles it
                self.handle_field_error(
                    raw_error, shortcut.field_type, field_details_list, field_path
                )
                return None

        return await_completed()

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            # An extension that wraps every resolver must see every field.
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list, shortcut in self._plan(
                parent_type, grouped_field_set
            ):
                if isinstance(shortcut, PlainObject):
                    result = self._plain_object(
                        shortcut,
                        parent_type,
                        source_value,
                        field_details_list,
                        path,
                        response_name,
                        position_context,
                    )
                    if result is not Undefined:
                        results[response_name] = result
                        if is_awaitable(result):
                            awaitable_fields.append(response_name)
                        continue
                elif shortcut is not None:
                    value = getattr(source_value, shortcut.attribute, Undefined)
                    if value is None and not shortcut.non_null:
                        results[response_name] = None
                        continue
                    if value is not None and value is not Undefined:
                        try:
                            coerced = shortcut.coerce(value)
                        except Exception:  # noqa: BLE001 - the full path reports it
                            coerced = Undefined
                        if coerced is not Undefined and coerced is not None:
                            results[response_name] = coerced
                            continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()
