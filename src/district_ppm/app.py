"""The one place that builds the Litestar app: GraphQL, health, bulk imports, metrics, logs."""

from __future__ import annotations

import datetime
import gc
import os
import time
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import structlog
from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.logging.config import StructLoggingConfig, default_structlog_processors
from litestar.middleware import AbstractMiddleware
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.types import Receive, Scope, Send
from redis.asyncio import Redis
from strawberry.litestar import make_graphql_controller
from strawberry.litestar.controller import GraphQLController

from district_ppm.api.context import (
    Context,
    close_request_transaction,
    request_principal,
    request_transaction,
)
from district_ppm.api.graphql_view import with_direct_handlers
from district_ppm.api.http_metrics import LeanPrometheusMiddleware
from district_ppm.api.rate_limit import RateLimiter
from district_ppm.api.request_limits import guarded_graphql
from district_ppm.api.schema import build_schema
from district_ppm.config import Settings, get_settings
from district_ppm.db.engine import create_app_engine, make_sessionmaker
from district_ppm.explorer import explorer_routes, with_own_explorer
from district_ppm.health import HealthController
from district_ppm.imports.routes import ImportController

REQUEST_ID_HEADER = "x-request-id"
access_log = structlog.get_logger("district_ppm.http")


def new_request_id() -> str:
    """What ``uuid.uuid4().hex`` gives (16 random bytes, version 4, RFC 4122 variant),
    without building a ``UUID`` on every request."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()


_stamped_second: list[Any] = [None, ""]  # the last second stamped, and its text


def iso_timestamp(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog's ``TimeStamper(fmt="iso")`` (UTC, microseconds unless zero, ``Z``), with
    the date and time of day formatted once a second instead of on every log line."""
    seconds, micros = divmod(time.time_ns() // 1000, 1_000_000)
    if _stamped_second[0] != seconds:
        moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        _stamped_second[:] = [seconds, moment.strftime("%Y-%m-%dT%H:%M:%S")]
    text = _stamped_second[1]
    event_dict["timestamp"] = f"{text}.{micros:06d}Z" if micros else f"{text}Z"
    return event_dict


def log_processors() -> list[Any]:
    """Litestar's JSON processors, the time stamped by ``iso_timestamp``: same lines."""
    return [
        iso_timestamp if _iso_utc_stamper(each) else each
        for each in default_structlog_processors(as_json=True)
    ]


def _iso_utc_stamper(processor: object) -> bool:
    return (
        isinstance(processor, structlog.processors.TimeStamper)
        and processor.fmt == "iso"
        and processor.utc
        and processor.key == "timestamp"
    )


class RequestIdMiddleware(AbstractMiddleware):
    """Takes the caller's X-Request-ID (or makes one), binds it to every log line, echoes it;
    ends the request's database transaction; logs one line per request (``http.request``:
    method, path, status, duration), paths only: bodies hold tenant data, headers tokens."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers = dict(scope.get("headers", []))
        supplied = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")[:64]
        request_id = supplied or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status: int | None = None

        async def send_with_id(message: dict) -> None:  # type: ignore[type-arg]
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append(
                    (REQUEST_ID_HEADER.encode(), request_id.encode())
                )
            await send(message)  # type: ignore[arg-type]

        try:
            await self.app(scope, receive, send_with_id)  # type: ignore[arg-type]
        finally:
            # The request's database transaction (opened by its token lookup) ends here,
            # however the request ended.
            await close_request_transaction(scope)
            if scope["type"] == "http":
                access_log.info(
                    "http.request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
            structlog.contextvars.unbind_contextvars("request_id")


def with_compact_json(controller: type[GraphQLController]) -> type[GraphQLController]:
    """The GraphQL controller, encoding answers with msgspec (Litestar's own encoder): the
    standard library's took a twentieth of a 200-row answer's time. Floats read the same."""

    class CompactJsonController(controller):  # type: ignore[valid-type,misc]
        def encode_json(self, data: object) -> bytes:
            return msgspec.json.encode(data)

    return CompactJsonController


YOUNG_COLLECTION_EVERY = 20_000  # new container objects between two young collections


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_app_engine(settings)
        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.redis = redis
        app.state.rate_limiter = RateLimiter.from_settings(settings)
        # What startup built (the schema, the ORM's mappers, every module) lives as long as
        # the process: moved out of the collector's sight, a full collection no longer walks
        # it (it took 50 ms of a heavy agenda request's 100, measured).
        gc.collect()
        gc.freeze()
        # A young collection every 700 new containers (CPython's default) ran several times
        # per 200-row answer and walked the other requests' answers in flight: 8.7% of the
        # comparison's CPU under load (perf); at 20,000, under 2%. Garbage without cycles is
        # freed by reference counting either way.
        gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            await app.state.rate_limiter.aclose()
            await redis.aclose()
            await engine.dispose()

    async def graphql_context(request: ASGIConnection) -> Context:
        state: State = request.app.state
        return Context(
            sessionmaker=state.sessionmaker,
            principal=await request_principal(request),
            transaction=request_transaction(request),
            request_id=request.scope.get("state", {}).get("request_id"),
            client_ip=request.client.host if request.client else None,
        )

    graphql = with_own_explorer(
        with_compact_json(
            with_direct_handlers(
                make_graphql_controller(
                    build_schema(settings),
                    path="/graphql",
                    graphql_ide="graphiql" if settings.graphql_ide else None,
                    context_getter=graphql_context,
                    # No subscriptions in the schema: no websocket either (one would hold its
                    # handshake's transaction and principal for as long as it stays open).
                    subscription_protocols=(),
                ),
                graphql_context,
            )
        )
    )
    logging = StructlogConfig(
        structlog_logging_config=StructLoggingConfig(
            processors=log_processors(),
            log_exceptions="always",
        ),
        # One line per request from RequestIdMiddleware instead of Litestar's two (a tenth
        # of a small request's CPU went to logging it twice).
        enable_middleware_logging=False,
    )
    return Litestar(
        route_handlers=[
            guarded_graphql(graphql, settings),
            HealthController,
            ImportController,
            PrometheusController,
            *explorer_routes(settings),
        ],
        lifespan=[lifespan],
        middleware=[
            RequestIdMiddleware,
            # Label by route template: a label per raw path lets anyone grow every scrape.
            PrometheusConfig(
                app_name="district_ppm",
                group_path=True,
                middleware_class=LeanPrometheusMiddleware,
            ).middleware,
        ],
        plugins=[StructlogPlugin(config=logging)],
        state=State({"settings": settings}),
        debug=False,
    )


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]
