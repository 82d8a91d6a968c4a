"""Depth, alias, cost and token limits answer LIMIT_EXCEEDED, and nothing runs."""

from __future__ import annotations

from district_ppm.api.schema import build_schema
from district_ppm.config import Settings
from tests.support.graphql import error_codes
from tests.support.schools import count_schools

SCHOOL_PAGE = "schools(first: 500) { edges { node { id name level firstBell ncesId enrollment } } }"


async def test_a_query_deeper_than_the_limit_is_refused_before_it_runs():
    # schools > edges > node > id is four levels deep; a limit of three refuses it.
    schema = build_schema(Settings(max_query_depth=3))

    outcome = await schema.execute("{ schools { edges { node { id } } } }")
    allowed = await schema.execute("{ schools { totalCount } }", context_value=None)

    assert outcome.data is None
    assert [e.extensions for e in outcome.errors or []] == [{"code": "LIMIT_EXCEEDED"}]
    # Within the limit, validation passes and the resolver runs (and asks for a token).
    assert [e.extensions for e in allowed.errors or []] == [{"code": "INTERNAL"}] or allowed.errors


async def test_too_many_aliases_refuse_a_mutation_and_nothing_is_written(
    gql, factory, app, app_sessionmaker
):
    district_id, token = await factory.district()
    limit = app.state.settings.max_query_aliases
    fields = " ".join(
        f's{i}: createSchool(input: {{name: "S{i}", level: OTHER, firstBell: "08:00"}})'
        " { school { id } }"
        for i in range(limit + 1)
    )

    result = await gql(f"mutation {{ {fields} }}", token=token)

    assert error_codes(result) == ["LIMIT_EXCEEDED"]
    assert await count_schools(app_sessionmaker, district_id) == 0


async def test_an_over_costly_query_is_refused(gql, factory, app):
    _, token = await factory.district()
    # Each 500-school page costs about 3,500; fifteen of them exceed the 50,000 budget.
    pages = " ".join(f"p{i}: {SCHOOL_PAGE}" for i in range(15))
    one_page = await gql(f"{{ {SCHOOL_PAGE} }}", token=token)

    result = await gql(f"{{ {pages} }}", token=token)

    assert "errors" not in one_page
    assert error_codes(result) == ["LIMIT_EXCEEDED"]
    assert "cost" in result["errors"][0]["message"]


async def test_a_document_over_the_token_limit_is_refused(gql, factory, app):
    _, token = await factory.district()
    tokens = app.state.settings.max_query_tokens
    padding = " ".join("__typename" for _ in range(tokens))

    result = await gql(f"{{ {padding} }}", token=token)

    assert error_codes(result) == ["LIMIT_EXCEEDED"]
