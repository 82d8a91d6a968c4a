"""GraphQL types served from service rows read by name: every field the type declares
without a resolver must be a field of the row, so a field added to one and not the other
fails here rather than in a dashboard."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from district_ppm.api.schema import build_schema
from district_ppm.api.types import Edge
from district_ppm.config import Settings
from district_ppm.db.pagination import PageItem
from district_ppm.governance import matrix
from district_ppm.governance.schema.matrix import MatrixCell
from district_ppm.measures.comparison import ComparedSchool, ComparisonLine
from district_ppm.measures.hygiene import HygieneLine
from district_ppm.measures.rows import MEASURE_COLUMNS
from district_ppm.measures.schema.hygiene import HygieneRow
from district_ppm.measures.schema.types import ComparisonRow, Measure, ScorecardRow
from district_ppm.measures.scorecard import ScorecardLine
from district_ppm.schools.schema import School
from district_ppm.schools.service import ListedSchoolRow

SCHEMA = build_schema(Settings())


def read_by_name(graphql_type: Any, shown_as: str | None = None) -> set[str]:
    """The Python names of the type's GraphQL fields that Strawberry reads as attributes:
    no resolver, and shown in the schema (a private attribute is not a field)."""
    definition = graphql_type.__strawberry_definition__
    shown = SCHEMA._schema.type_map[shown_as or definition.name].fields  # type: ignore[attr-defined]
    graphql_name = SCHEMA.config.name_converter.get_graphql_name
    return {
        field.python_name
        for field in definition.fields
        if field.base_resolver is None and graphql_name(field) in shown
    }


@pytest.mark.parametrize(
    ("graphql_type", "shown_as", "row_fields"),
    [
        (ComparisonRow, None, ComparisonLine._fields),
        (School, None, ComparedSchool._fields),
        (School, None, ListedSchoolRow._fields),
        (Edge, "SchoolEdge", PageItem._fields),  # its cursor is read from cursor_key
        (ScorecardRow, None, ScorecardLine._fields),
        # a scorecard line's measure: a row of the measure's columns (and its status's)
        (Measure, None, tuple(column.key for column in MEASURE_COLUMNS)),
        # metricsHygiene's lines, and the process matrix's cells
        (HygieneRow, None, tuple(f.name for f in fields(HygieneLine))),
        (MatrixCell, None, matrix.MatrixCell._fields),
    ],
)
def test_every_field_read_by_name_is_a_field_of_the_row(graphql_type, shown_as, row_fields):
    missing = read_by_name(graphql_type, shown_as) - set(row_fields)
    assert not missing, f"the row lacks {sorted(missing)} of {graphql_type.__name__}"


def test_an_edges_cursor_is_read_from_the_items_cursor_key():
    assert "cursor_key" in PageItem._fields
    assert "cursor_key" in {field.python_name for field in Edge.__strawberry_definition__.fields}


def test_a_rows_enrollment_is_the_latest_or_under_another_name():
    # School.enrollment reads a row's ``enrollment`` as the latest year's: a listed school's
    # is; a comparison line's school's is the period's year's, so it has another name and
    # the loader finds the latest.
    assert "enrollment" in ListedSchoolRow._fields
    assert "enrollment" not in ComparedSchool._fields
    assert "year_enrollment" in ComparedSchool._fields


def test_a_measure_row_takes_the_measure_columns_in_order():
    """``measure_rows`` builds each MeasureRow from its row by position."""
    from district_ppm.measures.rows import MeasureRow

    assert list(MeasureRow._fields) == [c.key for c in MEASURE_COLUMNS]
