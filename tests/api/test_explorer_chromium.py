"""GraphiQL in headless Chromium against a live server, with every outside address blocked.

Districts run the service behind firewalls: the explorer must render and run a query from the
service's own files alone. The screenshot is kept in `.artifacts/explorer.png`.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

from playwright.async_api import Request, Route, async_playwright

from district_ppm.config import PROJECT_ROOT
from tests.support.live_server import serving

ARTIFACTS = PROJECT_ROOT / ".artifacts"
# Debian's chromium (installed by `make test`); Playwright never downloads a browser here.
CHROMIUM = (
    os.environ.get("DISTRICT_PPM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
# As root, and on a machine whose network is closed: no sandbox, no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_graphiql_renders_from_our_files_and_runs_a_query_with_the_demo_token(factory):
    assert os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM}: `make test` installs it"
    _, token = await factory.district(name="Explorer Test District")
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "explorer.png"
    screenshot.unlink(missing_ok=True)
    outside: list[str] = []
    problems: list[str] = []

    async def local_only(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname in {"127.0.0.1", None}:
            await route.continue_()
        else:
            outside.append(request.url)
            await route.abort()

    with serving() as base_url:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000
            )
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 800})
                page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
                page.on(
                    "console",
                    lambda message: (
                        problems.append(f"console: {message.text}")
                        if message.type == "error"
                        else None
                    ),
                )
                await page.route("**/*", local_only)

                # Given the address `make run` prints, token in the fragment
                await page.goto(f"{base_url}/graphql#token={token}")
                await page.locator(".graphiql-query-editor").wait_for(timeout=30_000)

                # When the first query runs
                await page.locator(".graphiql-execute-button").click()
                response = page.locator(".graphiql-response")
                await response.get_by_text("Explorer Test District").wait_for(timeout=30_000)
                await page.screenshot(path=str(screenshot))
                answer = await response.inner_text()
                address = page.url
            finally:
                await browser.close()

    # Then the demo token authenticated it, and it answered as that district's admin
    assert '"DISTRICT_ADMIN"' in answer and "errors" not in answer
    # and the token left the address bar (no bookmark or screen share keeps it)
    assert address == f"{base_url}/graphql"
    # and nothing was fetched from outside, nothing failed in the page
    assert outside == []
    assert problems == []
    assert screenshot.stat().st_size > 10_000


async def test_the_explorer_is_off_when_the_ide_is(settings):
    from district_ppm.app import create_app

    app = create_app(settings.model_copy(update={"graphql_ide": False}))
    paths = {route.path for route in app.routes}

    assert "/graphql" in paths
    assert not any(path.startswith("/static") for path in paths)
