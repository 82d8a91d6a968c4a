"""Plain parts of an answer, completed in one pass by functions compiled per operation.

Most of a dashboard's answer is plain: scalars, objects and lists read straight off the
dataclasses a resolver returned (200 comparison rows, 200 schools with their enrollment).
graphql-core completes each field of each row through several layers (a path, a resolve
info, Strawberry's resolver wrapper, complete_value's dispatch); for a 200-row list that was
most of a request's CPU. Here a field whose value needs no resolver, no argument and no
permission is compiled, once per operation, into a function of its parent object that
returns the field's completed answer: a value, an object (``completed_object``, which msgspec
encodes as it encodes a dict), a list of them.

Such a function never reports errors: it raises ``NotPlain`` (or whatever a type's coercion
raises) on anything the full path must answer itself (a null in a non-null field, a value
its type refuses, a field whose plain value is not at hand), and the caller then executes
the field with graphql-core, which reports it at its path as it always has. A plain read
has no side effect, so reading it twice is harmless.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import attrgetter
from types import CodeType
from typing import Any

import msgspec
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
    read = plain_read(field_def, field_nodes)
    return attrgetter(read) if isinstance(read, str) else read


def plain_read(field_def: GraphQLField, field_nodes: Sequence[Any]) -> str | Complete | None:
    """The attribute holding the field's value, or a function reading it (``PLAIN_READ``),
    or None when it needs the full path."""
    strawberry_field = (field_def.extensions or {}).get(STRAWBERRY_FIELD)
    if (
        strawberry_field is None
        or strawberry_field.extensions
        or field_def.args
        or any(details.node.arguments or details.node.directives for details in field_nodes)
    ):
        return None
    declared = strawberry_field.metadata.get(PLAIN_READ)
    if declared is not None:
        return declared  # type: ignore[no-any-return]
    if not strawberry_field.is_basic_field or not getattr(field_def.resolve, "_is_default", False):
        return None
    return strawberry_field.python_name  # type: ignore[no-any-return]


# How a non-null leaf's value ``{v}`` is served, by scalar name: the common builtin values
# pass through on a type check (what ``serialize`` would return for them unchanged), the
# rest go through ``{s}``, the type's own coercion. ``{first}`` is where the value is first
# evaluated (where an inlined read assigns it). A float is finite when it lies between the
# largest floats, a test without a call (a NaN fails it too).
_LARGEST = repr(sys.float_info.max)
_PASS_THROUGH = {
    "Float": (
        f"{{v}} if type({{first}}) is float and -{_LARGEST} <= {{v}} <= {_LARGEST} "
        "else {s}({v})"
    ),
    "Int": "{v} if type({first}) is int and -2147483648 <= {v} <= 2147483647 else {s}({v})",
    "String": "{v} if type({first}) is str else {s}({v})",
    "ID": "{v} if type({first}) is str else {s}({v})",
    "Boolean": "{v} if type({first}) is bool else {s}({v})",
}


def _serializer(named: GraphQLScalarType | GraphQLEnumType) -> Complete:
    coerce = named.coerce_output_value

    def serialized(value: Any) -> Any:
        result = coerce(value)
        if result is None or result is Undefined:
            raise NotPlain  # the full path says "expected a value ... serializable"
        return result

    return serialized


def _enum_names(named: GraphQLEnumType) -> dict[int, str] | None:
    """Strawberry's enum finds a member's name by scanning the values; members are
    singletons, so their names can be looked up by identity instead."""
    wrapped = getattr(named, "wrapped_cls", None)
    if wrapped is None:
        return None
    names_by_member: dict[int, str] = {}
    for member in wrapped:
        for name, enum_value in named.values.items():
            if member.value == enum_value.value:
                names_by_member.setdefault(id(member), name)  # the first, as Strawberry
    return names_by_member


class _Source:
    """The Python source of one compiled function and the objects it refers to."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"_not_null": _not_null}
        self._variables = 0

    def refer(self, value: Any) -> str:
        name = f"_{len(self.names)}"
        self.names[name] = value
        return name

    def variable(self) -> str:
        """A name no other part of the function uses."""
        self._variables += 1
        return f"v{self._variables}"

    def leaf(self, named: GraphQLScalarType | GraphQLEnumType, v: str, first: str) -> str:
        """An expression serving the non-null leaf value named ``v``, first evaluated as
        ``first``."""
        s = self.refer(_serializer(named))
        template = _PASS_THROUGH.get(named.name)
        if template is not None:
            return template.format(v=v, s=s, first=first)
        names = _enum_names(named) if isinstance(named, GraphQLEnumType) else None
        if names is not None:
            return f"{self.refer(names)}.get(id({first})) or {s}({v})"
        return f"{s}({first})"

    def function(self, answer: str) -> Complete | None:
        """The completer returning ``answer``; None when Python cannot compile it."""
        code = _compiled(f"def complete(source):\n    return {answer}\n")
        if code is None:
            return None
        exec(code, self.names)  # noqa: S102 - our own source, of GraphQL names
        return self.names["complete"]  # type: ignore[no-any-return]


@lru_cache(maxsize=1024)
def _compiled(source: str) -> CodeType | None:
    """Python's compile of a completer's source, once per shape of selection: the same
    query compiles the same source every request (its objects are bound per operation).
    None, remembered too, for an expression Python's parser refuses as nested too deeply
    (lists of objects about fifty deep, objects about a hundred)."""
    try:
        return compile(source, "<plain completion>", "exec")
    except (SyntaxError, RecursionError):
        return None


