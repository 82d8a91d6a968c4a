"""graphql-core's executor, with plain fields completed without it.

A field whose answer needs no resolver (api.plain_completion) is completed by a function
compiled once per operation: a 200-row list of plain rows in one pass instead of a path, a
resolve info and several layers per field. A resolver's list or object answer whose fields
are all plain is completed the same way, once the resolver has run. An object-typed plain
field whose own fields are not all plain is read directly and its fields executed one by one.
Anything a compiled function cannot complete (a null in a non-null field, a value its type
refuses) goes through graphql-core's own path, which reports the error as it always has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from district_ppm.api.plain_completion import Compiler, Complete, plain_reader
from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    Visitor,
    visit,
)


@dataclass(frozen=True, slots=True)
class PlainObject:
    """An object-typed plain field: read, then its own fields executed directly."""

    read: Complete
    object_type: GraphQLObjectType
    field_type: Any
    non_null: bool


def plain_object(field_def: GraphQLField, field_nodes: Any) -> PlainObject | None:
    read = plain_reader(field_def, field_nodes)
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if read is None or not isinstance(named, GraphQLObjectType) or named.is_type_of is not None:
        return None
    return PlainObject(read, named, field_type, non_null)


def completed(complete: Complete, source_value: Any) -> Any:
    """The compiled answer, or Undefined when the full path must give it (and any error)."""
    try:
        return complete(source_value)
    except Exception:  # noqa: BLE001 - NotPlain, or a value its type refuses
        return Undefined


Shortcuts = list[tuple[Complete | None, PlainObject | None]]

# Compiled once per document, not per request: a field group's shortcuts depend only on its
# parent type and its field nodes, which the parser cache's document holds for every request
# of the same text, unless a directive (@include(if: $v), @defer) makes the selection depend
# on the request. Keyed by the ids of those objects, which the entry keeps alive, so that an
# id is never another object's. Rebuilding them was a tenth of a scorecard request.
_SHARED: dict[tuple[int, tuple[tuple[int, ...], ...]], tuple[Any, Shortcuts]] = {}
_SHARED_LIMIT = 4096


def _shared_shortcuts(
    context: ExecutionContext, parent_type: GraphQLObjectType, grouped_field_set: Any
) -> Shortcuts:
    groups = tuple(tuple(details.node for details in group) for group in grouped_field_set.values())
    key = (id(parent_type), tuple(tuple(map(id, nodes)) for nodes in groups))
    found = _SHARED.get(key)
    if found is not None:
        return found[1]
    shortcuts = context._shortcuts(parent_type, grouped_field_set)
    if len(_SHARED) >= _SHARED_LIMIT:
        _SHARED.clear()
    _SHARED[key] = ((parent_type, groups), shortcuts)
    return shortcuts


# A resolver's list or object answer, completed by one function of the value: compiled
# once per document as the shortcuts are, keyed by the return type and the field's nodes.
_SHARED_VALUES: dict[tuple[int, tuple[int, ...]], tuple[Any, Complete | None]] = {}


def _shared_value_completer(
    context: ExecutionContext, return_type: GraphQLOutputType, field_details_list: Any
) -> Complete | None:
    nodes = tuple(details.node for details in field_details_list)
    key = (id(return_type), tuple(map(id, nodes)))
    found = _SHARED_VALUES.get(key)
    if found is not None:
        return found[1]
    complete = context._compiler().value(return_type, field_details_list)
    if len(_SHARED_VALUES) >= _SHARED_LIMIT:
        _SHARED_VALUES.clear()
    _SHARED_VALUES[key] = ((return_type, nodes), complete)
    return complete


_DIRECTIVES: dict[int, tuple[Any, bool]] = {}


def document_has_directives(operation: OperationDefinitionNode, fragments: Any) -> bool:
    """Whether the operation or any fragment carries a directive (once per operation node)."""
    found = _DIRECTIVES.get(id(operation))
    if found is not None and found[0] is operation:
        return found[1]
    seen: list[bool] = []

    class _Directives(Visitor):
        def enter_directive(self, *_: Any) -> None:
            seen.append(True)

    for node in (operation, *fragments.values()):
        # graphql-core 3.3 keeps each fragment with its variable signature
        visit(node[0] if isinstance(node, tuple) else node, _Directives())
    if len(_DIRECTIVES) >= _SHARED_LIMIT:
        _DIRECTIVES.clear()
    _DIRECTIVES[id(operation)] = (operation, bool(seen))
    return bool(seen)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per operation: (parent type, id of its field group) -> each field's shortcut.
        # graphql-core keeps a list's field group alive and reuses it for every item.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, list[Any]]] = {}
        # Per operation: (return type, id of a field's details) -> its value completer.
        self._value_completers: dict[tuple[Any, int], tuple[Any, Complete | None]] = {}

    def _compiler(self) -> Compiler:
        return Compiler(self.schema.get_field, self.collect_subfields)

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A resolver's list or object answer completed by one compiled function when it
        can be (100 verdicts: 100 objects' fields executed one by one, a tenth of the read);
        anything else, or anything the function cannot complete, by graphql-core. A non-null
        type is tried once, at the type it wraps (graphql-core's non-null check calls this
        again with it), so that an answer the function refuses is not tried twice."""
        if (
            result is not None
            and isinstance(return_type, GraphQLList | GraphQLObjectType)
            and not (self.middleware_manager and self.middleware_manager.middlewares)
        ):
            complete = self._value_completer(return_type, field_details_list)
            if complete is not None:
                answer = completed(complete, result)
                if answer is not Undefined:
                    return answer
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _value_completer(
        self, return_type: GraphQLOutputType, field_details_list: Any
    ) -> Complete | None:
        key = (return_type, id(field_details_list))
        cached = self._value_completers.get(key)
        if cached is not None and cached[0] is field_details_list:
            return cached[1]
        if document_has_directives(self.operation, self.fragments):
            complete = self._compiler().value(return_type, field_details_list)
        else:
            complete = _shared_value_completer(self, return_type, field_details_list)
        self._value_completers[key] = (field_details_list, complete)
        return complete

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Any]:
        key = (parent_type, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        if document_has_directives(self.operation, self.fragments):
            shortcuts = self._shortcuts(parent_type, grouped_field_set)
        else:
            shortcuts = _shared_shortcuts(self, parent_type, grouped_field_set)
        plan = [
            (response_name, field_details_list, complete, partly)
            for (response_name, field_details_list), (complete, partly) in zip(
                grouped_field_set.items(), shortcuts, strict=True
            )
        ]
        self._plans[key] = (grouped_field_set, plan)
        return plan

    def _shortcuts(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Shortcuts:
        """Each field's compiled completer, else its plain-object reader, else neither."""
        compiler = self._compiler()
        shortcuts: Shortcuts = []
        for field_details_list in grouped_field_set.values():
            field_def = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
            complete = None
            partly = None
            if field_def is not None:
                complete = compiler.field(field_def, field_details_list)
                if complete is None:
                    partly = plain_object(field_def, field_details_list)
            shortcuts.append((complete, partly))
        return shortcuts

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
        try:
            value = shortcut.read(source_value)
        except Exception:  # noqa: BLE001 - not at hand: the full path reads it
            return Undefined
        if value is None and shortcut.non_null:
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
            for response_name, field_details_list, complete, partly in self._plan(
                parent_type, grouped_field_set
            ):
                if complete is not None:
                    answer = completed(complete, source_value)
                    if answer is not Undefined:
                        results[response_name] = answer
                        continue
                elif partly is not None:
                    result = self._plain_object(
                        partly,
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
