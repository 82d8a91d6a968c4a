"""Answers to repeated GraphQL reads, kept in Redis under the district's data version.

Dashboards poll the same scorecards and lists all day; between two writes of a district the
answer to the same query from the same role is the same bytes. An entry's key holds the
running code's version (``release``: a deploy starts afresh) and the district, and a hash of:
the district's data version (``db.data_version``: every committed write moves it) and
today's date there (answers that default to today change at midnight), the role and school
scope (and the token, for the few documents that depend on it: ``api.cacheable``), the
operation name, the query text and the variables in canonical JSON. The value is the response
body, byte for byte. Entries expire after ``response_cache_ttl_seconds``, which bounds the
memory; a write never waits for that: it moves the version, and no later read asks for an
entry of the old one.

Never stale, because the version is read before the data: it is read in the request's
transaction before any resolver runs (READ COMMITTED gives each later statement a snapshot at
least as new), and a writer moves it in the same commit as its data. So an answer stored
under version v was computed from data at least as new as v: it may already hold a write
that moved the version past v (whose readers then ask for the newer key), but never lacks
one that v counts. Reading the version after the data would allow the opposite, an old answer
under a new version, served until it expires.

Redis is shared by every API process. If it fails, requests are answered from the database
(fail open), and Redis is left alone for a few seconds so that a hanging Redis does not slow
every request. Answers with errors, non-query operations and bodies other than one JSON
document per POST are never stored. ``x-cache: hit`` or ``miss`` says what happened.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Any

import structlog
from litestar import Request
from litestar.enums import MediaType
from litestar.response import Response
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from district_ppm.api.cacheable import CacheableQuery, cacheable_query
from district_ppm.api.context import request_principal, request_transaction
from district_ppm.config import Settings
from district_ppm.db.data_version import DataVersion, read_data_version
from district_ppm.release import code_version
from district_ppm.tenancy.principal import Principal

log = structlog.get_logger(__name__)

CACHE_HEADER = "x-cache"
LOOKUPS = Counter(
    "district_ppm_response_cache_lookups",
    "GraphQL reads looked up in the response cache",
    ["result"],  # hit | miss | unavailable (Redis failed: answered from the database)
)
# A healthy Redis answers in well under a millisecond; past this the request goes on without.
REDIS_TIMEOUT_SECONDS = 1.0
OUTAGE_BACKOFF_SECONDS = 5.0
# Larger answers (a whole district's lists) are recomputed rather than kept.
MAX_STORED_BYTES = 1024 * 1024
# A dashboard's read is a few KB; a larger body (a batch of values to record) is not looked up.
MAX_REQUEST_BYTES = 64 * 1024
_PENDING = "response_cache_key"  # scope state: the key a miss's answer is stored under


def response_key(
    *,
    prefix: str,
    principal: Principal,
    version: DataVersion,
    document: CacheableQuery,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any],
) -> str:
    identity = [
        version.number,
        version.district_today.isoformat(),
        principal.role.value,
        sorted(str(school_id) for school_id in principal.school_ids),
        str(principal.token_id) if document.per_token else None,
        operation_name,
        query,
        variables,
    ]
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{prefix}:{principal.district_id}:{digest}"


class ResponseCache:
    def __init__(self, settings: Settings, *, outage_backoff: float = OUTAGE_BACKOFF_SECONDS):
        # The running code's version too: a deploy never serves what the old code answered.
        self.prefix = f"{settings.queue_namespace}:responses:{code_version()}"
        self.ttl_seconds = settings.response_cache_ttl_seconds
        self.max_query_tokens = settings.max_query_tokens
        self.outage_backoff = outage_backoff
        self._skip_until = 0.0

    async def answer(self, request: Request) -> Response[bytes] | None:
        """The GraphQL route's before-request hook: a stored answer, or None to execute.

        On a miss, the key is left in the request's state for ``StoreAnswers``.
        """
        principal = await request_principal(request)
        transaction = request_transaction(request)
        if principal is None or transaction is None or not self._available():
            return None
        parsed = await _graphql_request(request)
        if parsed is None:
            return None
        query, operation_name, variables = parsed
        document = cacheable_query(query, operation_name, self.max_query_tokens)
        if document is None:
            return None
        # Before any resolver reads: see the module's docstring.
        async with transaction.reads() as session:
            version = await read_data_version(session, principal.district_id)
        if version is None:
            return None
        key = response_key(
            prefix=self.prefix,
            principal=principal,
            version=version,
            document=document,
            query=query,
            operation_name=operation_name,
            variables=variables,
        )
        redis: Redis = request.app.state.redis
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                body = await redis.get(key)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            return None
        if body is None:
            LOOKUPS.labels("miss").inc()
            request.scope.setdefault("state", {})[_PENDING] = key
            return None
        LOOKUPS.labels("hit").inc()
        if isinstance(body, str):  # a client made with decode_responses
            body = body.encode()
        return Response(body, media_type=MediaType.JSON, headers={CACHE_HEADER: "hit"})

    async def store(self, redis: Redis, key: str, body: bytes) -> None:
        if len(body) > MAX_STORED_BYTES or b'"errors"' in body or not self._available():
            return  # "errors" only appears as a key: inside JSON strings quotes are escaped
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                await redis.set(key, body, ex=self.ttl_seconds)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)

    def _available(self) -> bool:
        return time.monotonic() >= self._skip_until

    def _failed(self, error: BaseException) -> None:
        self._skip_until = time.monotonic() + self.outage_backoff
        LOOKUPS.labels("unavailable").inc()
        log.warning(
            "response_cache.unavailable",
            error=f"{type(error).__name__}: {error}",
            skip_seconds=self.outage_backoff,
        )


async def _graphql_request(request: Request) -> tuple[str, str | None, dict[str, Any]] | None:
    """(query, operationName, variables) of a POSTed JSON request; None for anything else."""
    if request.method != "POST" or not request.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return None
    body = await request.body()
    if len(body) > MAX_REQUEST_BYTES:
        return None  # a batch of writes, not worth decoding twice
    try:
        payload = json.loads(body)
    except ValueError:
        return None  # answered (with its error) by the GraphQL route
    if not isinstance(payload, dict):
        return None
    query = payload.get("query")
    operation_name = payload.get("operationName")
    variables = payload.get("variables") or {}
    if (
        not isinstance(query, str)
        or not isinstance(operation_name, str | None)
        or not isinstance(variables, dict)
    ):
        return None
    return query, operation_name, variables


class StoreAnswers:
    """Middleware of the GraphQL route: keeps a miss's answer under the key its lookup made,
    once the answer is sent, and labels it ``x-cache: miss``."""

    def __init__(self, app: ASGIApp, cache: ResponseCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if scope.get("state", {}).get(_PENDING):
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers") or [])
                    headers.append((CACHE_HEADER.encode(), b"miss"))
                    message["headers"] = headers
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        key = scope.get("state", {}).pop(_PENDING, None)
        if key and status == 200:
            await self.cache.store(scope["app"].state.redis, key, b"".join(chunks))
