"""The Dramatiq broker, configured from settings at import (actors bind to it when declared)."""

from __future__ import annotations

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware.asyncio import AsyncIO

from district_ppm.config import Settings, get_settings

# Without socket timeouts a Redis that stops answering (a network partition, not a refused
# connection) blocks a publish forever. The relay publishes while it holds the claimed outbox
# rows locked, and every writer that queues the same job waits on those locks at its commit:
# one silent Redis would stall the API's writes. Dramatiq's Redis consumer polls with short,
# non-blocking commands, so a few seconds is ample for any single call.
CONNECT_TIMEOUT_SECONDS = 5
SOCKET_TIMEOUT_SECONDS = 10


def make_broker(settings: Settings) -> RedisBroker:
    pool = redis.ConnectionPool.from_url(
        settings.redis_url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
    )
    made = RedisBroker(
        connection_pool=pool,
        namespace=settings.queue_namespace,
        heartbeat_timeout=settings.worker_heartbeat_ms,
    )
    made.add_middleware(AsyncIO())
    return made


broker = make_broker(get_settings())
dramatiq.set_broker(broker)
