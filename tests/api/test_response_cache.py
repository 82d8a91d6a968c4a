"""The response cache: repeated reads answered from Redis, never a read older than a commit.

An app with the cache on is built here (the suite's default app executes every request).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
import pytest
from litestar import Litestar

from district_ppm.api.cacheable import CacheableQuery, cacheable_query
from district_ppm.api.response_cache import response_key
from district_ppm.app import create_app
from district_ppm.config import Settings
from district_ppm.db.data_version import DataVersion
from district_ppm.jobs.service import run_job
from district_ppm.measures.jobs import refresh_measure_status_job
from district_ppm.tenancy.models import Role
from district_ppm.tenancy.principal import Principal
from tests import redis_server
from tests.support.management import MY_RESPONSIBILITIES, add_member
from tests.support.measures import (
    SET_TARGET,
    count_statements,
    create_measure,
    create_school,
    monthly,
    record,
)
from tests.support.schools import CREATE, school_input

SCHOOLS = "query Schools { schools(first: 100) { totalCount edges { node { name } } } }"
COUNT = "{ schools(first: 1) { totalCount } }"
SCORECARD = """
query Scorecard($year: Int!) { scorecard(view: DASHBOARD, schoolYear: $year) {
  rows { measure { code } latestValue status } } }
"""
ORGS = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"


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
async def client_of(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def with_cache(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={"response_cache": True, **overrides})


@pytest.fixture(scope="module")
async def cached_app(settings: Settings) -> AsyncIterator[Litestar]:
    async with serving(with_cache(settings)) as app:
        yield app


@pytest.fixture
async def http(cached_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(cached_app) as client:
        yield client


async def post(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str,
    operation_name: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name is not None:
        body["operationName"] = operation_name
    response = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response


def cache(response: httpx.Response) -> str | None:
    return response.headers.get("x-cache")


def names(response: httpx.Response) -> list[str]:
    return [edge["node"]["name"] for edge in response.json()["data"]["schools"]["edges"]]


async def test_a_read_after_a_committed_write_is_never_answered_from_before_it(http, factory):
    _, token = await factory.district()
    await post(http, CREATE, {"input": school_input(name="Oak")}, token=token)

    first = await post(http, SCHOOLS, token=token)
    warm = await post(http, SCHOOLS, token=token)
    created = await post(
        http, CREATE, {"input": school_input(name="Pine", ncesId="480000100002")}, token=token
    )
    after_write = await post(http, SCHOOLS, token=token)
    again = await post(http, SCHOOLS, token=token)

    assert (cache(first), cache(warm)) == ("miss", "hit")
    assert warm.content == first.content
    assert cache(created) is None, "a mutation is never looked up"
    assert (cache(after_write), names(after_write)) == ("miss", ["Oak", "Pine"])
    assert (cache(again), again.content) == ("hit", after_write.content)


async def test_a_hit_runs_no_query_beyond_the_token_and_the_version(http, factory, cached_app):
    _, token = await factory.district()
    await post(http, CREATE, {"input": school_input(name="Oak")}, token=token)
    with count_statements(cached_app) as miss:
        await post(http, SCHOOLS, token=token)
    with count_statements(cached_app) as hit:
        response = await post(http, SCHOOLS, token=token)

    assert cache(response) == "hit"
    assert len(miss) > 2
    # the token lookup (which sets the tenant), then the data version: nothing else
    assert [("ppm_authenticate" in s, "district_data_versions" in s) for s in hit] == [
        (True, False),
        (False, True),
    ]


async def test_a_csv_import_is_seen_by_the_next_read(http, factory):
    _, token = await factory.district()
    before = [await post(http, COUNT, token=token) for _ in range(2)]

    imported = await http.post(
        "/api/v1/imports/oneroster-orgs",
        content=(ORGS + "s1,active,2026-08-01,Elm,school,480000100009,d1\n").encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    after = await post(http, COUNT, token=token)

    assert [cache(r) for r in before] == ["miss", "hit"]
    assert imported.status_code == 200, imported.text
    assert after.json() == {"data": {"schools": {"totalCount": 1}}}


async def test_a_worker_result_is_seen_by_the_next_read(http, factory, app_sessionmaker):
    # Given a dashboard that has read the scorecard before the worker computed its status
    district_id, token = await factory.district()
    measure_id = await create_measure(http_gql(http), token, code="ADA", level="DISTRICT")
    target = {"measureId": measure_id, "schoolYear": 2026, "value": 90, "redThreshold": 80}
    await post(http, SET_TARGET, {"input": target}, token=token)
    await record(http_gql(http), token, measure_id, monthly(None, 2025, 7, [91, 92, 93]))
    before = [await post(http, SCORECARD, {"year": 2026}, token=token) for _ in range(2)]

    # When the worker's job refreshes the status
    await run_job(
        sessionmaker=app_sessionmaker,
        district_id=district_id,
        actor_name=refresh_measure_status_job.name,
        message_id="test",
        body=refresh_measure_status_job.handler,
    )
    after = await post(http, SCORECARD, {"year": 2026}, token=token)

    # Then the next read shows it
    assert [cache(r) for r in before] == ["miss", "hit"]
    assert [r["status"] for r in before[1].json()["data"]["scorecard"]["rows"]] == ["NO_DATA"]
    assert cache(after) == "miss"
    assert after.json()["data"]["scorecard"]["rows"] == [
        {"measure": {"code": "ADA"}, "latestValue": 93.0, "status": "GREEN"}
    ]


def http_gql(http: httpx.AsyncClient) -> Any:
    """The support helpers' client shape (a callable returning the JSON body)."""

    async def gql(query: str, variables: dict[str, Any] | None = None, *, token: str) -> Any:
        return (await post(http, query, variables, token=token)).json()

    return gql


