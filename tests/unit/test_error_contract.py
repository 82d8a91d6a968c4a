"""Errors leave the service in the contract's shape; internal ones are masked."""

from __future__ import annotations

from district_ppm.api.error_contract import INTERNAL_MESSAGE, apply_contract
from district_ppm.errors import BadInput, BatchErrors, NotFound
from graphql import GraphQLError, parse


def test_domain_errors_keep_code_and_field():
    error = GraphQLError("nope", original_error=BadInput("input.ncesId", "nope"))
    apply_contract(error)
    assert error.extensions == {"code": "BAD_INPUT", "field": "input.ncesId"}

    missing = GraphQLError("x", original_error=NotFound(None, "x"))
    apply_contract(missing)
    assert missing.extensions == {"code": "NOT_FOUND"}


def test_unexpected_exceptions_are_masked():
    error = GraphQLError("password=hunter2", original_error=RuntimeError("password=hunter2"))

    apply_contract(error)

    assert error.message == INTERNAL_MESSAGE and error.extensions == {"code": "INTERNAL"}


def test_variable_errors_name_the_argument_path_with_list_indices():
    document = parse("mutation($v: In!) { record(input: $v) { written } }")
    error = GraphQLError(
        "Variable '$v' has invalid value at .values[3].value: Float cannot represent 'x'"
    )

    apply_contract(error, document)

    assert error.extensions == {"code": "BAD_INPUT", "field": "input.values.3.value"}


def test_batch_errors_list_every_row():
    batch = BatchErrors([BadInput("values.1.value", "a"), BadInput("values.4.periodStart", "b")])

    assert batch.at("input").extensions == {
        "code": "BAD_INPUT",
        "field": "input.values.1.value",
        "errors": [
            {"field": "input.values.1.value", "message": "a"},
            {"field": "input.values.4.periodStart", "message": "b"},
        ],
    }
