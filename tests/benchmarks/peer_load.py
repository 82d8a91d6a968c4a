"""The load side of bench_peer.py: a cheap HTTP/1.1 keep-alive client and CPU accounting.

The client competes for the machine's two cores with the servers it measures, so it does as
little as it can per request: the request bytes are encoded once, a response is framed by its
Content-Length (chunked as a fallback) and checked with two byte searches, never parsed as
JSON. CPU is read from /proc (utime + stime), so what a server spent per request is the same
measure whatever it is written in.
"""

from __future__ import annotations

import asyncio
import math
import os
import time as clock
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HEAD_END = b"\r\n\r\n"
CACHE_HIT = b"\r\nx-cache: hit"


def encode_post(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One POST as it goes on the wire, keep-alive (HTTP/1.1's default)."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class ResponseError(Exception):
    """A response that is not a 200 without GraphQL errors (or no response at all)."""


async def _chunked_body(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readline()).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent by either server
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class Connection:
    """One keep-alive connection; ``exchange`` sends a request and reads its response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes, bytes]:
        """The status, the head in lower case and the body of the response to ``request``."""
        self.writer.write(request)
        head = await self.reader.readuntil(HEAD_END)
        status = int(head[9:12])
        lowered = head.lower()
        at = lowered.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lowered.index(b"\r\n", at + 2)
            body = await self.reader.readexactly(int(head[at + 17 : end]))
        elif b"\r\ntransfer-encoding: chunked" in lowered:
            body = await _chunked_body(self.reader)
        else:
            raise ResponseError(f"unframed response (no Content-Length): {head[:200]!r}")
        if b"\r\nconnection: close" in lowered:
            self.closed = True
        return status, lowered, body

    def close(self) -> None:
        self.writer.close()


def check(status: int, body: bytes) -> None:
    """Raise unless the response is a 200 whose body carries no GraphQL ``errors``."""
    if status != 200 or b'"errors"' in body:
        raise ResponseError(f"HTTP {status}: {body[:300].decode(errors='replace')}")


@dataclass
class RunResult:
    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_failure: str | None = None
    # Answers marked ``x-cache: hit`` (our API's response cache; the peer has none).
    cache_hits: int = 0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def fail(self, why: str) -> None:
        self.failures += 1
        if self.first_failure is None:
            self.first_failure = why


async def _client(
    host: str, port: int, request: bytes, deadline: float, result: RunResult, conn: Connection
) -> None:
    now = clock.perf_counter
    while now() < deadline:
        started = now()
        try:
            if conn.closed:
                conn = await Connection.open(host, port)
            status, head, body = await conn.exchange(request)
            check(status, body)
        except (
            ResponseError,
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ) as error:
            result.fail(str(error) or type(error).__name__)
            conn.close()
            conn.closed = True
            continue
        result.latencies.append(now() - started)
        result.requests += 1
        if CACHE_HIT in head:
            result.cache_hits += 1
    conn.close()


async def run_load(host: str, port: int, request: bytes, clients: int, seconds: float) -> RunResult:
    """``clients`` connections, each sending ``request`` back to back for ``seconds``.

    Connections are opened before the clock starts. A request in flight at the deadline is
    finished and counted, and the run lasts until the last one ends.
    """
    connections = [await Connection.open(host, port) for _ in range(clients)]
    result = RunResult()
    started = clock.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_client(host, port, request, deadline, result, conn) for conn in connections)
    )
    result.seconds = clock.perf_counter() - started
    return result


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of ``samples`` in milliseconds (NaN when there are none)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1] * 1000


# --- CPU from /proc ------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` (every thread), or None when it is gone or unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0]
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its live descendants (uvicorn's or node's worker processes)."""
    parents = _parents()
    tree, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        tree.extend(children)
        frontier = children
    return tree


def cpu_snapshot(pids: Iterable[int]) -> dict[int, float]:
    snapshot = {}
    for pid in pids:
        seconds = cpu_seconds(pid)
        if seconds is not None:
            snapshot[pid] = seconds
    return snapshot


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two snapshots; a process born in between counts in full.

    A process that ended in between is lost: the servers and their pooled PostgreSQL backends
    live for the whole run.
    """
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
