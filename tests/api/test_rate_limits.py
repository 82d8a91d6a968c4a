"""Request budgets per token (GCRA in Redis) and request size limits per route.

Each test builds an app with budgets of its own (the suite's default app has them out of the
way) and talks to the real Redis of the test run, or to none at all for the outage tests.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from litestar import Litestar

from district_ppm.app import create_app
from district_ppm.config import Settings
from district_ppm.tenancy.models import Role
from tests import redis_server
from tests.support.graphql import error_codes

ME = "{ me { role } }"
CREATE_SCHOOL = """
mutation Create($input: CreateSchoolInput!) { createSchool(input: $input) { school { id } } }
"""
SCHOOLS = "{ schools(first: 100) { totalCount } }"
ORGS = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
# Budgets far out of the way, for the parts of a test that are not about them.
UNLIMITED = 1_000_000


def budgets(settings: Settings, **overrides: Any) -> Settings:
    values = {
        "rate_limit_per_minute": UNLIMITED,
        "rate_limit_burst": UNLIMITED,
        "import_rate_limit_per_minute": UNLIMITED,
        "import_rate_limit_burst": UNLIMITED,
        "anonymous_rate_limit_per_minute": UNLIMITED,
        "anonymous_rate_limit_burst": UNLIMITED,
    }
    return settings.model_copy(update={**values, **overrides})


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Litestar]:
    application = create_app(settings)
    # The lifespan's task group must be entered and left by the same task.
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve())
    await started.wait()
    try:
        yield application
    finally:
        stop.set()
        await task


@asynccontextmanager
async def client_of(app: Litestar, ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def graphql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def post_orgs(http: httpx.AsyncClient, token: str | None, *nces_ids: str) -> httpx.Response:
    rows = "".join(
        f"s{n},active,2026-08-01,School {n},school,{nces},d1\n" for n, nces in enumerate(nces_ids)
    )
    headers = {"Content-Type": "text/csv"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post(
        "/api/v1/imports/oneroster-orgs", content=(ORGS + rows).encode(), headers=headers
    )


def limit_error(response: httpx.Response) -> dict[str, Any]:
    """The LIMIT_EXCEEDED error of a refused GraphQL request, checked against its header."""
    body = response.json()
    assert error_codes(body) == ["LIMIT_EXCEEDED"], body
    assert body["data"] is None
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    assert response.headers["retry-after"] == str(extensions["retryAfter"])
    return extensions


def admitted(response: httpx.Response) -> bool:
    return "LIMIT_EXCEEDED" not in error_codes(response.json())


def fail_open_count(metrics: str) -> float:
    match = re.search(r"^district_ppm_rate_limit_fail_open_total (\S+)$", metrics, re.M)
    assert match, "the fail-open counter is exported"
    return float(match.group(1))


@contextmanager
def closed_loopback_port() -> Iterator[int]:
    """A port bound but never listening: a connection to it is refused while this lasts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


async def test_a_token_over_its_budget_is_refused_while_another_token_of_its_district_passes(
    settings, factory
):
    district_id, token = await factory.district()
    other = await factory.token(district_id, Role.VIEWER)

    async with (
        serving(budgets(settings, rate_limit_per_minute=1, rate_limit_burst=3)) as app,
        client_of(app) as http,
    ):
        within = [await graphql(http, ME, token=token) for _ in range(3)]
        over = await graphql(http, ME, token=token)
        neighbour = await graphql(http, ME, token=other)

    assert [r.json()["data"]["me"]["role"] for r in within] == ["DISTRICT_ADMIN"] * 3
    extensions = limit_error(over)
    # One request a minute: the next one is due within the minute, never sooner than now.
    assert 0 < extensions["retryAfter"] <= 60
    assert "this token" in over.json()["errors"][0]["message"]
    assert neighbour.json() == {"data": {"me": {"role": "VIEWER"}}}


async def test_the_budget_refills_after_the_retry_time(settings, factory):
    _, token = await factory.district()

    # One request every 2 s, 2 at once.
    async with (
        serving(budgets(settings, rate_limit_per_minute=30, rate_limit_burst=2)) as app,
        client_of(app) as http,
    ):
        first = [await graphql(http, ME, token=token) for _ in range(3)]
        retry_after = limit_error(first[2])["retryAfter"]
        await asyncio.sleep(retry_after)
        after_waiting = await graphql(http, ME, token=token)

    assert [admitted(r) for r in first] == [True, True, False]
    assert retry_after in (1, 2)
    assert after_waiting.json() == {"data": {"me": {"role": "DISTRICT_ADMIN"}}}


