"""GraphiQL served from the service's own files, never from a CDN.

Districts run the service behind firewalls: a page that loads React and GraphiQL from the
internet stays blank there. The vendored assets (versions and licences in
``static/graphiql/README.md``) and our page are served only while ``settings.graphql_ide`` is on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.response import Response
from litestar.static_files import create_static_files_router
from strawberry.litestar.controller import GraphQLController

from district_ppm.config import Settings

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"
PAGE = STATIC_DIR / "explorer" / "index.html"

# The page holds a bearer token: only this origin's scripts run, and it only talks to itself.
# GraphiQL sets inline styles, and its stylesheet inlines its fonts as data: URLs.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@cache
def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def with_own_explorer(controller: type[GraphQLController]) -> type[GraphQLController]:
    """The GraphQL controller, answering a browser's GET /graphql with our own page."""

    class OwnExplorerController(controller):  # type: ignore[valid-type,misc]
        async def render_graphql_ide(self, request: Request[Any, Any, Any]) -> Response[str]:
            return Response(_page(), media_type=MediaType.HTML, headers=PAGE_HEADERS)

    return OwnExplorerController


def explorer_routes(settings: Settings) -> list[Router]:
    """The page's scripts and styles, when the IDE is on; nothing at all when it is off."""
    if not settings.graphql_ide:
        return []
    return [
        create_static_files_router(
            path=STATIC_PATH,
            directories=[STATIC_DIR],
            name="explorer-assets",
            cache_control=CacheControlHeader(max_age=3600),
        )
    ]
