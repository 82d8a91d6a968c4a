"""What a query selects below the field being resolved, for resolvers that read only that.

A list resolver reads its rows' details in bulk, in the request's transaction, when (and only
when) the client selects them, instead of a per-row resolver or a loader per detail; a read
computes a column only when it is asked for. The names are read off the query's own syntax
tree (fragments, named and inline, looked through) and remembered per field node: the parser
cache hands every request of a document the same nodes, so a dashboard's repeated query
walks its tree once, where Strawberry's ``info.selected_fields`` rebuilt it on every request.
Directives are not evaluated: a field under ``@include(if: false)`` counts as selected, so the
worst case is a read nobody needed, never a detail missing from an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from strawberry.types import Info

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)

# (id of the field's first node, path) -> (that node, the names): the node is kept, and
# compared, so that an id reused by another document's node is never taken for it.
_remembered: dict[tuple[int, tuple[str, ...]], tuple[FieldNode, frozenset[str]]] = {}
_REMEMBERED_AT_MOST = 4096


def selected(info: Info, *path: str) -> frozenset[str]:
    """The field names selected at ``path`` below the field being resolved: ``selected(info)``
    its own sub-fields, ``selected(info, "plan")`` those of its ``plan``, and so on."""
    raw: Any = info._raw_info
    nodes: Sequence[FieldNode] = raw.field_nodes
    key = (id(nodes[0]), path)
    found = _remembered.get(key)
    if found is not None and found[0] is nodes[0] and len(nodes) == 1:
        return found[1]
    names = names_at(nodes, raw.fragments, path)
    if len(nodes) == 1:  # several nodes (the field asked twice) are merged per request
        if len(_remembered) >= _REMEMBERED_AT_MOST:
            _remembered.clear()
        _remembered[key] = (nodes[0], names)
    return names


def names_at(
    nodes: Iterable[FieldNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    path: Sequence[str],
) -> frozenset[str]:
    """The names of the fields selected at ``path`` below ``nodes``."""
    selections = [s for node in nodes if node.selection_set for s in node.selection_set.selections]
    for name in path:
        selections = [
            s
            for field in _fields(selections, fragments)
            if field.name.value == name and field.selection_set
            for s in field.selection_set.selections
        ]
    return frozenset(field.name.value for field in _fields(selections, fragments))


def _fields(
    selections: Iterable[SelectionNode], fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    for selection in selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set.selections, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set.selections, fragments)
