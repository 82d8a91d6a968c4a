"""The HTTP answers of the request limits: spent budgets and oversized GraphQL bodies.

GraphQL answers a spent budget the GraphQL way (HTTP 200, an error with
``extensions.code = LIMIT_EXCEEDED`` and ``extensions.retryAfter``); REST imports answer 429
with the import contract's JSON. Both carry a ``Retry-After`` header, and both are decided
before the body is read, so a refused request costs no parsing.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router
from litestar.middleware import DefineMiddleware
from litestar.response import Response
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_429_TOO_MANY_REQUESTS,
)
from litestar.types import BeforeRequestHookHandler, ControllerRouterHandler, Middleware

from district_ppm.api.context import request_principal
from district_ppm.api.rate_limit import RateLimiter, Refusal
from district_ppm.api.response_cache import ResponseCache, StoreAnswers
from district_ppm.config import Settings
from district_ppm.tenancy.principal import Principal

_CALLERS = {
    "requests": "this token",
    "imports": "imports with this token",
    "anonymous": "this address without a valid token",
}


def _message(refusal: Refusal) -> str:
    caller = _CALLERS[refusal.budget]
    return f"too many requests from {caller}; retry in {refusal.retry_after} s"


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


async def refuse_graphql_over_budget(request: Request) -> Response[dict[str, Any]] | None:
    """The GraphQL route's before-request hook: None lets the request through."""
    refusal = await _limiter(request).admit(
        principal=await request_principal(request), client_ip=_client_ip(request)
    )
    if refusal is None:
        return None
    error = {
        "message": _message(refusal),
        "extensions": {"code": "LIMIT_EXCEEDED", "retryAfter": refusal.retry_after},
    }
    return Response(
        {"data": None, "errors": [error]},
        status_code=HTTP_200_OK,
        headers={"Retry-After": str(refusal.retry_after)},
    )


async def refuse_import_over_budget(
    request: Request, principal: Principal | None
) -> Response[dict[str, Any]] | None:
    """For the import route, once it knows its caller: None lets the import through."""
    refusal = await _limiter(request).admit(
        principal=principal, client_ip=_client_ip(request), is_import=True
    )
    if refusal is None:
        return None
    return Response(
        {
            "written": 0,
            "code": "LIMIT_EXCEEDED",
            "message": _message(refusal),
            "retryAfter": refusal.retry_after,
        },
        status_code=HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(refusal.retry_after)},
    )


def _graphql_body_too_large(request: Request, _: Exception) -> Response[dict[str, Any]]:
    limit = request.route_handler.resolve_request_max_body_size()
    error = {
        "message": f"request body over {limit} bytes",
        "extensions": {"code": "LIMIT_EXCEEDED", "maxBytes": limit},
    }
    return Response(
        {"data": None, "errors": [error]}, status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE
    )


def guarded_graphql(controller: ControllerRouterHandler, settings: Settings) -> Router:
    """The GraphQL controller behind its request budget and body size limit, and, unless
    turned off, its response cache (asked once the request is admitted)."""
    before_request: BeforeRequestHookHandler = refuse_graphql_over_budget
    middleware: list[Middleware] = []
    if settings.response_cache:
        cache = ResponseCache(settings)

        async def refuse_or_answer_from_cache(request: Request) -> Response[Any] | None:
            refusal = await refuse_graphql_over_budget(request)
            return refusal if refusal is not None else await cache.answer(request)

        before_request = refuse_or_answer_from_cache
        middleware.append(DefineMiddleware(StoreAnswers, cache=cache))
    return Router(
        path="/",
        route_handlers=[controller],
        before_request=before_request,
        middleware=middleware,
        request_max_body_size=settings.graphql_max_body_bytes,
        exception_handlers={HTTP_413_REQUEST_ENTITY_TOO_LARGE: _graphql_body_too_large},
    )
