"""The one rate limiter every sender uses: moving windows in the queue's Redis, shared by all processes.

The `limits` library keeps each window as a Redis list of hit times, checked and updated by one Lua script,
so no more than the limit passes in *any* window (a fixed per-minute counter lets twice the limit through
around a minute boundary). It runs unchanged on the embedded queue's fakeredis.

Over a limit, a send raises a transient SendError carrying how long until a slot frees: the outbox tries
again then, rather than a worker sleeping on it.
"""

from __future__ import annotations

import math
import time

import redis
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from bot.platforms.base import SendError

__all__ = ["RateLimitItemPerMinute", "RateLimitItemPerSecond", "RateLimiter"]

KEY_PREFIX = "salesbot:rate"


class RateLimiter:
    """`take(key)` takes one slot under each of `limits` for `key`, or raises SendError(retry_after=…)."""

    def __init__(self, connection: redis.Redis, name: str, *limits: RateLimitItem) -> None:
        storage = RedisStorage("redis://", connection_pool=connection.connection_pool, key_prefix=KEY_PREFIX)
        self.limiter = MovingWindowRateLimiter(storage)
        self.name = name
        self.limits = limits

    def take(self, key: str) -> None:
        for item in self.limits:
            if not self.limiter.test(item, self.name, key):
                self._refuse(item, key)
        for item in self.limits:
            if not self.limiter.hit(item, self.name, key):  # another process took the last slot meanwhile
                self._refuse(item, key)

    def _refuse(self, item: RateLimitItem, key: str) -> None:
        reset = self.limiter.get_window_stats(item, self.name, key).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise SendError(f"{self.name} limit of {item} reached; retrying in {wait} s", retry_after=wait)
