"""Request budgets kept in Redis, answered LIMIT_EXCEEDED with the seconds to wait.

The algorithm is GCRA (the generic cell rate algorithm, a leaky bucket kept as one timestamp):
each caller's key holds the "theoretical arrival time" of its next request; a request is
admitted when that time is at most ``burst`` intervals ahead of now. One Lua script reads and
moves the timestamp, so racing requests on any number of API processes never admit more than
the budget, and it reads Redis's clock, so API processes need no agreement on the time.

Who pays:
- a valid token, by its id (never the token itself): GraphQL requests from one budget, CSV
  imports from a tighter one of their own (an import can hold hundreds of thousands of rows);
- a request without a valid token, by its client address (an IPv6 one by its /64 network,
  what one subscriber usually holds): one tighter budget for all it sends. A request without
  a token is counted before any database work; one with a token after the single indexed
  lookup that tells a valid token from an invalid one.

A Redis outage must never refuse a user's request or lose a write: the limiter then admits
everything (fails open), logs a warning and counts ``district_ppm_rate_limit_fail_open_total``,
and leaves Redis alone for a few seconds so that a Redis that hangs does not slow every request.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

import structlog
from prometheus_client import Counter
from redis.exceptions import RedisError

from district_ppm.api.redis_script import ScriptClient
from district_ppm.config import Settings
from district_ppm.tenancy.principal import Principal

log = structlog.get_logger(__name__)

REFUSED = Counter(
    "district_ppm_rate_limit_refused", "Requests refused for an exhausted budget", ["budget"]
)
FAIL_OPEN = Counter(
    "district_ppm_rate_limit_fail_open", "Requests admitted unchecked because Redis failed"
)

# Redis answers a healthy script in well under a millisecond; waiting longer only makes every
# request slower during an outage, and the request is admitted anyway. (Not shorter: a busy
# event loop must not turn a slow answer into an admission.)
REDIS_TIMEOUT_SECONDS = 1.0
# After a failure, requests skip Redis this long instead of each waiting for it to fail again.
OUTAGE_BACKOFF_SECONDS = 5.0

# KEYS[1]: the caller's key. ARGV: the interval between requests and the burst, in
# microseconds and requests. Returns 0 when admitted, else the microseconds to wait.
# Timestamps are written with %.0f: Lua's default number format keeps only 14 digits.
GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local wait = next_tat - burst * interval - now
if wait > 0 then return wait end
local ttl_ms = math.ceil((next_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', string.format('%.0f', ttl_ms))
return 0
"""


@dataclass(frozen=True, slots=True)
class Budget:
    name: str
    per_minute: int
    burst: int

    @property
    def interval_us(self) -> int:
        return -(-60_000_000 // self.per_minute)


@dataclass(frozen=True, slots=True)
class Refusal:
    budget: str
    retry_after: int  # whole seconds, at least 1


def client_subject(client_ip: str | None) -> str:
    """The key part for a caller known only by address; IPv6 by its /64 network."""
    try:
        address = ipaddress.ip_address(client_ip or "")
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimiter:
    def __init__(
        self,
        gcra: ScriptClient,
        *,
        namespace: str,
        requests: Budget,
        imports: Budget,
        anonymous: Budget,
        outage_backoff: float = OUTAGE_BACKOFF_SECONDS,
    ) -> None:
        self.gcra = gcra  # GCRA_SCRIPT's client
        self.prefix = f"{namespace}:rate"
        self.requests = requests
        self.imports = imports
        self.anonymous = anonymous
        self.outage_backoff = outage_backoff
        self._skip_until = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        # A client of its own, for a check that is skipped when it fails: a short time limit,
        # and one immediate retry (a connection dropped while idle), never retries with
        # backoff, which would hold each request for seconds during an outage.
        return cls(
            ScriptClient(settings.redis_url, GCRA_SCRIPT, timeout=REDIS_TIMEOUT_SECONDS),
            namespace=settings.queue_namespace,
            requests=Budget("requests", settings.rate_limit_per_minute, settings.rate_limit_burst),
            imports=Budget(
                "imports", settings.import_rate_limit_per_minute, settings.import_rate_limit_burst
            ),
            anonymous=Budget(
                "anonymous",
                settings.anonymous_rate_limit_per_minute,
                settings.anonymous_rate_limit_burst,
            ),
        )

    async def aclose(self) -> None:
        await self.gcra.aclose()

    async def admit(
        self, *, principal: Principal | None, client_ip: str | None, is_import: bool = False
    ) -> Refusal | None:
        """Charge one request to its caller's budget; a refusal when the budget is spent."""
        if principal is None:
            return await self._charge(self.anonymous, client_subject(client_ip))
        budget = self.imports if is_import else self.requests
        return await self._charge(budget, str(principal.token_id))

    async def _charge(self, budget: Budget, subject: str) -> Refusal | None:
        if time.monotonic() < self._skip_until:
            FAIL_OPEN.inc()
            return None
        key = f"{self.prefix}:{budget.name}:{subject}"
        try:
            wait_us = int(await self.gcra.call([key], [budget.interval_us, budget.burst]))
        except (RedisError, OSError) as error:
            self._skip_until = time.monotonic() + self.outage_backoff
            FAIL_OPEN.inc()
            log.warning(
                "rate_limit.fail_open",
                error=f"{type(error).__name__}: {error}",
                skip_seconds=self.outage_backoff,
            )
            return None
        if wait_us <= 0:
            return None
        REFUSED.labels(budget.name).inc()
        return Refusal(budget.name, retry_after=max(1, math.ceil(wait_us / 1_000_000)))
