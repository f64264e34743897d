"""Waiting on a condition instead of sleeping: a test goes on the moment what it needs has happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import redis

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, timeout: float = 30, interval: float = 0.02) -> T:
    """Poll `condition` until it returns something truthy, and return that; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def feeder_waits_on_the_inbox(connection: redis.Redis) -> bool:
    """Whether a client of `connection`'s database is blocked in BRPOP: an inbox feeder waiting for an id.

    The server is shared with other test runs, each in a database of its own, so only this one counts."""
    db = str(connection.connection_pool.connection_kwargs.get("db", 0))
    return any(c["cmd"] == "brpop" and "b" in c["flags"] and c["db"] == db for c in connection.client_list())
