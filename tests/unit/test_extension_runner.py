"""The lean extension runner answers as Strawberry's own: same hooks, order, errors, results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from district_ppm.api.extension_runner import LeanExtensionsRunner
from graphql import GraphQLError


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"

    @strawberry.field
    def boom(self) -> str:
        raise ValueError("boom")


def extensions(seen: list[str]) -> list[type[SchemaExtension]]:
    class Outer(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            seen.append("operation")
            try:
                yield
            except GraphQLError as error:
                seen.append(f"operation saw {error.message}")
                raise
            seen.append("operation done")

        def on_parse(self) -> Iterator[None]:
            seen.append("parse")
            if self.execution_context.query == "{ refused }":  # as ParserCache's parse fails
                raise GraphQLError("refused in a hook")
            yield
            seen.append("parsed")

    class Second(SchemaExtension):
        def on_operation(self) -> Iterator[None]:  # a second hook in the same phase
            seen.append("second")
            yield

        async def on_execute(self) -> AsyncIterator[None]:  # async: Strawberry's manager
            seen.append("execute")
            yield

        def get_results(self) -> dict[str, Any]:
            return {"second": True}

    class ValidateOnly(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            seen.append("validate")
            yield

    return [Outer, Second, ValidateOnly]


class LeanSchema(strawberry.Schema):
    def create_extensions_runner(self, execution_context: Any, extensions: Any) -> Any:
        return LeanExtensionsRunner(execution_context, extensions)


@pytest.mark.parametrize(
    "query",
    [
        "{ hello }",
        "{ boom }",
        "{ refused }",
        "{ nope }",
        "{ hello",
        "query A { hello } query B { hello }",
    ],
)
async def test_the_same_hooks_and_answers_as_strawberry(query: str) -> None:
    seen_plain: list[str] = []
    seen_lean: list[str] = []
    plain = strawberry.Schema(query=Query, extensions=extensions(seen_plain))
    lean = LeanSchema(query=Query, extensions=extensions(seen_lean))

    expected = await plain.execute(query, operation_name="A" if "A" in query else None)
    answer = await lean.execute(query, operation_name="A" if "A" in query else None)

    assert answer.data == expected.data
    assert [e.formatted for e in answer.errors or []] == [
        e.formatted for e in expected.errors or []
    ]
    assert answer.extensions == expected.extensions == {"second": True}
    assert seen_lean == seen_plain
