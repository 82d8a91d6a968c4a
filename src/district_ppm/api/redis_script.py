"""One Redis Lua script called over one pipelined connection: the rate limiter's charge.

Every GraphQL request charges its budget, so the charge is on the path of the cheapest
request. Through redis-py it cost about three times what the round trip itself costs (a
connection pool checkout, a task per send for its timeout, retry and observability layers);
here a call is one write of a prepared command and a future that the connection resolves
with the reply. Replies come back in the order the commands were sent, so concurrent calls
share the connection without waiting for each other.

Only what the script needs is spoken: AUTH and SELECT from the URL (``redis://``,
``rediss://``, ``unix://``, as redis-py parses them), EVALSHA, and EVAL when the server does
not know the script (a restarted or flushed Redis), which also caches it again. Replies are
integers, simple strings or errors; anything else is a protocol error. Every failure is a
redis-py exception (``RedisError``) or an ``OSError``, and closes the connection: the next
call connects again. A connection found closed is retried once at once (Redis restarted
while the connection was idle), as the limiter's redis-py client did.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections import deque
from typing import Any

from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url
from redis.exceptions import ConnectionError, NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

_CRLF = b"\r\n"


def command(*parts: bytes | str | int) -> bytes:
    """``parts`` as one RESP command."""
    encoded = [p if isinstance(p, bytes) else str(p).encode() for p in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded)


class _Replies(asyncio.Protocol):
    """Resolves the oldest waiting future with each reply, in order."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.buffer = b""
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        start = 0
        while (end := buffer.find(_CRLF, start)) >= 0:
            line = buffer[start:end]
            start = end + 2
            reply: int | bytes | Exception
            kind = line[:1]
            if kind == b":":
                reply = int(line[1:])
            elif kind == b"+":
                reply = line[1:]
            elif kind == b"-":
                message = line[1:].decode(errors="replace")
                reply = (
                    NoScriptError(message)
                    if message.startswith("NOSCRIPT")
                    else ResponseError(message)
                )
            else:
                self._fail(ConnectionError(f"unexpected Redis reply {line[:40]!r}"))
                return
            if not self.waiting:
                self._fail(ConnectionError("a Redis reply nobody asked for"))
                return
            future = self.waiting.popleft()
            if not future.done():  # a caller that timed out left its future cancelled
                if isinstance(reply, Exception):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
        self.buffer = buffer[start:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = ConnectionError(f"Redis connection lost: {exc or 'closed by the server'}")
        self._fail(self.lost)

    def _fail(self, error: Exception) -> None:
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.close()


class ScriptClient:
    """Calls one Lua script by its SHA1 over one connection, opened on first use."""

    def __init__(self, url: str, script: str, *, timeout: float) -> None:
        self._options: dict[str, Any] = parse_url(url)
        connection_class = self._options.get("connection_class")
        if connection_class not in (None, SSLConnection, UnixDomainSocketConnection):
            raise ValueError(f"unsupported Redis URL scheme: {url.split(':', 1)[0]}")
        self._script = script.encode()
        # The name Redis gives the script (EVALSHA), not a security hash.
        self._sha = hashlib.sha1(self._script, usedforsecurity=False).hexdigest().encode()
        self._timeout = timeout
        self._replies: _Replies | None = None
        self._connecting = asyncio.Lock()

    async def call(self, keys: list[str], args: list[int]) -> Any:
        """The script's reply for ``keys`` and ``args``."""
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    return await self._evaluate(keys, args)
                except (ConnectionError, OSError):
                    # A connection found dead (Redis restarted while it sat idle): once more
                    # on a new one, within the same time limit.
                    self._close()
                    return await self._evaluate(keys, args)
        except TimeoutError:
            self._close()
            raise RedisTimeoutError(f"no answer from Redis within {self._timeout} s") from None
        except (RedisError, OSError):
            self._close()
            raise

    async def aclose(self) -> None:
        self._close()

    async def _evaluate(self, keys: list[str], args: list[int]) -> Any:
        replies = await self._connection()
        try:
            return await self._send(
                replies, command(b"EVALSHA", self._sha, len(keys), *keys, *args)
            )
        except NoScriptError:
            return await self._send(
                replies, command(b"EVAL", self._script, len(keys), *keys, *args)
            )

    async def _connection(self) -> _Replies:
        replies = self._replies
        if replies is not None and replies.lost is None:
            return replies
        async with self._connecting:
            if self._replies is None or self._replies.lost is not None:
                self._replies = await self._connect()
            return self._replies

    async def _connect(self) -> _Replies:
        loop = asyncio.get_running_loop()
        options = self._options
        if "path" in options:
            _, replies = await loop.create_unix_connection(_Replies, options["path"])
        else:
            tls = ssl.create_default_context() if options.get("connection_class") else None
            _, replies = await loop.create_connection(
                _Replies, options.get("host", "localhost"), options.get("port", 6379), ssl=tls
            )
        try:
            if options.get("password") is not None:
                credentials = [options.get("username") or "default", options["password"]]
                await self._send(replies, command(b"AUTH", *credentials))
            if options.get("db"):
                await self._send(replies, command(b"SELECT", options["db"]))
        except BaseException:
            replies._fail(ConnectionError("Redis handshake failed"))
            raise
        return replies

    @staticmethod
    def _send(replies: _Replies, payload: bytes) -> asyncio.Future[Any]:
        if replies.lost is not None or replies.transport is None:
            raise replies.lost or ConnectionError("Redis connection not open")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        replies.waiting.append(future)
        replies.transport.write(payload)
        return future

    def _close(self) -> None:
        replies, self._replies = self._replies, None
        if replies is not None and replies.transport is not None:
            replies.transport.close()
