"""Per-client rate limits on the expensive endpoints: a token bucket per client IP.

A client may make `burst` requests at once, then one every ``60 / per_minute`` seconds; beyond
that it is answered 429 with ``Retry-After``. The buckets live in Redis when one is configured
(`rate_limit_redis_url`, else the jobs broker if it is Redis), so every API process of
``serve --workers N`` and every host behind a balancer draws from the same bucket; without Redis
each process keeps its own in memory (N processes then allow N times the rate). If Redis stops
answering, each process falls back to its memory buckets and logs it, rather than refusing everyone.

The client is the connection's peer address: behind a reverse proxy, run uvicorn with
``--proxy-headers --forwarded-allow-ips <proxy>`` so it is the proxy's ``X-Forwarded-For``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from typing import Protocol

import redis
from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from backend.settings import BackendSettings

log = logging.getLogger(__name__)


class Buckets(Protocol):
    def take(self, client: str) -> float:
        """Take a token from `client`'s bucket: 0 if there was one, else the seconds until there is."""


class MemoryBuckets:
    """This process's buckets; the least recently seen clients are forgotten beyond `max_clients`
    (a forgotten client starts again with a full bucket)."""

    def __init__(self, burst: int, per_s: float, max_clients: int = 100_000) -> None:
        self.burst = burst
        self.per_s = per_s
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_s)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.per_s
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait


# One round trip, atomic, on Redis's clock (API processes on several hosts agree on it). The state
# is a hash {tokens, at}; it expires once a full bucket would have refilled.
TAKE_SCRIPT = """
local burst = tonumber(ARGV[1])
local per_s = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * per_s)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / per_s end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / per_s * 1000) + 1000)
return tostring(wait)
"""


class RedisBuckets:
    """Buckets shared by every process that uses the same Redis and `name`."""

    def __init__(self, url: str, name: str, burst: int, per_s: float) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = f"tribunal:rate:{name}:"
        self.burst = burst
        self.per_s = per_s
        self.script = self.client.register_script(TAKE_SCRIPT)
        self.fallback = MemoryBuckets(burst, per_s)
        self._failing = False

    def take(self, client: str) -> float:
        try:
            wait = float(self.script(keys=[self.prefix + client], args=[self.burst, self.per_s]))
        except redis.RedisError as exc:
            if not self._failing:
                log.warning("rate limiter: Redis does not answer (%s); counting in this process", exc)
                self._failing = True
            return self.fallback.take(client)
        if self._failing:
            log.info("rate limiter: Redis answers again")
            self._failing = False
        return wait


def redis_url(settings: BackendSettings) -> str | None:
    """Where the buckets live: `rate_limit_redis_url`, else the jobs broker if it is Redis."""
    if settings.rate_limit_redis_url:
        return settings.rate_limit_redis_url
    broker = settings.celery_broker_url or ""
    return broker if broker.startswith(("redis://", "rediss://")) else None


class RateLimit:
    """A FastAPI dependency: one token per request from the client's bucket, else 429."""

    def __init__(self, what: str, buckets: Buckets, burst: int, per_minute: float, shared: bool) -> None:
        self.what = what
        self.buckets = buckets
        self.burst = burst
        self.per_minute = per_minute
        self.shared = shared

    @classmethod
    def for_specs(cls, settings: BackendSettings) -> RateLimit:
        burst, per_minute = settings.spec_rate_burst, settings.spec_rate_per_minute
        url = redis_url(settings)
        buckets: Buckets = (RedisBuckets(url, "specs", burst, per_minute / 60) if url
                            else MemoryBuckets(burst, per_minute / 60))
        return cls("spec uploads", buckets, burst, per_minute, shared=url is not None)

    async def check(self, request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        take = self.buckets.take
        wait = await run_in_threadpool(take, client) if self.shared else take(client)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise HTTPException(
                status_code=429,
                detail=(f"too many {self.what} from {client}: at most {self.burst} at once, then "
                        f"{self.per_minute:g} per minute; retry in {retry_after} s"),
                headers={"Retry-After": str(retry_after)},
            )
