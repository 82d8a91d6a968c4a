"""Schemathesis fuzzes every query and mutation of /graphql as a district's admin.

Each operation gets valid (positive) and invalid (negative) documents generated from the
schema, with real ids of a seeded district mixed into ID arguments so cases reach real rows.
Every answer must be below 500, and every error must carry one of the contract's codes; an
INTERNAL error is a bug. The run is derandomized (the same cases every time) and bounded to
``CASE_BUDGET`` cases in all, shared by the operations (so a growing schema does not grow
the run past CI's two minutes), at least ``MIN_EXAMPLES`` per operation and mode.

Schemathesis generates; the app runs in-process on the test's event loop (as everywhere in
this suite): Hypothesis drives generation in a worker thread and hands each request to the
loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes

from district_ppm.api.schema import build_schema
from district_ppm.config import Settings
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
)
from tests.support.graphql import GraphQL
from tests.support.seeded_district import seed_district

CONTRACT_CODES = {
    "BAD_INPUT",
    "NOT_FOUND",
    "FORBIDDEN",
    "UNAUTHENTICATED",
    "CONFLICT",
    "LIMIT_EXCEEDED",
}
# CI's bound, about a minute on an idle machine. To explore further by hand:
# FUZZ_CASE_BUDGET=40000 FUZZ_MAX_EXAMPLES=200 pytest tests/api/test_fuzz_graphql.py
CASE_BUDGET = int(os.environ.get("FUZZ_CASE_BUDGET", "3600"))
MIN_EXAMPLES, MAX_EXAMPLES = 5, int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))


def examples_per_operation(operations: int) -> int:
    """Per operation and mode: the budget shared out, within the bounds."""
    return max(MIN_EXAMPLES, min(MAX_EXAMPLES, CASE_BUDGET // (2 * operations)))


REQUEST_TIMEOUT = 60  # seconds; a request slower than this is a finding too


@dataclass
class Findings:
    examples: int = 0  # per operation and mode
    cases: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    uncoded: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)  # "data" or an error code
    seconds: Counter[str] = field(default_factory=Counter)  # time spent per operation

    def summary(self) -> str:
        return (
            f"{self.cases} cases over {len(self.by_operation)} operations "
            f"({self.examples} per operation and mode): "
            f"{len(self.server_errors)} 5xx, {len(self.uncoded)} uncoded, "
            f"{len(self.internal)} INTERNAL; answers {dict(self.outcomes.most_common())}; "
            f"slowest {[(op, round(t, 1)) for op, t in self.seconds.most_common(5)]}"
        )

    def report(self, found: list[str]) -> str:
        """The summary, then each operation's first offending case."""
        first: dict[str, str] = {}
        for case in found:
            first.setdefault(case.split(":", 1)[0], case)
        return "\n".join([self.summary(), *first.values()])

    def check(self, label: str, document: str, response: httpx.Response) -> None:
        self.cases += 1
        self.by_operation[label] = self.by_operation.get(label, 0) + 1
        seen = f"{label}: {document!r} -> {response.status_code} {response.text[:300]}"
        if response.status_code >= 500:
            self.server_errors.append(seen)
            return
        try:
            errors = response.json().get("errors") or []
        except (json.JSONDecodeError, AttributeError):
            self.uncoded.append(seen)
            return
        codes = [(e.get("extensions") or {}).get("code") for e in errors]
        self.outcomes.update([str(code) for code in codes] or ["data"])
        if "INTERNAL" in codes:
            self.internal.append(seen)
        elif any(code not in CONTRACT_CODES for code in codes):
            self.uncoded.append(seen)


# Values that have broken services elsewhere: mixed into generated arguments of their type.
HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "name\x00with a NUL",
    "x" * 201,
    "x" * 5_000,
    "\u202e\ufeff\U0001f600",
    "'; DROP TABLE schools; --",
    "%s%n",
    "00000000-0000-0000-0000-000000000000",
    "2024-02-30",
    "24:00",
    "eyJhIjoxfQ",  # base64 JSON: a cursor that was not made here
]
EDGE_INTEGERS = [0, -1, 1, 2_147_483_647, -2_147_483_648, 1_900, 2_025, 9_999, 10_001]
EDGE_FLOATS = [0.0, -1.0, 1e308, -1e308, 5e-324, 0.1, 100.0, 2_147_483_648.0]


EDGE_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "2024-02-29"]


