"""Plain parts of an answer, completed in one pass by functions compiled per operation.

Most of a dashboard's answer is plain: scalars, objects and lists read straight off the
dataclasses a resolver returned (200 comparison rows, 200 schools with their enrollment).
graphql-core completes each field of each row through several layers (a path, a resolve
info, Strawberry's resolver wrapper, complete_value's dispatch); for a 200-row list that was
most of a request's CPU. Here a field whose value needs no resolver, no argument and no
permission is compiled, once per operation, into a function of its parent object that
returns the field's completed answer: a value, a dict, a list of dicts.

Such a function never reports errors: it raises ``NotPlain`` (or whatever a type's coercion
raises) on anything the full path must answer itself (a null in a non-null field, a value
its type refuses, a field whose plain value is not at hand), and the caller then executes
the field with graphql-core, which reports it at its path as it always has. A plain read
has no side effect, so reading it twice is harmless.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from graphql.pyutils import Undefined

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLType,
)

STRAWBERRY_FIELD = "strawberry-definition"

# A field's metadata key for a resolver field whose value can be read without one when it is
# at hand: a function of the object returning the value, or raising NotPlain when the
# resolver must run (``School.enrollment`` of a school listed with its enrollment).
PLAIN_READ = "district_ppm.plain_read"

Complete = Callable[[Any], Any]


class NotPlain(Exception):
    """The full path must complete this field."""


def _not_null(value: Any) -> Any:
    raise NotPlain


def plain_reader(field_def: GraphQLField, field_nodes: Sequence[Any]) -> Complete | None:
    """How to read the field's value off its parent object, or None when it needs the full
    path (a resolver, an argument, a permission, a directive on the field)."""
    strawberry_field = (field_def.extensions or {}).get(STRAWBERRY_FIELD)
    if (
        strawberry_field is None
        or strawberry_field.extensions
        or field_def.args
        or any(details.node.arguments or details.node.directives for details in field_nodes)
    ):
        return None
    plain_read = strawberry_field.metadata.get(PLAIN_READ)
    if plain_read is not None:
        return plain_read  # type: ignore[no-any-return]
    if not strawberry_field.is_basic_field or not getattr(field_def.resolve, "_is_default", False):
        return None
    return attrgetter(strawberry_field.python_name)


def scalar_completer(named: GraphQLScalarType | GraphQLEnumType) -> Complete:
    """A non-null leaf's value as graphql-core serializes it; the common builtin values pass
    through on a type check (what ``serialize`` would return for them unchanged)."""
    coerce = named.coerce_output_value

    def serialized(value: Any) -> Any:
        result = coerce(value)
        if result is None or result is Undefined:
            raise NotPlain  # the full path says "expected a value ... serializable"
        return result

    name = named.name
    if name == "Float":
        isfinite = math.isfinite
        return lambda value: (
            value if type(value) is float and isfinite(value) else serialized(value)
        )
    if name == "Int":
        return lambda value: (
            value
            if type(value) is int and -2147483648 <= value <= 2147483647
            else serialized(value)
        )
    if name in ("String", "ID"):
        return lambda value: value if type(value) is str else serialized(value)
    if name == "Boolean":
        return lambda value: value if type(value) is bool else serialized(value)
    wrapped = getattr(named, "wrapped_cls", None)
    if isinstance(named, GraphQLEnumType) and wrapped is not None:
        # Strawberry's enum finds a member's name by scanning the values; members are
        # singletons, so their names are looked up by identity instead.
        names_by_member: dict[int, str] = {}
        for member in wrapped:
            for name, enum_value in named.values.items():
                if member.value == enum_value.value:
                    names_by_member.setdefault(id(member), name)  # the first, as Strawberry
        return lambda value: names_by_member.get(id(value)) or serialized(value)
    return serialized


class Compiler:
    """Compiles completers for one operation; ``collect`` is its executor's memoized
    ``collect_subfields`` (the grouped sub-fields of an object type for a field's nodes)."""

    def __init__(
        self,
        get_field: Callable[[GraphQLObjectType, str], GraphQLField | None],
        collect: Callable[[GraphQLObjectType, Any], Any],
    ) -> None:
        self._get_field = get_field
        self._collect = collect

    def field(self, field_def: GraphQLField, field_details_list: Any) -> Complete | None:
        """The field's completed answer as a function of its parent, or None when it (or
        anything below it) needs the full path."""
        read = plain_reader(field_def, field_details_list)
        if read is None:
            return None
        complete = self.value(field_def.type, field_details_list)
        if complete is None:
            return None
        return lambda parent: complete(read(parent))

    def value(self, field_type: GraphQLType, field_details_list: Any) -> Complete | None:
        """A function completing a value of ``field_type`` (nullable or not)."""
        if isinstance(field_type, GraphQLNonNull):
            required = self._non_null(field_type.of_type, field_details_list)
            if required is None:
                return None
            return lambda value: _not_null(value) if value is None else required(value)
        optional = self._non_null(field_type, field_details_list)
        if optional is None:
            return None
        return lambda value: None if value is None else optional(value)

    def _non_null(self, named: GraphQLType, field_details_list: Any) -> Complete | None:
        """A function completing a value known not to be None."""
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            return scalar_completer(named)
        if isinstance(named, GraphQLList):
            item = self.value(named.of_type, field_details_list)
            if item is None:
                return None

            def complete_list(value: Any) -> list[Any]:
                if type(value) is not list and type(value) is not tuple:
                    raise NotPlain  # the full path accepts any iterable and reports others
                return [item(each) for each in value]

            return complete_list
        if isinstance(named, GraphQLObjectType) and named.is_type_of is None:
            return self.object(named, field_details_list)
        return None

    def object(self, object_type: GraphQLObjectType, field_details_list: Any) -> Complete | None:
        """A function answering the selected fields of an object of ``object_type``."""
        grouped_field_set, deferred, _ = self._collect(object_type, field_details_list)
        if deferred:
            return None
        steps: list[tuple[str, Complete]] = []
        for response_name, sub_details in grouped_field_set.items():
            field_name = sub_details[0].node.name.value
            if field_name == "__typename":
                type_name = object_type.name
                steps.append((response_name, lambda _, name=type_name: name))  # type: ignore[misc]
                continue
            sub_field = self._get_field(object_type, field_name)
            complete = None if sub_field is None else self.field(sub_field, sub_details)
            if complete is None:
                return None
            steps.append((response_name, complete))
        frozen = tuple(steps)
        return lambda source: {key: complete(source) for key, complete in frozen}
