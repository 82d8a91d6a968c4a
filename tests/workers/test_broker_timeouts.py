"""A Redis that stops answering fails a publish within seconds instead of hanging it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import dramatiq
import pytest
import redis.exceptions

from workers.broker import CONNECT_TIMEOUT_SECONDS, SOCKET_TIMEOUT_SECONDS, make_broker


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A TCP server that accepts connections and never says a word (a partitioned Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_the_running_broker_has_socket_timeouts(broker):
    options = broker.client.connection_pool.connection_kwargs
    assert (options["socket_timeout"], options["socket_connect_timeout"]) == (
        SOCKET_TIMEOUT_SECONDS,
        CONNECT_TIMEOUT_SECONDS,
    )


def test_a_publish_to_a_silent_redis_fails_within_the_timeout(settings, silent_redis):
    # Given a broker whose Redis accepts the connection and then never answers
    silent = make_broker(settings.model_copy(update={"redis_url": silent_redis}))
    silent.declare_queue("default")
    message = dramatiq.Message(
        queue_name="default", actor_name="nobody", args=(), kwargs={}, options={}
    )

    # When the relay publishes to it, then the publish fails (and the relay's transaction,
    # with its outbox row locks, ends) instead of hanging
    started = time.monotonic()
    with pytest.raises(redis.exceptions.TimeoutError):
        silent.enqueue(message)
    assert time.monotonic() - started < SOCKET_TIMEOUT_SECONDS + 5
