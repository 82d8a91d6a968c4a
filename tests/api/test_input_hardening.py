"""Inputs PostgreSQL or the services would choke on answer BAD_INPUT naming the field.

A NUL character in any string, an over-long token name, a cursor that was not made here, and
an oversized batch (refused by its length, before graphql-core coerces every item).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
from typing import Any

import pytest

from district_ppm.api.input_guards import MAX_LIST_LENGTHS
from district_ppm.tenancy.service import MAX_TOKEN_NAME
from graphql import (
    GraphQLInputObjectType,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
)
from tests.support.graphql import error_codes
from tests.support.measures import create_measure
from tests.support.schema_inputs import arguments, document, root_fields
from tests.support.seeded_district import seed_district

NUL_TEXT = "before\x00after"


def scalar_paths(type_: Any, scalar: str, prefix: tuple[str | int, ...]) -> list[tuple]:
    """Paths to every input of the named scalar type, through lists and input objects."""
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        return scalar_paths(nullable.of_type, scalar, (*prefix, 0))
    if get_named_type(nullable).name == scalar:
        return [prefix]
    if is_input_object_type(nullable):
        assert isinstance(nullable, GraphQLInputObjectType)
        return [
            path
            for name, field in nullable.fields.items()
            for path in scalar_paths(field.type, scalar, (*prefix, name))
        ]
    return []


def fields_taking(scalar: str) -> dict[tuple[str, str], list[tuple]]:
    """(operation, field) -> paths of its arguments of the ``scalar`` type."""
    found = {
        (operation, name): [
            p for arg, a in field.args.items() for p in scalar_paths(a.type, scalar, (arg,))
        ]
        for operation, name, field in root_fields()
    }
    return {key: paths for key, paths in found.items() if paths}


def mutations_taking_strings() -> dict[str, list[tuple[str | int, ...]]]:
    return {
        name: paths
        for (operation, name), paths in fields_taking("String").items()
        if operation == "mutation"
    }


def with_value(arguments: dict[str, Any], path: tuple[str | int, ...], value: Any) -> Any:
    """``arguments`` with ``value`` at ``path``, making the optional inputs on the way."""
    changed = copy.deepcopy(arguments)
    target: Any = changed
    for part, following in itertools.pairwise(path):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(target) <= part:
                target.append(copy.deepcopy(empty))
            target = target[part]
        else:
            target = target.setdefault(part, empty)
    last = path[-1]
    if isinstance(last, int):
        target[last:] = [value]
    else:
        target[last] = value
    return changed


def only_bad_input(result: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(code, field, message) of the one error, or what there was instead."""
    errors = result.get("errors") or []
    if len(errors) != 1:
        return (None, None, f"expected one error, got {errors}")
    error = errors[0]
    return error["extensions"].get("code"), error["extensions"].get("field"), error["message"]


async def test_a_nul_in_any_string_input_of_any_mutation_is_bad_input_naming_it(gql, factory):
    # Every other argument is one the mutation would accept (ids of a seeded district), so
    # only the NUL is wrong: without the guard, PostgreSQL would refuse it as INTERNAL.
    seeded = await seed_district(gql, factory)
    answers = {}

    for name, paths in mutations_taking_strings().items():
        valid = arguments("mutation", name, seeded.ids)
        for path in paths:
            variables = with_value(valid, path, NUL_TEXT)
            answers[(name, path)] = only_bad_input(
                await gql(document("mutation", name), variables, token=seeded.token)
            )

    wrong = {
        f"{name} {'.'.join(map(str, path))}": answer
        for (name, path), answer in answers.items()
        if answer[:2] != ("BAD_INPUT", ".".join(map(str, path))) or "NUL" not in answer[2]
    }
    assert len(answers) >= 30
    assert wrong == {}


async def test_dates_at_the_ends_of_the_calendar_are_answered_with_a_contract_code(gql, factory):
    # Year 1 once made metricsHygiene step back past the first date there is (INTERNAL).
    seeded = await seed_district(gql, factory)
    answers = {}

    for (operation, name), paths in fields_taking("Date").items():
        valid = arguments(operation, name, seeded.ids)
        for path, day in itertools.product(paths, ["0001-01-01", "9999-12-31"]):
            result = await gql(
                document(operation, name), with_value(valid, path, day), token=seeded.token
            )
            answers[f"{name} {'.'.join(map(str, path))}={day}"] = error_codes(result)

    internal = {call: codes for call, codes in answers.items() if "INTERNAL" in codes}
    assert len(answers) >= 20
    assert internal == {}


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
