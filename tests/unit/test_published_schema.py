"""The published SDL matches the code, honours the contract, and the operations validate."""

from __future__ import annotations

from pathlib import Path

import pytest

from district_ppm.api.sdl import CONTRACT_FILE, SCHEMA_FILE, compare, export_sdl
from graphql import build_schema, parse, validate

OPERATIONS = sorted((SCHEMA_FILE.parent / "operations").glob("*.graphql"))


def test_graphql_schema_file_is_what_the_code_exports():
    assert SCHEMA_FILE.read_text() == export_sdl(), (
        "graphql/schema.graphql is stale: run `make schema`"
    )


def test_no_contract_name_has_another_type_in_the_schema():
    contract = build_schema(CONTRACT_FILE.read_text())
    ours = build_schema(export_sdl())

    assert compare(contract, ours)["conflicting"] == []


def test_compare_reports_missing_and_conflicting_names():
    contract = build_schema("type Query { a: Int! b(x: ID!): String } enum E { X Y }")
    ours = build_schema("type Query { a: Int b(x: ID!): String } enum E { X }")

    assert compare(contract, ours) == {
        "missing": ["E.Y"],
        "conflicting": ["Query.a: Int, contract says Int!"],
    }


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: Path(p).name)
def test_client_operations_validate_against_the_schema(path):
    schema = build_schema(SCHEMA_FILE.read_text())

    assert validate(schema, parse(path.read_text())) == []


def test_there_are_client_operations_to_check():
    assert len(OPERATIONS) >= 3
