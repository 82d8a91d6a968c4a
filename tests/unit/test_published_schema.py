"""The published SDL matches the code, honours the contract, and the operations validate.

Everything here reads files inside the repository only: a clone with nothing beside it runs
these checks too (tests/unit/test_standalone_clone.py does exactly that).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from district_ppm.api.sdl import CONTRACT_FILE, SCHEMA_FILE, compare, export_sdl
from district_ppm.config import PROJECT_ROOT
from graphql import build_schema, parse, print_schema, validate

OPERATIONS = sorted((SCHEMA_FILE.parent / "operations").glob("*.graphql"))
IN_REPO_CONTRACT = PROJECT_ROOT / "graphql" / "contract.graphql"
# The engineers' reference copy, present on their machines and in CI, never in a user's clone.
SHARED_CONTRACT = PROJECT_ROOT.parent / "shared" / "contract" / "district-ppm.graphql"


def _comments(sdl: str) -> list[str]:
    """The contract's comment lines, less those that say where its semantics are written."""
    return [
        line
        for line in sdl.splitlines()
        if line.startswith("#") and "DOMAIN.md" not in line and "docs/" not in line
    ]


def test_the_schema_is_checked_against_the_contract_kept_in_the_repository():
    assert CONTRACT_FILE == IN_REPO_CONTRACT


def test_the_contract_in_the_repository_agrees_with_the_shared_one_when_present():
    ours = IN_REPO_CONTRACT.read_text()
    contract = build_schema(ours)
    assert len(contract.query_type.fields) > 10  # type: ignore[union-attr]
    if SHARED_CONTRACT.exists():
        shared = SHARED_CONTRACT.read_text()
        # The same types, fields, arguments and descriptions, and the same conventions
        # (only the pointers to where the semantics are written differ).
        assert print_schema(contract) == print_schema(build_schema(shared))
        assert _comments(ours) == _comments(shared)


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
