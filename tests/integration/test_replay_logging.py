"""A query whose connection is dropped on both attempts: the final failure is an internal error
and must be logged as one (it is not replayed again)."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from tests.integration.test_dropped_connections import BACKEND, terminate


async def test_a_query_dropped_again_on_its_replay_is_logged_as_an_internal_error(
    gql, factory, admin_sessionmaker, monkeypatch
):
    from district_ppm.schools import service as schools

    _, token = await factory.district()
    list_schools = schools.list_schools
    dropped: list[int] = []

    async def always_dropped(*, session: Any, **kwargs: Any) -> Any:
        dropped.append(await session.scalar(BACKEND))
        await terminate(admin_sessionmaker, dropped[-1])
        return await list_schools(session=session, **kwargs)

    monkeypatch.setattr(schools, "list_schools", always_dropped)
    with capture_logs() as logs:
        result = await gql("{ schools(first: 5) { totalCount } }", token=token)

    assert len(dropped) == 2, "run once, replayed once"
    assert result["errors"][0]["extensions"]["code"] == "INTERNAL"
    events = [(entry["log_level"], entry["event"]) for entry in logs]
    assert ("error", "graphql.internal_error") in events, events
