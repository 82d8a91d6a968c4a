"""Inputs PostgreSQL or the services would choke on answer BAD_INPUT naming the field.

A NUL character in any string, an over-long token name, a cursor that was not made here, and
an oversized batch (refused by its length, before graphql-core coerces every item).
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from district_ppm.api.input_guards import MAX_LIST_LENGTHS
from district_ppm.api.schema import build_schema
from district_ppm.config import Settings
from district_ppm.tenancy.service import MAX_TOKEN_NAME
from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLSchema,
    get_named_type,
    is_input_object_type,
)
from tests.api.measures_support import create_measure, create_school, measure_input
from tests.conftest import error_codes

SCHEMA: GraphQLSchema = build_schema(Settings())._schema
NUL_TEXT = "before\x00after"


def valid_arguments(school_id: str, measure_id: str) -> dict[str, dict[str, Any]]:
    """For each mutation that takes a string: arguments it would accept (a NUL is then put
    into one string at a time)."""
    return {
        "createApiToken": {"input": {"name": "Board dashboard", "role": "VIEWER"}},
        "createSchool": {
            "input": {"name": "Lincoln", "level": "HIGH", "firstBell": "08:00", "ncesId": None}
        },
        "createBusRoute": {"input": {"code": "R-9", "schoolId": school_id, "riders": 40}},
        "createProcess": {
            "input": {
                "code": "9",
                "name": "Food services",
                "kind": "OPERATIONAL",
                "owner": "COO",
                "customers": "Students",
            }
        },
        "createLogicModel": {"input": {"name": "Attendance", "description": "Why"}},
        "createCustomerRequirement": {
            "input": {
                "stakeholderGroup": "Parents",
                "requirement": "Buses on time",
                "measureId": measure_id,
            }
        },
        "createMeasure": {
            "input": measure_input(
                code="NEW-1", definition="Days present", owner="CAO", dataSource="SIS"
            )
        },
        "rebaseControlChart": {
            "input": {"measureId": measure_id, "periodStart": "2024-09-01", "text": "New policy"}
        },
        "excludeChartPoint": {
            "input": {"measureId": measure_id, "periodStart": "2024-09-01", "text": "Storm"}
        },
        "annotateMeasure": {
            "input": {"measureId": measure_id, "periodStart": "2024-09-01", "text": "Launch"}
        },
    }


def string_paths(type_: GraphQLInputType, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    named = get_named_type(type_)
    if named.name == "String":
        return [prefix]
    if is_input_object_type(named):
        assert isinstance(named, GraphQLInputObjectType)
        return [
            path
            for name, field in named.fields.items()
            for path in string_paths(field.type, (*prefix, name))
        ]
    return []


def mutations_taking_strings() -> dict[str, list[tuple[str, ...]]]:
    mutation = SCHEMA.mutation_type
    assert mutation is not None
    found = {
        name: [p for arg, a in field.args.items() for p in string_paths(a.type, (arg,))]
        for name, field in mutation.fields.items()
    }
    return {name: paths for name, paths in found.items() if paths}


def mutation_document(name: str) -> str:
    assert SCHEMA.mutation_type is not None
    args = SCHEMA.mutation_type.fields[name].args
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
    passed = ", ".join(f"{a}: ${a}" for a in args)
    return f"mutation({declared}) {{ {name}({passed}) {{ __typename }} }}"


def with_value(arguments: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(arguments)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def only_bad_input(result: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(code, field, message) of the one error, or what there was instead."""
    errors = result.get("errors") or []
    if len(errors) != 1:
        return (None, None, f"expected one error, got {errors}")
    error = errors[0]
    return error["extensions"].get("code"), error["extensions"].get("field"), error["message"]


def test_every_mutation_that_takes_a_string_has_a_valid_input_here():
    missing = set(mutations_taking_strings()) - set(valid_arguments("s", "m"))

    assert missing == set(), f"add valid arguments for {sorted(missing)} to valid_arguments()"


async def test_a_nul_in_any_string_input_of_any_mutation_is_bad_input_naming_it(gql, factory):
    _, token = await factory.district()
    school_id = await create_school(gql, token, "Adams")
    measure_id = await create_measure(gql, token)
    arguments = valid_arguments(school_id, measure_id)
    answers = {}

    for name, paths in mutations_taking_strings().items():
        for path in paths:
            variables = with_value(arguments[name], path, NUL_TEXT)
            answers[(name, path)] = only_bad_input(
                await gql(mutation_document(name), variables, token=token)
            )

    wrong = {
        f"{name} {'.'.join(path)}": answer
        for (name, path), answer in answers.items()
        if answer[:2] != ("BAD_INPUT", ".".join(path)) or "NUL" not in answer[2]
    }
    assert len(answers) >= 15
    assert wrong == {}


