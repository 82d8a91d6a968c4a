"""``api.selection``: the names a query selects below a field, fragments looked through."""

from __future__ import annotations

from district_ppm.api.selection import names_at
from graphql import FieldNode, OperationDefinitionNode, parse

DOCUMENT = """
query Q {
  schoolComparison(measureId: "m", periodStart: "2026-01-01") {
    rows {
      value
      aliased: rank
      school { name ...Details }
      ... on ComparisonRow { peerMedian school { level } }
    }
  }
}
fragment Details on School { firstBell ncesId }
fragment Unused on School { enrollment }
"""


def _root_field() -> tuple[FieldNode, dict]:
    document = parse(DOCUMENT)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    (field,) = operation.selection_set.selections
    assert isinstance(field, FieldNode)
    return field, fragments


def test_names_below_a_field_by_their_field_names_not_their_aliases():
    field, fragments = _root_field()
    assert names_at([field], fragments, ()) == {"rows"}
    assert names_at([field], fragments, ("rows",)) == {"value", "rank", "school", "peerMedian"}


def test_fragments_named_and_inline_are_looked_through_and_repeated_fields_merged():
    field, fragments = _root_field()
    assert names_at([field], fragments, ("rows", "school")) == {
        "name",
        "firstBell",
        "ncesId",
        "level",
    }


def test_a_path_that_is_not_selected_selects_nothing():
    field, fragments = _root_field()
    assert names_at([field], fragments, ("rows", "valuePer100Students")) == frozenset()
    assert names_at([field], fragments, ("nothing", "here")) == frozenset()
