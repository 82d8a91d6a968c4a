"""/graphql over GET and POST with the handlers of ``api.graphql_view`` (no Litestar DI):
the context is the caller's, queries run over GET, mutations only over POST, and a browser
gets the explorer page."""

from __future__ import annotations

import asyncio

from tests.support.schools import CREATE, school_input

ME = "{ me { role district { id } } }"


async def test_a_get_query_runs_as_its_caller(client, factory):
    district_id, token = await factory.district()

    answer = await client.get(
        "/graphql", params={"query": ME}, headers={"Authorization": f"Bearer {token}"}
    )

    assert answer.status_code == 200
    assert answer.json() == {
        "data": {"me": {"role": "DISTRICT_ADMIN", "district": {"id": str(district_id)}}}
    }


async def test_a_mutation_is_refused_over_get(client, factory):
    _, token = await factory.district()

    answer = await client.get(
        "/graphql",
        params={"query": CREATE, "variables": '{"input": {}}'},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 400
    assert "mutations are not allowed when using GET" in answer.text


async def test_a_browser_gets_the_explorer_page(client):
    answer = await client.get("/graphql", headers={"Accept": "text/html"})

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in answer.headers


async def test_concurrent_requests_each_answer_as_their_own_caller(gql, factory):
    callers = [await factory.district() for _ in range(4)]
    await gql(CREATE, {"input": school_input()}, token=callers[0][1])

    answers = await asyncio.gather(
        *(
            gql("{ me { district { id } } schools(first: 5) { totalCount } }", token=token)
            for _, token in callers
        )
    )

    assert [a["data"]["me"]["district"]["id"] for a in answers] == [
        str(district_id) for district_id, _ in callers
    ]
    assert [a["data"]["schools"]["totalCount"] for a in answers] == [1, 0, 0, 0]
