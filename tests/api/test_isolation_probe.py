"""Every field that takes an id, called by district B's admin with district A's ids.

Generated from the schema: each query and mutation with an ID argument (top level or inside
its input, in lists too) is called once per ID argument, that argument holding A's id and
every other one B's own, so that the foreign id is the only thing wrong. Each call must answer
NOT_FOUND, null or an empty result; none may return A's data, and A's rows must be exactly as
they were. A new field with an ID argument the probe cannot fill fails the test: add its
argument to ``ID_ARGUMENTS`` in tests/support/schema_inputs.py (and its record to
tests/support/seeded_district.py if it is a new kind).
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.tenancy.models import Role
from graphql import GraphQLObjectType
from tests.support import schema_inputs
from tests.support.schema_inputs import (
    ID_ARGUMENTS,
    SCHEMA,
    arguments,
    document,
    id_paths,
    record_for,
    root_fields,
)
from tests.support.seeded_district import seed_district

# Keys that hold an answer's items: an answer whose item lists are all empty is empty.
EMPTY_KEYS = {"edges", "rows", "points", "nodes"}


@dataclass(frozen=True)
class Probe:
    operation: str  # "query" or "mutation"
    field: str
    id_path: tuple[str | int, ...]  # e.g. ("input", "values", 0, "schoolId")

    @property
    def label(self) -> str:
        return f"{self.field}({'.'.join(str(p) for p in self.id_path)})"


def probes() -> list[Probe]:
    return [
        Probe(operation, name, path)
        for operation, name, field in root_fields()
        for argument, definition in field.args.items()
        for path in id_paths(definition.type, (argument,))
    ]


def variables_for(probe: Probe, own: dict[str, str], foreign: dict[str, str]) -> dict[str, Any]:
    """B's own ids everywhere but where the probe puts A's: at its path, and at any other
    path naming the same kind of record (a plan's measureIds and its targets' measureId must
    agree, or the call is refused for disagreeing before any lookup)."""
    root = SCHEMA.query_type if probe.operation == "query" else SCHEMA.mutation_type
    assert root is not None
    field = root.fields[probe.field]
    variables = arguments(probe.operation, probe.field, own)
    record = record_for(probe.field, probe.id_path)
    assert record is not None
    for argument, definition in field.args.items():
        for path in id_paths(definition.type, (argument,)):
            if record_for(probe.field, path) != record:
                continue
            target: Any = variables
            try:
                for part in path[:-1]:
                    target = target[part]
            except (KeyError, IndexError):
                continue  # an optional input left out
            target[path[-1]] = foreign[record]
    return copy.deepcopy(variables)


def is_empty(value: Any) -> bool:
    if value in (None, [], {}):
        return True
    if isinstance(value, dict):
        lists = [k for k in value if k in EMPTY_KEYS]
        return bool(lists) and all(value[k] == [] for k in lists)
    return False


def verdict(probe: Probe, result: dict[str, Any], foreign_ids: set[str]) -> str | None:
    """Why the answer is wrong, or None when it is NOT_FOUND, null or empty."""
    data = (result.get("data") or {}).get(probe.field)
    leaked = sorted(i for i in foreign_ids if i in json.dumps(data))
    if leaked:
        return f"returned district A's ids {leaked}: {data}"
    codes = [e["extensions"]["code"] for e in result.get("errors", [])]
    if codes:
        return None if set(codes) == {"NOT_FOUND"} else f"answered {result['errors']}"
    return None if is_empty(data) else f"answered data {data}"


async def snapshot(admin_sessionmaker: Any, district_id: uuid.UUID) -> dict[str, str]:
    """A digest of every row of the district in every tenant table (job machinery aside:
    the relay marks outbox rows as it hands them on)."""
    digests = {}
    async with tenant_transaction(admin_sessionmaker, district_id) as session:
        tables = await session.scalars(
            text(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
                " AND column_name = 'district_id' AND table_name NOT LIKE '%outbox%'"
                " AND table_name NOT LIKE 'job%' ORDER BY table_name"
            )
        )
        for table in list(tables):
            digests[table] = await session.scalar(
                text(
                    f"SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' "
                    f"ORDER BY t::text), '')) FROM \"{table}\" t WHERE district_id = :d"
                ),
                {"d": district_id},
            )
    return digests


def unmapped_id_arguments() -> list[str]:
    return sorted(
        {
            f"{p.field}.{'.'.join(str(s) for s in p.id_path)}"
            for p in probes()
            if record_for(p.field, p.id_path) is None
        }
    )


def test_every_id_argument_of_the_schema_is_known_to_the_probe():
    nested = sorted(
        f"{type_.name}.{name}"
        for type_ in SCHEMA.type_map.values()
        if isinstance(type_, GraphQLObjectType)
        and type_ not in (SCHEMA.query_type, SCHEMA.mutation_type)
        and not type_.name.startswith("__")
        for name, field in type_.fields.items()
        if any(id_paths(a.type, (n,)) for n, a in field.args.items())
    )

    assert len(probes()) >= 30
    unmapped = unmapped_id_arguments()
    assert unmapped == [], f"add these ID arguments to ID_ARGUMENTS: {unmapped}"
    assert nested == [], f"the probe calls root fields only; teach it these: {nested}"


def test_an_id_argument_missing_from_the_map_is_reported(monkeypatch):
    mapped = unmapped_id_arguments()
    without_routes = {k: v for k, v in ID_ARGUMENTS.items() if k != "routeId"}
    monkeypatch.setattr(schema_inputs, "ID_ARGUMENTS", without_routes)

    unmapped = unmapped_id_arguments()

    assert "recordBusRuns.input.runs.0.routeId" not in mapped
    assert "recordBusRuns.input.runs.0.routeId" in unmapped


def test_a_leak_a_refusal_for_another_reason_or_data_is_reported():
    probe = Probe("query", "school", ("id",))
    foreign = {"a-school-id"}

    leak = verdict(probe, {"data": {"school": {"id": "a-school-id"}}}, foreign)
    bad_input = verdict(probe, {"errors": [{"extensions": {"code": "BAD_INPUT"}}]}, foreign)
    data = verdict(probe, {"data": {"school": {"id": "b-school-id"}}}, foreign)
    not_found = verdict(probe, {"errors": [{"extensions": {"code": "NOT_FOUND"}}]}, foreign)
    empty = verdict(probe, {"data": {"school": {"edges": [], "totalCount": 0}}}, foreign)

    assert leak is not None and "a-school-id" in leak
    assert bad_input is not None and "BAD_INPUT" in bad_input
    assert data is not None
    assert (not_found, empty) == (None, None)


async def test_district_b_reaches_nothing_of_district_a_through_any_id(
    gql, factory, admin_sessionmaker
):
    district_a = await seed_district(gql, factory)
    district_b = await seed_district(gql, factory)
    # B's admin first; a field the admin may not call (validating savings is finance's) is
    # called with the first of B's roles that may.
    tokens = [district_b.token] + [
        await factory.token(
            district_b.district_id,
            role,
            school_ids=[uuid.UUID(district_b.ids["school"])]
            if role is Role.SCHOOL_LEADER
            else None,
        )
        for role in Role
        if role is not Role.DISTRICT_ADMIN
    ]
    foreign_ids = set(district_a.ids.values())
    before = await snapshot(admin_sessionmaker, district_a.district_id)
    wrong = {}

    all_probes = probes()
    for probe in all_probes:
        call = document(probe.operation, probe.field)
        variables = variables_for(probe, district_b.ids, district_a.ids)
        for token in tokens:
            result = await gql(call, variables, token=token)
            if "FORBIDDEN" not in [e["extensions"]["code"] for e in result.get("errors", [])]:
                break
        problem = verdict(probe, result, foreign_ids)
        if problem:
            wrong[probe.label] = problem

    after = await snapshot(admin_sessionmaker, district_a.district_id)
    assert len({p.field for p in all_probes}) >= 25
    assert wrong == {}, json.dumps(wrong, indent=1)
    assert len(before) >= 15
    assert after == before
