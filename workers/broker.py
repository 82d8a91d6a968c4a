"""The Dramatiq broker, configured from settings at import (actors bind to it when declared)."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware.asyncio import AsyncIO

from district_ppm.config import get_settings

settings = get_settings()
broker = RedisBroker(
    url=settings.redis_url,
    namespace=settings.queue_namespace,
    heartbeat_timeout=settings.worker_heartbeat_ms,
)
broker.add_middleware(AsyncIO())
dramatiq.set_broker(broker)
