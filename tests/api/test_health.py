"""Liveness and readiness probes, including readiness while Redis is down."""

from __future__ import annotations

import district_ppm.app as app_module
from tests import redis_server


async def test_live_and_ready_when_everything_answers(client):
    live = await client.get("/health/live")
    ready = await client.get("/health/ready")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "postgres": "ok", "redis": "ok"},
    )


async def test_not_ready_while_redis_is_down(client):
    redis_server.stop()
    try:
        ready = await client.get("/health/ready")
    finally:
        redis_server.start()

    assert ready.status_code == 503
    assert ready.json()["postgres"] == "ok" and ready.json()["redis"].startswith("error")


async def test_every_response_carries_a_request_id(client):
    chosen = await client.get("/health/live", headers={"X-Request-ID": "abc123"})
    generated = await client.get("/health/live")

    assert chosen.headers["x-request-id"] == "abc123"
    assert len(generated.headers["x-request-id"]) == 32


class Recorded:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, object]]] = []

    def info(self, event: str, **fields: object) -> None:
        self.lines.append((event, fields))


async def test_each_request_is_logged_once_with_its_status_and_duration(client, monkeypatch):
    # The app's logger is swapped for a recorder: structlog caches its loggers on first use,
    # so capturing through structlog's configuration depends on which test ran first.
    recorded = Recorded()
    monkeypatch.setattr(app_module, "access_log", recorded)

    await client.get("/health/live", headers={"X-Request-ID": "log-me"})
    await client.post("/graphql", json={"query": "{ __typename }"})

    assert [(event, f["method"], f["path"], f["status"]) for event, f in recorded.lines] == [
        ("http.request", "GET", "/health/live", 200),
        ("http.request", "POST", "/graphql", 200),
    ]
    assert all(isinstance(f["duration_ms"], float) for _, f in recorded.lines)


async def test_prometheus_metrics_are_exposed(client):
    await client.get("/health/live")

    metrics = await client.get("/metrics")

    assert metrics.status_code == 200
    assert "litestar_requests_total" in metrics.text
