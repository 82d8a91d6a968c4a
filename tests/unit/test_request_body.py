"""The GraphQL view reads request bodies as Strawberry does: same answers, good or bad."""

from __future__ import annotations

import json
from typing import Any

import pytest
import strawberry
from litestar import Litestar, Request, post
from litestar.testing import AsyncTestClient
from strawberry.litestar import BaseContext, make_graphql_controller

from district_ppm.api.graphql_view import lean_request_data, with_direct_handlers


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, value: str = "") -> str:
        return value


SCHEMA = strawberry.Schema(query=Query)


async def context_getter(request: Request[Any, Any, Any]) -> BaseContext:
    return BaseContext()


def strawberry_app() -> Litestar:
    return Litestar([make_graphql_controller(SCHEMA, path="/graphql", subscription_protocols=())])


def our_app() -> Litestar:
    controller = make_graphql_controller(
        SCHEMA, path="/graphql", context_getter=context_getter, subscription_protocols=()
    )
    return Litestar([with_direct_handlers(controller, context_getter)])


JSON = "application/json"
QUERY = "query($v: String) { echo(value: $v) }"
CASES: list[tuple[str, bytes]] = [
    (JSON, json.dumps({"query": "{ echo }"}).encode()),
    (JSON, json.dumps({"query": QUERY, "variables": {"v": "ü\u0000"}}).encode()),
    (JSON, json.dumps({"query": QUERY, "variables": None, "operationName": None}).encode()),
    (JSON, json.dumps({"query": QUERY, "extensions": {"a": [1, 2.5, None]}}).encode()),
    ("application/json; charset=utf-8", json.dumps({"query": "{ echo }"}).encode()),
    ("Application/JSON", json.dumps({"query": "{ echo }"}).encode()),
    ("application/json; charset=latin-1", json.dumps({"query": "{ echo }"}).encode()),
    ("application/graphql+json", json.dumps({"query": "{ echo }"}).encode()),
    ("text/plain", json.dumps({"query": "{ echo }"}).encode()),
    (JSON, json.dumps({"query": QUERY, "variables": {"v": "\ud800"}}).encode()),  # lone surrogate
    (JSON, b'{"query": "{ echo }", "variables": {"v": NaN}}'),
    (JSON, b'\xef\xbb\xbf{"query": "{ echo }"}'),  # a byte order mark
    (JSON, json.dumps({"query": "{ echo }"}).encode("utf-16")),
    (JSON, b'{"query": "{ echo }"'),
    (JSON, b""),
    (JSON, b"null"),
    (JSON, b'"{ echo }"'),
    (JSON, json.dumps([{"query": "{ echo }"}]).encode()),  # a batch: batching is off
    (JSON, json.dumps({"query": 1}).encode()),
    (JSON, json.dumps({"query": "{ echo }", "variables": []}).encode()),
    (JSON, json.dumps({"query": "{ echo }", "extensions": "x"}).encode()),
    (JSON, json.dumps({"variables": {}}).encode()),  # no query
    (JSON, json.dumps({"query": "{ echo", "operationName": 3}).encode()),
]


@pytest.mark.parametrize(("content_type", "body"), CASES)
async def test_every_body_is_answered_as_strawberry_answers_it(
    content_type: str, body: bytes
) -> None:
    answers = []
    for app in (strawberry_app(), our_app()):
        async with AsyncTestClient(app) as client:
            answer = await client.post(
                "/graphql", content=body, headers={"content-type": content_type}
            )
            answers.append((answer.status_code, answer.text))
    assert answers[1] == answers[0]


async def test_the_common_body_is_read_without_strawberry() -> None:
    @post("/read", status_code=200)
    async def read(request: Request[Any, Any, Any]) -> list[Any]:
        data = await lean_request_data(request)
        assert data is not None
        return [data.query, data.variables, data.operation_name, data.extensions]

    body = {"query": QUERY, "variables": {"v": "x"}, "operationName": None}
    async with AsyncTestClient(Litestar([read])) as client:
        answer = await client.post("/read", json=body)

    assert answer.json() == [QUERY, {"v": "x"}, None, None]