async def test_racing_requests_on_one_token_never_admit_more_than_the_budget(settings, factory):
    district_id, _ = await factory.district()
    tokens = [await factory.token(district_id, Role.VIEWER) for _ in range(3)]
    burst, per_token = 5, 30

    async with (
        serving(budgets(settings, rate_limit_per_minute=1, rate_limit_burst=burst)) as app,
        client_of(app) as http,
    ):
        before = fail_open_count((await http.get("/metrics")).text)
        responses = await asyncio.gather(
            *(graphql(http, ME, token=t) for t in tokens for _ in range(per_token))
        )
        after = fail_open_count((await http.get("/metrics")).text)

    assert after == before, "Redis answered every check (no request admitted unchecked)"
    for n in range(len(tokens)):
        mine = responses[n * per_token : (n + 1) * per_token]
        assert sum(admitted(r) for r in mine) == burst
        assert all(limit_error(r)["retryAfter"] > 0 for r in mine if not admitted(r))


async def test_an_import_over_its_budget_answers_429_and_writes_nothing(settings, factory):
    _, token = await factory.district()

    tight_imports = budgets(settings, import_rate_limit_per_minute=1, import_rate_limit_burst=1)
    async with serving(tight_imports) as app, client_of(app) as http:
        first = await post_orgs(http, token, "480000100001")
        second = await post_orgs(http, token, "480000100002")
        # GraphQL requests of the same token draw on their own budget.
        schools = await graphql(http, SCHOOLS, token=token)

    assert (first.status_code, first.json()) == (200, {"written": 1})
    assert second.status_code == 429
    body = second.json()
    assert body == {
        "written": 0,
        "code": "LIMIT_EXCEEDED",
        "message": "too many requests from imports with this token; "
        f"retry in {body['retryAfter']} s",
        "retryAfter": body["retryAfter"],
    }
    assert 0 < body["retryAfter"] <= 60
    assert second.headers["retry-after"] == str(body["retryAfter"])
    assert schools.json() == {"data": {"schools": {"totalCount": 1}}}


async def test_callers_without_a_valid_token_are_limited_per_address(settings, factory):
    _, token = await factory.district()

    tight = budgets(settings, anonymous_rate_limit_per_minute=1, anonymous_rate_limit_burst=2)
    async with (
        serving(tight) as app,
        client_of(app, "10.1.1.1") as http,
        client_of(app, "10.2.2.2") as elsewhere,
    ):
        within = [await graphql(http, ME, token=None) for _ in range(2)]
        over = await graphql(http, ME, token=None)
        # An invalid token is no way around it, on GraphQL or the imports.
        forged = await graphql(http, ME, token="not-a-token")
        forged_import = await post_orgs(http, "not-a-token", "480000100001")
        # A valid token from the same address has its own budget; so has another address.
        valid = await graphql(http, ME, token=token)
        other_address = await graphql(elsewhere, ME, token=None)

    assert [error_codes(r.json()) for r in within] == [["UNAUTHENTICATED"]] * 2
    assert limit_error(over)["retryAfter"] > 0
    assert "without a valid token" in over.json()["errors"][0]["message"]
    assert limit_error(forged)["retryAfter"] > 0
    assert (forged_import.status_code, forged_import.json()["code"]) == (429, "LIMIT_EXCEEDED")
    assert valid.json() == {"data": {"me": {"role": "DISTRICT_ADMIN"}}}
    assert error_codes(other_address.json()) == ["UNAUTHENTICATED"]


