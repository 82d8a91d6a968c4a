"""``LeanPrometheusMiddleware`` records what Litestar's ``PrometheusMiddleware`` records.

Two small apps, identical but for the middleware class (and the ``app_name`` label, which
keeps their series apart), take the same requests; every series but the durations' values
must come out the same. Their metrics have a prefix of their own, removed from the shared
registry afterwards, so that no other test's scrape sees these routes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar import Litestar, get
from litestar.exceptions import HTTPException
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from district_ppm.api.http_metrics import LeanPrometheusMiddleware


@get("/ok/{item:int}")
async def ok(item: int) -> dict[str, int]:
    return {"item": item}


@get("/teapot")
async def teapot() -> None:
    raise HTTPException(status_code=418)


@get("/broken")
async def broken() -> None:
    raise RuntimeError("a bug")


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"dppm_metrics_test_{uuid.uuid4().hex[:8]}"
    yield prefix
    for name in [n for n in PrometheusMiddleware._metrics if n.startswith(prefix)]:
        REGISTRY.unregister(PrometheusMiddleware._metrics.pop(name))


def app_with(middleware_class: type[PrometheusMiddleware], app_name: str, prefix: str) -> Litestar:
    config = PrometheusConfig(
        app_name=app_name, prefix=prefix, group_path=True, middleware_class=middleware_class
    )
    return Litestar(route_handlers=[ok, teapot, broken], middleware=[config.middleware])


def series(app_name: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample labelled ``app_name``, durations' sums left out (they are timings)."""
    found = {}
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            if sample.labels.get("app_name") != app_name or sample.name.endswith("_created"):
                continue
            if sample.name.endswith("_sum"):
                continue
            labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "app_name"))
            value = sample.value
            if sample.name.endswith("_bucket") and sample.labels.get("le") != "+Inf":
                value = -1.0  # which bucket a duration falls in is timing, not bookkeeping
            found[(sample.name, labels)] = value
    return found


async def test_the_lean_middleware_records_the_same_series_as_litestars(prefix):
    suffix = uuid.uuid4().hex[:8]
    names = {"original": f"original-{suffix}", "lean": f"lean-{suffix}"}
    classes = {"original": PrometheusMiddleware, "lean": LeanPrometheusMiddleware}
    for kind, name in names.items():
        async with AsyncTestClient(app_with(classes[kind], name, prefix)) as client:
            for path in ["/ok/1", "/ok/2", "/teapot", "/broken", "/nowhere", "/ok/3"]:
                await client.get(path)
            await client.post("/ok/4")  # 405: answered before any route middleware

    original, lean = series(names["original"]), series(names["lean"])
    assert original  # the apps did record
    assert lean == original
    totals = {
        dict(labels)["path"] + " " + dict(labels)["status_code"]: value
        for (name, labels), value in lean.items()
        if name.endswith("_requests_total")
    }
    assert totals == {"/ok/{item} 200": 3, "/teapot 418": 1, "/broken 500": 1}
    errors = [value for (name, _), value in lean.items() if name.endswith("_error_total")]
    assert errors == [1]