@lru_cache(maxsize=1024)
def completed_object(keys: tuple[str, ...]) -> type[msgspec.Struct]:
    """The class of a completed object whose answer has ``keys``, in that order.

    A msgspec Struct, not a dict: built from positional values in C without hashing a key,
    and encoded with its keys already encoded (a 200-row comparison answer: 6% fewer
    instructions per request, callgrind). Never tracked by the garbage collector
    (``gc=False``): an answer is a tree of new values, which holds no cycle. Read answers as
    data with ``msgspec.to_builtins``; msgspec encodes them as it encodes dicts."""
    fields = [f"f{index}" for index in range(len(keys))]
    return msgspec.defstruct(
        "CompletedObject", fields, rename=dict(zip(fields, keys, strict=True)), gc=False
    )


class Compiler:
    """Compiles completers for one operation; ``collect`` is its executor's memoized
    ``collect_subfields`` (the grouped sub-fields of an object type for a field's nodes).

    A completer is generated Python, one expression: each selected field read where its
    answer is first evaluated (``(v1 := source.name)``), objects as ``completed_object``
    calls and lists as comprehensions, nested in place. No Python call per object or per
    builtin scalar: a 200-row list spent most of its time in calls between small functions."""

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
        source = _Source()
        read = self._read(source, field_def, field_details_list, "source")
        if read is None:
            return None
        value = source.variable()
        served = self._value(source, field_def.type, field_details_list, value, read)
        # None too when the expression is nested too deeply to compile: the full path
        # answers this level, and the levels below are compiled as it reaches them.
        return None if served is None else source.function(served)

    def value(self, return_type: GraphQLType, field_details_list: Any) -> Complete | None:
        """The completed answer of a value of ``return_type`` a resolver returned, as a
        function of the value, or None when it (or anything below it) needs the full path."""
        source = _Source()
        served = self._value(source, return_type, field_details_list, "source", None)
        return None if served is None else source.function(served)

    def _object(
        self, source: _Source, object_type: GraphQLObjectType, details: Any, parent: str
    ) -> str | None:
        """A ``completed_object`` of the selected fields of the object named ``parent``."""
        grouped_field_set, deferred, _ = self._collect(object_type, details)
        if deferred:
            return None
        if all(group[0].node.name.value == "__typename" for group in grouped_field_set.values()):
            # Nothing is read off the object, so nothing would refuse what is not one (an
            # exception, an awaitable a resolver listed): the full path checks it.
            return None
        keys: list[str] = []
        values: list[str] = []
        for response_name, sub_details in grouped_field_set.items():
            keys.append(response_name)
            field_name = sub_details[0].node.name.value
            if field_name == "__typename":
                values.append(repr(object_type.name))
                continue
            sub_field = self._get_field(object_type, field_name)
            if sub_field is None:
                return None
            read = self._read(source, sub_field, sub_details, parent)
            if read is None:
                return None
            served = self._value(source, sub_field.type, sub_details, source.variable(), read)
            if served is None:
                return None
            values.append(served)
        return f"{source.refer(completed_object(tuple(keys)))}({', '.join(values)})"

    def _read(
        self, source: _Source, field_def: GraphQLField, details: Any, parent: str
    ) -> str | None:
        """An expression reading the field off the object named ``parent``."""
        read = plain_read(field_def, details)
        if read is None:
            return None
        if isinstance(read, str):
            return f"{parent}.{read}"
        return f"{source.refer(read)}({parent})"

    def _value(
        self, source: _Source, field_type: GraphQLType, details: Any, v: str, read: str | None
    ) -> str | None:
        """An expression serving the value of ``field_type`` named ``v``: ``read`` assigns
        it where it is first evaluated (None when ``v`` already holds it)."""
        first = v if read is None else f"({v} := {read})"
        if isinstance(field_type, GraphQLNonNull):
            named = field_type.of_type
            if isinstance(named, GraphQLScalarType) and named.name in _PASS_THROUGH:
                # None fails the type check and goes to the type's coercion, which refuses
                # it: one test per value, not two (a 200-row answer has a thousand).
                return self._non_null(source, named, details, v, first)
            required = self._non_null(source, named, details, v, v)
            if required is None:
                return None
            return f"_not_null({v}) if {first} is None else ({required})"
        optional = self._non_null(source, field_type, details, v, v)
        return None if optional is None else f"None if {first} is None else ({optional})"

    def _non_null(
        self, source: _Source, named: GraphQLType, details: Any, v: str, first: str
    ) -> str | None:
        """An expression serving the value named ``v``, known not to be None; objects and
        lists are given ``v`` already evaluated (``first`` is ``v``)."""
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            return source.leaf(named, v, first)
        if isinstance(named, GraphQLList):
            each = source.variable()
            item = self._value(source, named.of_type, details, each, None)
            if item is None:
                return None
            # The full path accepts any iterable (and reports the rest): only lists and
            # tuples are completed here.
            return (
                f"[{item} for {each} in {v}] "
                f"if type({first}) is list or type({v}) is tuple else _not_null({v})"
            )
        if isinstance(named, GraphQLObjectType):
            if named.is_type_of is None:
                return self._object(source, named, details, v)
            check = _strawberry_is_type_of(named)
            answer = None if check is None else self._object(source, named, details, v)
            if answer is None:
                return None
            # The full path refuses an object of another type (and says so at its path).
            return f"({answer}) if {source.refer(check)}({v}, None) else _not_null({v})"
        return None


def _strawberry_is_type_of(named: GraphQLObjectType) -> Complete | None:
    """The type's ``is_type_of`` when it is the one Strawberry gives a type that implements
    an interface (an isinstance check of the object; the resolve info it is passed is unused),
    so that such types (the savings groupings) complete here too; None for any other, which
    may read the info: the full path calls those."""
    check = named.is_type_of
    if check is not None and check.__qualname__.endswith("_get_is_type_of.<locals>.is_type_of"):
        return check  # type: ignore[return-value]
    return None