async def test_with_redis_unreachable_every_request_is_admitted_and_every_write_kept(
    settings, factory
):
    _, token = await factory.district()

    with closed_loopback_port() as port:
        # Budgets that would refuse the second request, were Redis there to keep them.
        no_redis = budgets(
            settings,
            redis_url=f"redis://127.0.0.1:{port}/0",
            rate_limit_per_minute=1,
            rate_limit_burst=1,
            import_rate_limit_per_minute=1,
            import_rate_limit_burst=1,
        )
        async with serving(no_redis) as app, client_of(app) as http:
            before = fail_open_count((await http.get("/metrics")).text)
            created = [
                await graphql(
                    http,
                    CREATE_SCHOOL,
                    {
                        "input": {
                            "name": f"School {n}",
                            "level": "ELEMENTARY",
                            "firstBell": "08:00",
                        }
                    },
                    token=token,
                )
                for n in range(3)
            ]
            imports = [await post_orgs(http, token, f"48000010000{n}") for n in range(2)]
            schools = await graphql(http, SCHOOLS, token=token)
            after = fail_open_count((await http.get("/metrics")).text)

    assert [error_codes(r.json()) for r in created] == [[]] * 3
    assert [(r.status_code, r.json()) for r in imports] == [(200, {"written": 1})] * 2
    assert schools.json() == {"data": {"schools": {"totalCount": 5}}}
    assert after - before == 6, "each request admitted unchecked is counted"


async def test_limits_hold_again_once_a_stopped_redis_is_back(settings, factory):
    _, token = await factory.district()

    async with serving(budgets(settings, rate_limit_per_minute=1, rate_limit_burst=1)) as app:
        app.state.rate_limiter.outage_backoff = 0.2
        async with client_of(app) as http:
            redis_server.stop()
            try:
                during_outage = [await graphql(http, ME, token=token) for _ in range(3)]
            finally:
                redis_server.start()
            await asyncio.sleep(0.3)
            back = [await graphql(http, ME, token=token) for _ in range(2)]

    assert [admitted(r) for r in during_outage] == [True, True, True]
    # The restarted Redis is empty: the budget starts full again, and holds.
    assert admitted(back[0])
    assert limit_error(back[1])["retryAfter"] > 0


async def test_a_graphql_body_over_the_limit_is_refused_with_413(settings, factory):
    _, token = await factory.district()
    limit = 64 * 1024
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def body(size: int) -> bytes:
        # Unused variables are ignored by GraphQL; they only make the body as large as asked.
        prefix = b'{"query": "{ me { role } }", "variables": {"pad": "'
        suffix = b'"}}'
        return prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix

    async def streamed(data: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(data), 4096):
            yield data[start : start + 4096]

    async with (
        serving(budgets(settings, graphql_max_body_bytes=limit)) as app,
        client_of(app) as http,
    ):
        at_limit = await http.post("/graphql", content=body(limit), headers=headers)
        announced = await http.post("/graphql", content=body(limit + 1), headers=headers)
        # No Content-Length: the limit counts the bytes as they arrive.
        chunked = await http.post("/graphql", content=streamed(body(limit + 1)), headers=headers)

    assert at_limit.json() == {"data": {"me": {"role": "DISTRICT_ADMIN"}}}
    for refused in (announced, chunked):
        assert refused.status_code == 413, refused.text
        assert refused.json()["errors"] == [
            {
                "message": f"request body over {limit} bytes",
                "extensions": {"code": "LIMIT_EXCEEDED", "maxBytes": limit},
            }
        ]
    assert "content-length" not in chunked.request.headers


async def test_the_default_graphql_body_limit_is_four_mebibytes(client):
    oversized = b"{" + b" " * (4 * 1024 * 1024) + b"}"

    response = await client.post(
        "/graphql", content=oversized, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_ipv6_callers_without_a_token_share_the_budget_of_their_64_network(settings):
    tight = budgets(settings, anonymous_rate_limit_per_minute=1, anonymous_rate_limit_burst=1)
    async with (
        serving(tight) as app,
        client_of(app, "2001:db8:0:1::a") as first,
        client_of(app, "2001:db8:0:1:ffff::b") as same_network,
        client_of(app, "2001:db8:0:2::a") as other_network,
    ):
        spent = await graphql(first, ME, token=None)
        neighbour = await graphql(same_network, ME, token=None)
        elsewhere = await graphql(other_network, ME, token=None)

    assert error_codes(spent.json()) == ["UNAUTHENTICATED"]
    assert limit_error(neighbour)["retryAfter"] > 0
    assert error_codes(elsewhere.json()) == ["UNAUTHENTICATED"]