def register_scalars() -> None:
    """Strategies for Decimal (money amounts as strings, sometimes with too many places or
    out of range), which Schemathesis does not know, and for Date, whose calendar ends it
    reaches too seldom in a short run (year 1 once broke the hygiene reports)."""
    amounts = st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.sampled_from(["0", "-0.01", "1e400", "NaN", "Infinity", "12.345", "", "ten"]),
    )
    schemathesis.graphql.scalar("Decimal", amounts.map(str).map(nodes.String))
    days = st.one_of(st.sampled_from(EDGE_DATES), st.dates().map(str))
    schemathesis.graphql.scalar("Date", days.map(nodes.String))


def id_argument_keys(schema: GraphQLSchema) -> set[str]:
    """Schemathesis binding keys (``*.*.input.schoolIds[*]``) of every ID argument and ID
    input field, however deep, of every field."""
    keys: set[str] = set()

    def walk(type_: Any, path: str) -> None:
        nullable = get_nullable_type(type_)
        if is_list_type(nullable):
            walk(nullable.of_type, f"{path}[*]")
        elif get_named_type(nullable).name == "ID":
            keys.add(f"*.*.{path}")
        elif is_input_object_type(nullable):
            for name, field in nullable.fields.items():
                walk(field.type, f"{path}.{name}")

    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for field in type_.fields.values():
                for name, argument in field.args.items():
                    walk(argument.type, name)
    return keys


def fuzzing_schema(ids: list[str]) -> Any:
    """The app's own schema. ID arguments mostly get the seeded district's ids, so cases
    reach real rows; other arguments sometimes get values known to cause trouble."""
    register_scalars()
    app_schema = build_schema(Settings(graphql_introspection=True))
    config = SchemathesisConfig.from_dict(
        {
            "dictionaries": {
                "ids": {"values": ids},
                "strings": {"values": HOSTILE_STRINGS},
                "integers": {"values": EDGE_INTEGERS},
                "floats": {"values": EDGE_FLOATS},
            },
            "parameters": {
                key: {"dictionary": "ids", "probability": 0.9}
                for key in id_argument_keys(app_schema._schema)
            },
            "generation": {
                "deterministic": True,
                "dictionaries": {
                    "string": {"dictionary": "strings", "probability": 0.3},
                    "integer": {"dictionary": "integers", "probability": 0.3},
                    "number": {"dictionary": "floats", "probability": 0.3},
                },
            },
        }
    )
    return schemathesis.graphql.from_dict(app_schema.introspect(), config=config)


def fuzz(schema: Any, send: Callable[[str], httpx.Response]) -> Findings:
    """Runs every operation's cases (blocking: call it from a worker thread)."""
    findings = Findings()
    operations = [result.ok() for result in schema.get_all_operations()]
    findings.examples = examples_per_operation(len(operations))
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            started = time.perf_counter()
            cases_of(
                operation,
                mode,
                findings.examples,
                lambda case, label=operation.label: findings.check(
                    label, case.body, send(case.body)
                ),
            )()
            findings.seconds[operation.label] += time.perf_counter() - started
    return findings


def cases_of(
    operation: Any, mode: GenerationMode, examples: int, check: Callable[[Any], None]
) -> Any:
    """A Hypothesis test calling ``check`` on each generated case; it never raises, so every
    example runs and nothing is shrunk."""

    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        check(case)

    return run


@pytest.fixture
async def fuzz_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own whose per-token request budget does not throttle the fuzzer."""
    from district_ppm.app import create_app

    unthrottled = settings.model_copy(
        update={"rate_limit_per_minute": 10**7, "rate_limit_burst": 10**7}
    )
    application = create_app(unthrottled)
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve())
    await started.wait()
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    stop.set()
    await task


async def test_fuzzing_graphql_finds_no_server_error_and_only_contract_codes(fuzz_client, factory):
    seeded = await seed_district(GraphQL(fuzz_client), factory)
    schema = fuzzing_schema(seeded.all_ids())
    headers = {"Authorization": f"Bearer {seeded.token}"}
    loop = asyncio.get_running_loop()

    def send(document: str) -> httpx.Response:
        request = fuzz_client.post("/graphql", json={"query": document}, headers=headers)
        return asyncio.run_coroutine_threadsafe(request, loop).result(REQUEST_TIMEOUT)

    findings = await asyncio.to_thread(fuzz, schema, send)

    print(findings.summary())
    assert len(findings.by_operation) >= 35
    assert findings.cases >= findings.examples * len(findings.by_operation)
    assert findings.server_errors == [], findings.report(findings.server_errors)
    assert findings.uncoded == [], findings.report(findings.uncoded)
    assert findings.internal == [], findings.report(findings.internal)
