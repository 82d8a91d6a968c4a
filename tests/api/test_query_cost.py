"""The query cost counts every list at its size, so no cheap-looking query is expensive."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from district_ppm.api.limits import query_limits_rule
from district_ppm.api.query_cost import (
    DEFAULT_LIST_SIZE,
    LIST_SIZES,
    QueryCost,
    list_size,
    returns_list,
)
from district_ppm.api.schema import build_schema
from district_ppm.api.sdl import SCHEMA_FILE
from district_ppm.config import Settings
from district_ppm.db.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from district_ppm.tenancy.models import Role
from graphql import (
    FragmentDefinitionNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    OperationDefinitionNode,
    parse,
    validate,
)
from tests.support.graphql import error_codes
from tests.support.measures import count_statements, queries

SETTINGS = Settings()
SCHEMA = build_schema(SETTINGS)._schema
OPERATIONS = sorted((SCHEMA_FILE.parent / "operations").glob("*.graphql"))
PROCESSES = LIST_SIZES["Query.processes"]
CHILDREN = LIST_SIZES["Process.children"]


def cost_of(document: str) -> int:
    """The cost the limits rule computes for the document's one operation."""
    parsed = parse(document)
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    (operation,) = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    root = SCHEMA.get_root_type(operation.operation)
    return QueryCost(SCHEMA, fragments).measure(operation.selection_set, root).cost


def sibling_cycle(levels: int) -> str:
    """processes { parent { children { parent { children ... { id } } } } }"""
    inner = "id"
    for _ in range(levels):
        inner = f"parent {{ children {{ {inner} }} }}"
    return f"processes {{ {inner} }}"


def list_fields() -> list[tuple[str, str]]:
    return sorted(
        (type_.name, name)
        for type_ in SCHEMA.type_map.values()
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        and not type_.name.startswith("__")
        for name, field in type_.fields.items()
        if returns_list(field)
    )


def test_every_list_field_of_the_schema_counts_as_more_than_one_item():
    # A new list field gets the default bound (or its own entry), never a multiplier of one.
    fields = list_fields()
    counted_once = [f"{t}.{f}" for t, f in fields if list_size(t, f) <= 1]

    assert len(fields) >= 15
    assert counted_once == []
    assert DEFAULT_LIST_SIZE > 1


def test_every_list_size_entry_names_a_list_field_of_the_schema():
    known = {f"{t}.{f}" for t, f in list_fields()}

    assert sorted(set(LIST_SIZES) - known) == []


def test_each_level_of_a_cycle_multiplies_the_cost():
    one_level = cost_of(f"{{ {sibling_cycle(1)} }}")
    two_levels = cost_of(f"{{ {sibling_cycle(2)} }}")

    # processes: 1 + each process (parent: 1 + children: 1 + each child: id).
    assert one_level == 1 + PROCESSES * (1 + 1 + CHILDREN * 1)
    assert two_levels == 1 + PROCESSES * (1 + 1 + CHILDREN * (1 + 1 + CHILDREN * 1))


def test_a_page_multiplies_its_edges_and_a_list_of_scalars_counts_each_scalar():
    literal = cost_of("{ schools(first: 7) { totalCount edges { node { id name } } } }")
    variable = cost_of("query($n: Int) { schools(first: $n) { edges { node { id } } } }")
    absent = cost_of("{ schools { edges { node { id } } } }")
    scalars = cost_of("{ apiTokens(first: 2) { edges { node { schoolIds } } } }")

    assert literal == 1 + 1 + 1 + 7 * (1 + 2)
    assert variable == 1 + 1 + MAX_PAGE_SIZE * 2
    assert absent == 1 + 1 + DEFAULT_PAGE_SIZE * 2
    assert scalars == 1 + 1 + 2 * (1 + LIST_SIZES["ApiToken.schoolIds"])


def test_fragments_spread_many_times_over_are_measured_once_each():
    # Each fragment spreads the next twice: 2^40 paths, measured in linear time.
    fragments = "\n".join(
        f"fragment F{i} on Process {{ children {{ ...F{i + 1} ...F{i + 1} }} }}" for i in range(40)
    )
    document = f"{{ processes {{ ...F0 }} }}\n{fragments}\nfragment F40 on Process {{ id }}"

    started = time.perf_counter()
    cost = cost_of(document)
    elapsed = time.perf_counter() - started

    assert cost > SETTINGS.max_query_cost
    assert elapsed < 1


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: Path(p).name)
def test_every_client_operation_fits_within_the_query_limits(path):
    rule = query_limits_rule(
        SETTINGS.max_query_depth, SETTINGS.max_query_aliases, SETTINGS.max_query_cost
    )

    assert validate(SCHEMA, parse(path.read_text()), [rule]) == []


def test_a_process_tree_two_levels_deep_fits_within_the_cost_limit():
    # What a tree view sends: each process with its children and grandchildren.
    tree = """
    { processes { code name kind isKey parent { code } children { code children { code } } } }
    """

    assert cost_of(tree) <= SETTINGS.max_query_cost


async def test_a_viewers_cyclic_process_query_is_refused_before_anything_runs(gql, factory, app):
    district_id, admin = await factory.district()
    applied = await gql("mutation { applyProcessTemplate { processesCreated } }", token=admin)
    assert applied["data"]["applyProcessTemplate"]["processesCreated"] > 10
    viewer = await factory.token(district_id, Role.VIEWER)
    document = "{ " + " ".join(f"a{i}: {sibling_cycle(4)}" for i in range(4)) + " }"

    with count_statements(app) as statements:
        result = await gql(document, token=viewer)

    assert len(document) < 500
    assert error_codes(result) == ["LIMIT_EXCEEDED"]
    assert "cost" in result["errors"][0]["message"]
    assert result.get("data") is None
    # Nothing was resolved: no statement ran beyond the token lookup.
    assert queries(statements) == []
