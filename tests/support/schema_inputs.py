"""Valid GraphQL arguments for any field, generated from the schema.

Tests that call every field (the isolation probe, the NUL-in-any-string check) fill each
argument the way a client would: ids of a seeded district (tests/support/seeded_district.py) for
ID arguments, chosen by ``ID_ARGUMENTS``; values by name or by type for the rest.
"""

from __future__ import annotations

import itertools
from typing import Any

from district_ppm.api.schema import build_schema
from district_ppm.config import Settings
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from tests.support.seeded_district import PERIOD, SCHOOL_YEAR, SERVICE_DATE

SCHEMA: GraphQLSchema = build_schema(Settings())._schema

# Which seeded record an ID argument names (see SeededDistrict.ids): by "field.argument path"
# first (for a bare ``id``), then by the argument's own name wherever it appears.
ID_ARGUMENTS: dict[str, str] = {
    "school.id": "school",
    "measure.id": "measure",
    "logicModel.id": "logicModel",
    "project.id": "project",
    "practice.id": "practice",
    "opportunity.id": "opportunity",
    "revokeApiToken.id": "apiToken",
    "measureId": "measure",
    "measureIds": "measure",
    "primaryMeasureId": "measure",
    "driverId": "measure",
    "drivenId": "drivenMeasure",
    "schoolId": "school",
    "schoolIds": "school",
    "routeId": "busRoute",
    "processId": "process",
    "parentId": "process",
    "logicModelId": "logicModel",
    "projectId": "project",
    "practiceId": "practice",
    "opportunityId": "opportunity",
    "planId": "sustainabilityPlan",
    "adoptionId": "adoption",
    "savingsEntry.id": "savingsEntry",
    "updateSavings.input.id": "savingsEntry",
    "validateSavings.id": "savingsEntry",
    "reverseSavings.id": "savingsEntry",
    "forum.id": "forum",
    "meeting.id": "meeting",
    "decision.id": "decision",
    "forumId": "forum",
    "processIds": "process",
    "meetingId": "meeting",
    "decisionId": "decision",
    "userId": "user",
    "assignmentId": "assignment",
}
# Other arguments a call needs to reach its id lookup, by name; the rest by type.
VALUES_BY_NAME: dict[str, Any] = {
    "schoolYear": SCHOOL_YEAR,
    "fiscalYear": SCHOOL_YEAR,
    "baselineSchoolYear": SCHOOL_YEAR,
    "periodStart": PERIOD,
    "serviceDate": SERVICE_DATE,
    "scheduledArrival": "07:40",
    "actualArrival": "07:50",
    "firstBell": "08:00",
    "role": "SCHOOL_LEADER",  # the only role a token scoped to schools may have
    "value": 1.0,
    "redThreshold": 0.5,
    "expiresInDays": 30,
    "lowerSpecLimit": 0.5,  # a requirement needs one of its spec limits
    "amount": "10.00",  # updateSavings changes the amount or the status
}
VALUES_BY_TYPE: dict[str, Any] = {
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": PERIOD,
    "Time": "07:40",
    "DateTime": "2024-09-01T00:00:00+00:00",
    "Decimal": "1",
}


def root_fields() -> list[tuple[str, str, GraphQLField]]:
    roots = [("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)]
    return [
        (operation, name, field)
        for operation, root in roots
        if root is not None
        for name, field in root.fields.items()
    ]


def id_paths(type_: Any, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        return id_paths(nullable.of_type, (*path, 0))
    if get_named_type(nullable).name == "ID":
        return [path]
    if is_input_object_type(nullable):
        assert isinstance(nullable, GraphQLInputObjectType)
        return [p for n, f in nullable.fields.items() for p in id_paths(f.type, (*path, n))]
    return []


def record_for(field: str, path: tuple[str | int, ...]) -> str | None:
    names = [str(p) for p in path if isinstance(p, str)]
    return ID_ARGUMENTS.get(".".join([field, *names])) or ID_ARGUMENTS.get(names[-1])


def value_for(name: str, type_: Any, ids: dict[str, str], field: str, path: tuple) -> Any:
    """A valid value of ``type_`` for the argument ``name``, using ``ids`` for ID ones."""
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        return [value_for(name, nullable.of_type, ids, field, (*path, 0))]
    named = get_named_type(nullable)
    if named.name == "ID":
        record = record_for(field, path)
        assert record is not None, f"add {field}.{name} to ID_ARGUMENTS"
        return ids[record]
    if isinstance(named, GraphQLInputObjectType):
        return {
            n: value_for(n, f.type, ids, field, (*path, n))
            for n, f in named.fields.items()
            if needed(n, f.type)
        }
    if name in VALUES_BY_NAME:
        return VALUES_BY_NAME[name]
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if named.name == "String":
        return f"P{next(_UNIQUE)}"  # short, alphanumeric and new: valid as a code or a name
    return VALUES_BY_TYPE[named.name]


_UNIQUE = itertools.count(1)


def needed(name: str, type_: Any) -> bool:
    """Required inputs, ids (to probe them) and named values are sent; other optional ones
    are left out, as a client leaves them."""
    return is_non_null_type(type_) or bool(id_paths(type_, (name,))) or name in VALUES_BY_NAME


def selection(type_: Any, depth: int = 0) -> str:
    """Every leaf field without arguments, two object levels deep."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    assert isinstance(named, GraphQLObjectType)
    parts = []
    for name, field in named.fields.items():
        if any(is_non_null_type(a.type) for a in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif depth < 2:
            parts.append(f"{name} {selection(inner, depth + 1)}")
    return "{ " + " ".join(parts or ["__typename"]) + " }"


def document(operation: str, field_name: str) -> str:
    """``mutation($input: X!) { field(input: $input) { ...every leaf... } }``"""
    root = SCHEMA.query_type if operation == "query" else SCHEMA.mutation_type
    assert root is not None
    field = root.fields[field_name]
    declared = ", ".join(f"${a}: {d.type}" for a, d in field.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in field.args)
    arguments = f"({passed})" if passed else ""
    head = f"{operation}({declared})" if declared else operation
    return f"{head} {{ {field_name}{arguments} {selection(field.type)} }}"


def arguments(operation: str, field_name: str, ids: dict[str, str]) -> dict[str, Any]:
    """Variables for ``document(operation, field_name)`` that the field would accept."""
    root = SCHEMA.query_type if operation == "query" else SCHEMA.mutation_type
    assert root is not None
    return {
        a: value_for(a, d.type, ids, field_name, (a,))
        for a, d in root.fields[field_name].args.items()
        if needed(a, d.type)
    }
