"""What a query costs before it runs: one per field resolved, times every enclosing list's size.

graphql-core pays per field it completes, so a field inside a list is paid once per item, and
inside a list inside a list once per item of both. Every list therefore multiplies what is
under it by the most items it can hold:

- a page (a field that takes ``first``, or the ``edges`` right under it): the page asked for
  (the literal ``first``, the largest page for a variable, the default page when absent);
- an unpaginated list: its entry in ``LIST_SIZES``, a realistic upper bound for one district;
- any other list: ``DEFAULT_LIST_SIZE``, so a new list field is never counted as one item.

A cycle such as ``processes { parent { children { parent { children ... } } } }`` then costs
what it does: each ``children`` multiplies again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from district_ppm.analytics.xmr import RULES
from district_ppm.db.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from district_ppm.improvement.models import PHASE_ORDER
from district_ppm.improvement.projects import MAX_SCHOOLS, MAX_TEAM_SIZE
from district_ppm.jobs.schema import SHOWN as JOBS_SHOWN
from district_ppm.measures.hygiene import NOT_CHECKED, HygieneReason
from district_ppm.practices.service import MAX_MEASURES as PRACTICE_MEASURES
from district_ppm.schools.models import SchoolLevel
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)

# Unpaginated lists, "Type.field": the most items one district's answer realistically holds.
# Where the code caps a list, the cap; elsewhere a generous bound on a large district.
LIST_SIZES: dict[str, int] = {
    # The whole process tree (categories > groups > processes > activities), and the
    # sub-processes of one of them; a tree's levels are read with these bounds.
    "Query.processes": 150,
    "Process.children": 15,
    "LogicModel.measures": 100,
    "LogicModel.links": 200,
    "ControlChart.points": 1_000,  # about five school years of a daily measure
    "ControlChart.annotations": 100,
    "ChartPoint.signals": len(RULES),
    "Scorecard.rows": 500,  # one row per measure of the view
    "SchoolComparison.rows": 500,  # one row per school
    "MetricsHygiene.rows": 500,  # one row per measure
    "MetricsHygiene.notChecked": max(len(NOT_CHECKED), 10),
    "HygieneRow.reasons": len(HygieneReason),
    "JobsOverview.pending": JOBS_SHOWN,
    "JobsOverview.recentFailures": JOBS_SHOWN,
    "TimeLossReport.rows": 500,  # one row per school, route or month
    "ApiToken.schoolIds": 20,  # a school leader's schools
    # A district documents a few practices a year, each adopted at up to ~100 schools and shown
    # by at most MAX_MEASURES measures (practices/service.py). Every adoption's gains are read
    # one practice at a time (Query.practice) or as medians (Query.gainsAcrossDistrict).
    "Query.practices": 50,
    "Query.gainsAcrossDistrict": 50,
    "Practice.adoptions": 100,
    "Practice.measureIds": PRACTICE_MEASURES,
    "Adoption.gains": PRACTICE_MEASURES,
    "PracticeSpread.measures": PRACTICE_MEASURES,
    # A project passes each tollgate once (phases only move forward); its charter caps the rest.
    "Project.tollgates": len(PHASE_ORDER) - 1,
    "Project.team": MAX_TEAM_SIZE,
    "Project.schoolIds": MAX_SCHOOLS,
    "MatrixColumn.peerMedians": len(SchoolLevel),  # one per school level with a value
}
DEFAULT_LIST_SIZE = 100


def list_size(type_name: str, field_name: str, page: int | None = None) -> int:
    """How many items the list field ``type_name.field_name`` is counted as holding.

    ``page`` is the page size when the list is paginated (see the module docstring).
    """
    if page is not None:
        return page
    return LIST_SIZES.get(f"{type_name}.{field_name}", DEFAULT_LIST_SIZE)


def returns_list(field: GraphQLField) -> bool:
    return is_list_type(get_nullable_type(field.type))  # type: ignore[arg-type]


def page_size(node: FieldNode) -> int:
    """The page a field that takes ``first`` returns at most."""
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return MAX_PAGE_SIZE  # a variable: the largest page the service accepts
    return DEFAULT_PAGE_SIZE


@dataclass(slots=True)
class Measured:
    """Depth below the selection set and cost of one pass through it (multiplier 1)."""

    depth: int
    cost: int


@dataclass
class QueryCost:
    """Walks one document's selection sets; fragments are measured once and reused, so a
    document that spreads fragments many times over costs no more than its size to measure."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    _measured: dict[tuple[str, int | None], Measured] = field(default_factory=dict)
    _in_progress: set[str] = field(default_factory=set)

    def measure(
        self, selection_set: SelectionSetNode | None, parent: Any, page: int | None = None
    ) -> Measured:
        """Depth and cost of ``selection_set`` on ``parent``; ``page`` is the page size of the
        field it belongs to when that field takes ``first`` (its ``edges`` hold that many)."""
        total = Measured(0, 0)
        if selection_set is None:
            return total
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                part = self._field(selection, parent, page)
                part.depth += 1
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                part = self.measure(selection.selection_set, target, page)
            elif isinstance(selection, FragmentSpreadNode):
                part = self._fragment(selection.name.value, page)
            else:  # pragma: no cover - the three kinds above are all GraphQL has
                continue
            total.depth = max(total.depth, part.depth)
            total.cost += part.cost
        return total

    def _field(self, node: FieldNode, parent: Any, page: int | None) -> Measured:
        name = node.name.value
        if name.startswith("__"):
            return Measured(0, 0)  # introspection has its own depth rule in graphql-core
        definition = (
            parent.fields.get(name)
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )
        if definition is None:
            return Measured(0, 1)  # an unknown field: another rule reports it
        own_page = page_size(node) if "first" in definition.args else None
        child_type: GraphQLNamedType = get_named_type(definition.type)
        if returns_list(definition):
            items = list_size(parent.name, name, own_page if own_page is not None else page)
            if is_leaf_type(child_type):
                return Measured(0, items)  # each scalar of the list is serialized
            below = self.measure(node.selection_set, child_type, None)
            return Measured(below.depth, 1 + items * below.cost)
        below = self.measure(node.selection_set, child_type, own_page)
        return Measured(below.depth, 1 + below.cost)

    def _fragment(self, name: str, page: int | None) -> Measured:
        fragment = self.fragments.get(name)
        if fragment is None or name in self._in_progress:
            return Measured(0, 0)  # unknown or cyclic: graphql-core's own rules report it
        key = (name, page)
        if key not in self._measured:
            self._in_progress.add(name)
            target = self.schema.get_type(fragment.type_condition.name.value)
            self._measured[key] = self.measure(fragment.selection_set, target, page)
            self._in_progress.discard(name)
        found = self._measured[key]
        return Measured(found.depth, found.cost)
