"""Liveness and readiness: ready means PostgreSQL and Redis both answer."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text


class HealthController(Controller):
    path = "/health"

    @get("/live", sync_to_thread=False)
    def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready")
    async def ready(self, request: Request) -> Response[dict[str, str]]:
        checks: dict[str, str] = {}
        try:
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["postgres"] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            checks["postgres"] = f"error: {type(error).__name__}"
        try:
            await request.app.state.redis.ping()
            checks["redis"] = "ok"
        except Exception as error:  # noqa: BLE001
            checks["redis"] = f"error: {type(error).__name__}"
        healthy = all(value == "ok" for value in checks.values())
        return Response(
            {"status": "ok" if healthy else "unavailable", **checks},
            status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE,
        )
