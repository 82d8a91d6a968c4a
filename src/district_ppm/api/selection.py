"""What a query selects below the field being resolved, for resolvers that read only that.

A list resolver reads its rows' details in bulk, in the request's transaction, when (and only
when) the client selects them, instead of a per-row resolver or a loader per detail. Strawberry's
``info.selected_fields`` holds the field with its sub-selections, fragments (named and inline)
included; these helpers look through them. Directives are not evaluated: a field under
``@include(if: false)`` counts as selected, so the worst case is a read nobody needed, never a
detail missing from an answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection


def field_names(selections: Sequence[Selection]) -> set[str]:
    """The names of the fields in ``selections``, looking through fragments."""
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        else:
            names |= field_names(selection.selections)
    return names


def children_of(selections: Sequence[Selection], name: str) -> list[Selection]:
    """What is selected under the fields called ``name`` in ``selections``."""
    found: list[Selection] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                found.extend(selection.selections)
        else:
            found.extend(children_of(selection.selections, name))
    return found


def selected(info: Info, *path: str) -> set[str]:
    """The field names selected at ``path`` below the field being resolved: ``selected(info)``
    its own sub-fields, ``selected(info, "plan")`` those of its ``plan``, and so on."""
    selections: list[Selection] = [c for field in info.selected_fields for c in field.selections]
    for name in path:
        selections = children_of(selections, name)
    return field_names(selections)