async def test_racing_readers_never_see_less_than_what_was_committed_before_they_asked(
    http, factory
):
    _, token = await factory.district()
    committed = 0  # schools whose createSchool has answered
    writes_done = asyncio.Event()
    stale: list[tuple[int, int]] = []

    async def writer() -> None:
        nonlocal committed
        for n in range(15):
            ncesId = f"48000010{n:04d}"
            result = await post(http, CREATE, {"input": school_input(ncesId=ncesId)}, token=token)
            assert "errors" not in result.json()
            committed = n + 1
        writes_done.set()

    async def reader() -> int:
        seen, reads = 0, 0
        while True:
            # The last read is one asked after every write was answered: a read asked before
            # the last write's answer may rightly answer 14 after it.
            last = writes_done.is_set() and reads >= 2
            floor = max(committed, seen)
            count = (await post(http, COUNT, token=token)).json()["data"]["schools"]["totalCount"]
            if count < floor:
                stale.append((count, floor))
            seen, reads = max(seen, count), reads + 1
            if last:
                return seen

    _, *last = await asyncio.gather(writer(), *(reader() for _ in range(4)))

    assert stale == []
    assert last == [15] * 4


async def test_roles_and_school_scopes_never_share_an_answer(http, factory):
    district_id, admin = await factory.district()
    oak = await create_school(http_gql(http), admin, "Oak", nces_id="480000100001")
    pine = await create_school(http_gql(http), admin, "Pine", nces_id="480000100002")
    viewer = await factory.token(district_id, Role.VIEWER)
    oak_leader = await factory.token(district_id, Role.SCHOOL_LEADER, school_ids=[uuid.UUID(oak)])
    oak_leader_too = await factory.token(
        district_id, Role.SCHOOL_LEADER, school_ids=[uuid.UUID(oak)]
    )
    pine_leader = await factory.token(district_id, Role.SCHOOL_LEADER, school_ids=[uuid.UUID(pine)])

    order = [admin, admin, viewer, oak_leader, pine_leader, oak_leader_too, viewer]
    answers = [await post(http, SCHOOLS, token=token) for token in order]

    assert [cache(r) for r in answers] == ["miss", "hit", "miss", "miss", "miss", "hit", "hit"]
    # An answer only an admin may have is never handed to another role.
    tokens_list = "{ apiTokens { totalCount } }"
    by_admin = [await post(http, tokens_list, token=admin) for _ in range(2)]
    by_viewer = await post(http, tokens_list, token=viewer)
    assert [cache(r) for r in by_admin] == ["miss", "hit"]
    assert by_viewer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_answer_about_the_caller_is_kept_per_token(http, factory):
    district_id, _ = await factory.district()
    _, ana = await add_member(factory, district_id, "ana.cache@example.org", name="Ana")
    _, ben = await add_member(factory, district_id, "ben.cache@example.org", name="Ben")

    answers = [
        await post(http, MY_RESPONSIBILITIES, {"asOf": "2026-03-02"}, token=token)
        for token in (ana, ana, ben)
    ]

    assert [cache(r) for r in answers] == ["miss", "hit", "miss"]
    assert answers[0].json() != answers[2].json()


