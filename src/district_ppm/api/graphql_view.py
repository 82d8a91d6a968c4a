"""The GraphQL controller's HTTP handlers, without Litestar's dependency injection.

Strawberry's Litestar controller gets its context, root value and sub-response as Litestar
dependencies: three independent ones, which Litestar resolves in an anyio task group, the
sub-response in a worker thread (a sync provider). For a small query that was about a tenth
of the request's CPU. The handlers here take the request alone and let Strawberry's view ask
for the three through its own hooks (``get_context``, ``get_root_value``,
``get_sub_response``), as its other integrations do; everything after that is Strawberry's.
The websocket handler keeps its dependencies (``app`` offers no subscription protocol).

The body of the common request, a POST of ``application/json`` holding one operation, is
read here with msgspec (``lean_request_data``); anything else, and any body msgspec does
not decode into one well-formed operation, is Strawberry's to parse and to refuse.
Strawberry's reading of the content type (through ``email.message``) and of the ``Accept``
header (a stream transport: none without subscription protocols) cost more than the rest
of a small body's parsing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from cross_web import AsyncHTTPRequestAdapter
from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTasks
from litestar.exceptions import NotFoundException, ValidationException
from litestar.status_codes import HTTP_200_OK
from strawberry.http import GraphQLRequestData
from strawberry.litestar import BaseContext
from strawberry.litestar.controller import GraphQLController
from strawberry.types.unset import UNSET

# The content types Strawberry reads as JSON, exactly as Litestar parses the header (its
# media type lowercased): Strawberry sees them through Litestar's parse too.
_JSON_TYPES: tuple[tuple[str, dict[str, str]], ...] = (
    ("application/json", {}),
    ("application/json", {"charset": "utf-8"}),
)
_decode = msgspec.json.decode


async def lean_request_data(request: Request[Any, Any, Any]) -> GraphQLRequestData | None:
    """The operation of a POST of one JSON operation, or None for Strawberry to read.

    None for any other method or content type, and for a body msgspec refuses (its errors
    differ from the standard library's, which also reads NaN, lone surrogates and other
    encodings) or that is not an object with a string query and object variables and
    extensions (a batch, a wrong type): Strawberry answers those as it always has.
    Whatever msgspec decodes, ``json.loads`` decodes to the same value.
    """
    if request.scope["method"] != "POST" or request.content_type not in _JSON_TYPES:
        return None
    body = await request.body()
    try:
        data = _decode(body)
    except Exception:  # noqa: BLE001 - Strawberry's reading reports it
        return None
    if type(data) is not dict:
        return None
    query = data.get("query")
    variables = data.get("variables")
    extensions = data.get("extensions")
    if (
        not (query is None or type(query) is str)
        or not (variables is None or type(variables) is dict)
        or not (extensions is None or type(extensions) is dict)
    ):
        return None
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=data.get("operationName"),
        extensions=extensions,
        protocol="http",
    )


def with_direct_handlers(
    controller: type[GraphQLController],
    context_getter: Callable[[Request[Any, Any, Any]], Awaitable[BaseContext]],
) -> type[GraphQLController]:
    """``controller`` whose GET and POST handlers build the context with ``context_getter``."""

    class DirectController(controller):  # type: ignore[valid-type,misc]
        # UNSET: Strawberry's view asks the hooks below for the context and the root value.
        @get(raises=[ValidationException, NotFoundException])
        async def handle_http_get(self, request: Request[Any, Any, Any]) -> Response[Any]:
            return await self.execute_request(request, context=UNSET, root_value=UNSET)

        @post(status_code=HTTP_200_OK)
        async def handle_http_post(self, request: Request[Any, Any, Any]) -> Response[Any]:
            return await self.execute_request(request, context=UNSET, root_value=UNSET)

        async def get_sub_response(self, request: Request[Any, Any, Any]) -> Response[Any]:
            # One per request (Strawberry's keeps the last one on the shared controller).
            return Response({}, background=BackgroundTasks([]))

        async def get_context(
            self, request: Request[Any, Any, Any], response: Response[Any]
        ) -> BaseContext:
            context = await context_getter(request)
            context.request = request
            context.response = response
            return context

        async def get_root_value(self, request: Request[Any, Any, Any]) -> None:
            return None

        async def parse_http_body(
            self, request: AsyncHTTPRequestAdapter
        ) -> GraphQLRequestData | list[GraphQLRequestData]:
            if not self._stream_transport_map:  # with a transport, Accept may pick it
                data = await lean_request_data(request.request)  # type: ignore[attr-defined]
                if data is not None:
                    return data
            return await super().parse_http_body(request)  # type: ignore[no-any-return]

    return DirectController
