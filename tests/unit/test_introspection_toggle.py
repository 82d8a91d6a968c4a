"""Introspection can be switched off (production) and is on by default (development)."""

from __future__ import annotations

from district_ppm.api.schema import build_schema
from district_ppm.config import Settings

INTROSPECT = "{ __schema { queryType { name } } }"


async def test_introspection_is_refused_when_disabled():
    result = await build_schema(Settings(graphql_introspection=False)).execute(INTROSPECT)

    assert result.data is None
    assert result.errors and {e.extensions["code"] for e in result.errors} == {"BAD_INPUT"}


async def test_introspection_answers_when_enabled():
    result = await build_schema(Settings(graphql_introspection=True)).execute(INTROSPECT)

    assert result.errors is None
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}
