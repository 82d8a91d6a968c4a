"""The rate limiter's Redis client (``api.redis_script``) against real redis-servers."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from district_ppm.api.redis_script import ScriptClient
from tests import redis_server

ECHO = "return tonumber(ARGV[1]) + #KEYS"
WRITE = "redis.call('SET', KEYS[1], ARGV[1]) return 1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def password_redis() -> Iterator[str]:
    """A redis-server of its own that wants a password: its URL, with the password."""
    port = free_port()
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--requirepass",
            "s3cret",
            "--dir",
            tempfile.mkdtemp(prefix="dppm-redis-auth-"),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://:s3cret@127.0.0.1:{port}/3"
    finally:
        process.terminate()
        process.wait()


async def test_concurrent_calls_each_get_their_own_reply():
    client = ScriptClient(redis_server.URL, ECHO, timeout=1.0)
    try:
        replies = await asyncio.gather(*(client.call(["k"], [n]) for n in range(200)))
    finally:
        await client.aclose()

    assert replies == [n + 1 for n in range(200)]


async def test_a_flushed_script_cache_is_filled_again():
    client = ScriptClient(redis_server.URL, ECHO, timeout=1.0)
    admin = Redis.from_url(redis_server.URL)
    try:
        assert await client.call([], [1]) == 1
        await admin.script_flush()
        assert await client.call([], [2]) == 2
        assert await client.call([], [3]) == 3
    finally:
        await client.aclose()
        await admin.aclose()


async def test_a_connection_killed_while_idle_is_replaced_without_an_error():
    client = ScriptClient(redis_server.URL, ECHO, timeout=1.0)
    admin = Redis.from_url(redis_server.URL)
    try:
        assert await client.call([], [1]) == 1
        await admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        await asyncio.sleep(0.05)
        assert await client.call([], [2]) == 2
    finally:
        await client.aclose()
        await admin.aclose()


async def test_while_redis_is_down_a_call_fails_fast_and_works_once_it_is_back():
    client = ScriptClient(redis_server.URL, ECHO, timeout=1.0)
    try:
        assert await client.call([], [1]) == 1
        redis_server.stop()
        try:
            started = time.monotonic()
            with pytest.raises((RedisError, OSError)):
                await client.call([], [2])
            assert time.monotonic() - started < 1.0
        finally:
            redis_server.start()
        assert await client.call([], [3]) == 3
    finally:
        await client.aclose()


async def test_a_script_error_is_raised_and_the_next_call_works():
    client = ScriptClient(redis_server.URL, "return redis.error_reply(ARGV[1])", timeout=1.0)
    try:
        with pytest.raises(ResponseError, match="no good"):
            await client.call([], ["no good"])  # type: ignore[list-item]
        with pytest.raises(ResponseError, match="again"):
            await client.call([], ["again"])  # type: ignore[list-item]
    finally:
        await client.aclose()


async def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        client = ScriptClient(f"redis://127.0.0.1:{port}/0", ECHO, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            await client.call([], [1])
        assert time.monotonic() - started < 1.0
        await client.aclose()


async def test_password_and_database_come_from_the_url(password_redis):
    client = ScriptClient(password_redis, WRITE, timeout=1.0)
    check = Redis.from_url(password_redis)
    try:
        assert await client.call(["dppm-auth-test"], [7]) == 1
        assert await check.get("dppm-auth-test") == b"7"  # in database 3
    finally:
        await client.aclose()
        await check.aclose()

    wrong = ScriptClient(password_redis.replace("s3cret", "wrong"), WRITE, timeout=1.0)
    with pytest.raises(ResponseError):
        await wrong.call(["k"], [1])
    await wrong.aclose()
