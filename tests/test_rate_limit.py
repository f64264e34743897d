"""The one rate limiter (moving windows in Redis through `limits`), on the embedded fakeredis and on a real Redis,
and the outbox retrying a refused send when the limiter says a slot frees."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import fakeredis
import pytest
import redis

from bot import runtime
from bot.cards import Card
from bot.platforms.base import SendError
from bot.platforms.rate_limit import RateLimiter, RateLimitItemPerMinute, RateLimitItemPerSecond
from bot.tasks import deliver
from storage.models import OutboxMessage
from storage.outbox import add_message


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture(params=["fakeredis", "redis"])
def connection(request: pytest.FixtureRequest) -> redis.Redis:
    if request.param == "fakeredis":
        return fakeredis.FakeRedis()
    return redis.Redis.from_url(request.getfixturevalue("redis_url"))


def takes(limiter: RateLimiter, key: str) -> bool:
    try:
        limiter.take(key)
    except SendError:
        return False
    return True


def test_a_moving_window_refuses_past_the_limit_and_says_when_a_slot_frees(connection: redis.Redis) -> None:
    limiter = RateLimiter(connection, "test", RateLimitItemPerSecond(2))
    assert [takes(limiter, "a"), takes(limiter, "a"), takes(limiter, "b")] == [True, True, True]
    with pytest.raises(SendError) as refused:
        limiter.take("a")
    assert (refused.value.permanent, refused.value.retry_after) == (False, 1)
    wait_until(lambda: takes(limiter, "a"))


def test_every_limit_must_have_room_and_a_refusal_takes_no_slot(connection: redis.Redis) -> None:
    limiter = RateLimiter(connection, "test", RateLimitItemPerSecond(5), RateLimitItemPerMinute(3))
    assert [takes(limiter, "a") for _ in range(4)] == [True, True, True, False]
    other = RateLimiter(connection, "test", RateLimitItemPerSecond(5))
    assert [takes(other, "a") for _ in range(3)] == [True, True, False]  # three taken, two left, then refused


def test_processes_sharing_the_redis_share_the_window() -> None:
    server = fakeredis.FakeServer()
    first = RateLimiter(fakeredis.FakeRedis(server=server), "test", RateLimitItemPerMinute(2))
    second = RateLimiter(fakeredis.FakeRedis(server=server), "test", RateLimitItemPerMinute(2))
    assert [takes(first, "a"), takes(second, "a"), takes(first, "a")] == [True, True, False]


class RateLimitedOnce:
    channel = "chat"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None) -> None:
        self.calls += 1
        if self.calls == 1:
            raise SendError("limit reached", retry_after=3)


def test_a_rate_limited_message_is_retried_when_the_limiter_says_not_after_the_backoff(rt: runtime.Runtime) -> None:
    sender = rt.senders["chat"] = RateLimitedOnce()
    with rt.transaction() as s:
        message = add_message(
            s,
            kind="reply",
            recipient="chat:demo",
            channel="chat",
            dedup_key="k",
            payload={"card": Card.text("好").to_dict()},
        )
        assert message is not None
        message_id = message.id
    deliver(message_id)
    with rt.transaction() as s:
        stored = s.get(OutboxMessage, message_id)
        assert stored is not None
        assert (stored.status, stored.attempts) == ("pending", 1)
        wait = stored.next_attempt_at - stored.created_at
    assert timedelta(seconds=3) <= wait < timedelta(seconds=5)
    assert sender.calls == 1