async def test_a_nul_in_a_literal_or_a_query_argument_is_bad_input_naming_it(gql, factory):
    _, token = await factory.district()

    literal = await gql(
        'mutation { createSchool(input: {name: "a\\u0000b", level: HIGH, firstBell: "08:00"}) '
        "{ school { id } } }",
        token=token,
    )
    cursor = await gql(
        "query($after: String) { schools(after: $after) { totalCount } }",
        {"after": "abc\x00"},
        token=token,
    )
    schools = await gql("{ schools { totalCount } }", token=token)

    assert only_bad_input(literal)[:2] == ("BAD_INPUT", "input.name")
    assert only_bad_input(cursor)[:2] == ("BAD_INPUT", "after")
    assert schools["data"]["schools"]["totalCount"] == 0


async def test_a_token_name_over_the_column_length_is_bad_input(gql, factory):
    _, token = await factory.district()
    create = "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }"

    too_long = await gql(
        create, {"input": {"name": "n" * (MAX_TOKEN_NAME + 1), "role": "VIEWER"}}, token=token
    )
    longest = await gql(
        create, {"input": {"name": "n" * MAX_TOKEN_NAME, "role": "VIEWER"}}, token=token
    )

    code, field, message = only_bad_input(too_long)
    assert (code, field) == ("BAD_INPUT", "input.name")
    assert str(MAX_TOKEN_NAME) in message
    assert "errors" not in longest


def cursor_of(value: Any) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MALFORMED_CURSORS = {
    "not base64": "!!!",
    "not JSON": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "not a list": cursor_of({"a": 1}),
    "wrong length": cursor_of(["a"]),
    "not strings": cursor_of(["a", ["b"]]),
    "a NUL inside": cursor_of(["a\x00", "00000000-0000-0000-0000-000000000000"]),
    "not a uuid": cursor_of(["a", "b"]),
}
PAGINATED = ("schools", "busRoutes", "measures", "logicModels", "customerRequirements")


@pytest.mark.parametrize("field", [*PAGINATED, "apiTokens"])
async def test_a_malformed_after_cursor_is_bad_input_naming_after(gql, factory, field):
    _, token = await factory.district()
    document = f"query($after: String) {{ {field}(after: $after) {{ totalCount }} }}"
    answers = {}

    for name, cursor in MALFORMED_CURSORS.items():
        answers[name] = only_bad_input(await gql(document, {"after": cursor}, token=token))[:2]

    assert answers == dict.fromkeys(MALFORMED_CURSORS, ("BAD_INPUT", "after"))


async def test_an_oversized_batch_is_refused_by_its_length_before_any_item_is_read(gql, factory):
    _, token = await factory.district()
    measure_id = await create_measure(gql, token)
    most = MAX_LIST_LENGTHS["RecordMeasurementsInput.values"]
    # Items graphql-core would refuse one by one (kept small to stay under the body limit):
    # the length alone answers first.
    values = [{"value": "not a number"}] * (10 * most)
    record = """
    mutation($input: RecordMeasurementsInput!) { recordMeasurements(input: $input) { written } }
    """

    result = await gql(record, {"input": {"measureId": measure_id, "values": values}}, token=token)

    code, field, message = only_bad_input(result)
    assert (code, field) == ("BAD_INPUT", "input.values")
    assert f"has {10 * most} items; at most {most}" in message
    assert result["data"] is None


async def test_an_oversized_batch_of_bus_runs_is_refused_by_its_length(gql, factory):
    _, token = await factory.district()
    most = MAX_LIST_LENGTHS["RecordBusRunsInput.runs"]
    run = {"routeId": "not an id", "serviceDate": "never", "scheduledArrival": "late"}
    record = "mutation($input: RecordBusRunsInput!) { recordBusRuns(input: $input) { written } }"

    result = await gql(record, {"input": {"runs": [run] * (most + 1)}}, token=token)

    code, field, message = only_bad_input(result)
    assert (code, field) == ("BAD_INPUT", "input.runs")
    assert f"at most {most}" in message


async def test_a_batch_at_its_maximum_length_is_coerced_and_checked_as_usual(gql, factory):
    _, token = await factory.district()
    measure_id = await create_measure(gql, token)
    most = MAX_LIST_LENGTHS["RecordMeasurementsInput.values"]
    values = [{"periodStart": "2024-09-01", "value": 1.0}] * (most - 1)
    values.append({"periodStart": "never", "value": 1.0})
    record = """
    mutation($input: RecordMeasurementsInput!) { recordMeasurements(input: $input) { written } }
    """

    result = await gql(record, {"input": {"measureId": measure_id, "values": values}}, token=token)

    assert error_codes(result) == ["BAD_INPUT"]
    assert result["errors"][0]["extensions"]["field"] == f"input.values.{most - 1}.periodStart"