async def test_the_job_queue_errors_and_odd_requests_are_never_stored(http, factory):
    _, token = await factory.district()
    jobs = [await post(http, "{ jobs { pending { id } } }", token=token) for _ in range(2)]
    failing = [await post(http, '{ school(id: "nope") { name } }', token=token) for _ in range(2)]
    oversized = await post(http, COUNT, {"unused": "x" * 70_000}, token=token)
    garbled = await http.post(
        "/graphql",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    assert [cache(r) for r in jobs] == [None, None]
    assert [cache(r) for r in failing] == ["miss", "miss"]
    assert "errors" in failing[1].json()
    assert cache(oversized) is None and "errors" not in oversized.json()
    assert garbled.status_code == 400 and cache(garbled) is None


async def test_with_redis_down_every_read_is_answered_from_the_database(settings, factory):
    _, token = await factory.district()
    async with serving(with_cache(settings)) as app, client_of(app) as http:
        warm = [await post(http, COUNT, token=token) for _ in range(2)]
        redis_server.stop()
        try:
            await post(http, CREATE, {"input": school_input()}, token=token)
            during = [await post(http, COUNT, token=token) for _ in range(2)]
        finally:
            redis_server.start()

    assert [cache(r) for r in warm] == ["miss", "hit"]
    assert [(cache(r), r.json()["data"]["schools"]["totalCount"]) for r in during] == [
        (None, 1),
        (None, 1),
    ]


async def test_the_cache_is_off_in_the_suites_default_app(gql, client, factory):
    _, token = await factory.district()
    responses = [
        await client.post(
            "/graphql", json={"query": COUNT}, headers={"Authorization": f"Bearer {token}"}
        )
        for _ in range(2)
    ]

    assert [r.headers.get("x-cache") for r in responses] == [None, None]


# What a key is made of, without a database.

PRINCIPAL = Principal(
    district_id=uuid.uuid4(), role=Role.VIEWER, token_id=uuid.uuid4(), actor="viewer"
)
VERSION = DataVersion(7, date(2026, 3, 2))


def key(**changes: Any) -> str:
    fields: dict[str, Any] = {
        "prefix": "ns:responses",
        "principal": PRINCIPAL,
        "version": VERSION,
        "document": CacheableQuery(per_token=False),
        "query": COUNT,
        "operation_name": None,
        "variables": {"a": 1, "b": [1, 2]},
        **changes,
    }
    return response_key(**fields)


def test_a_key_changes_with_everything_the_answer_depends_on():
    other_token = Principal(
        district_id=PRINCIPAL.district_id, role=Role.VIEWER, token_id=uuid.uuid4(), actor="x"
    )
    variants = [
        key(version=DataVersion(8, VERSION.district_today)),
        key(version=DataVersion(7, date(2026, 3, 3))),
        key(
            principal=Principal(PRINCIPAL.district_id, Role.DISTRICT_ADMIN, PRINCIPAL.token_id, "a")
        ),
        key(principal=Principal(uuid.uuid4(), Role.VIEWER, PRINCIPAL.token_id, "a")),
        key(operation_name="Count"),
        key(query=COUNT + " "),
        key(variables={"a": 2, "b": [1, 2]}),
        key(document=CacheableQuery(per_token=True)),
    ]

    assert len({key(), *variants}) == len(variants) + 1
    assert key(variables={"b": [1, 2], "a": 1}) == key(), "variables in any key order"
    assert key(principal=other_token) == key(), "shared by the tokens of one role and scope"
    assert key(principal=other_token, document=CacheableQuery(per_token=True)) != key(
        document=CacheableQuery(per_token=True)
    )


@pytest.mark.parametrize(
    ("query", "operation_name", "expected"),
    [
        (COUNT, None, CacheableQuery(per_token=False)),
        (SCHOOLS, "Schools", CacheableQuery(per_token=False)),
        (SCHOOLS, "Other", None),
        (f"{SCHOOLS} query Two {{ me {{ role }} }}", None, None),
        (f"{SCHOOLS} query Two {{ me {{ role }} }}", "Two", CacheableQuery(per_token=False)),
        ("mutation { revokeApiToken(id: 1) { apiToken { id } } }", None, None),
        ("{ ...F } fragment F on Query { ... on Query { jobs { pending { id } } } }", None, None),
        (
            "{ ...F } fragment F on Query { myResponsibilities { email } }",
            None,
            CacheableQuery(True),
        ),
        ("{ schools(", None, None),
    ],
)
def test_which_documents_may_be_answered_from_the_cache(query, operation_name, expected):
    assert cacheable_query(query, operation_name, max_tokens=5000) == expected
