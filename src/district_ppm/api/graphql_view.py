"""The GraphQL controller's HTTP handlers, without Litestar's dependency injection.

Strawberry's Litestar controller gets its context, root value and sub-response as Litestar
dependencies: three independent ones, which Litestar resolves in an anyio task group, the
sub-response in a worker thread (a sync provider). For a small query that was about a tenth
of the request's CPU. The handlers here take the request alone and let Strawberry's view ask
for the three through its own hooks (``get_context``, ``get_root_value``,
``get_sub_response``), as its other integrations do; everything after that is Strawberry's.
The websocket handler keeps its dependencies (``app`` offers no subscription protocol).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTasks
from litestar.exceptions import NotFoundException, ValidationException
from litestar.status_codes import HTTP_200_OK
from strawberry.litestar import BaseContext
from strawberry.litestar.controller import GraphQLController
from strawberry.types.unset import UNSET


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

    return DirectController
