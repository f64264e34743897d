"""One long connection per deployment: keepers of several workers on one real Redis, each with the real
WeCom AI bot client, against the fake wss server. One subscribes; the others stand by and take over."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from bot import runtime
from bot.longconn import Backoff, Keeper, read_state
from bot.platforms.wecom_bot_link import WecomBotLink
from config.settings import Settings, WecomBotSettings
from tests.fake_wecom_ws import BOT_ID, BOT_SECRET, FakeWecomWs, serve_fake
from tests.test_wecom_bot import text_frame
from tests.waiting import wait_until

FAST = Backoff(base=0.05, cap=0.2)
LEASE = 1.5


@pytest.fixture
def ws() -> Iterator[FakeWecomWs]:
    for server in serve_fake():
        server.trust()
        yield server


@pytest.fixture
def rt(sqlite_url: str, redis_url: str, ws: FakeWecomWs) -> Iterator[runtime.Runtime]:
    settings = Settings(
        database_url=sqlite_url, redis_url=redis_url, wecom_bot=WecomBotSettings(BOT_ID, BOT_SECRET, ws.url)
    )
    with runtime.installed(runtime.build_runtime(settings)) as built:
        yield built


def worker(rt: runtime.Runtime, name: str) -> Keeper:
    """The keeper one `salesbot worker` process would run (each has its own Redis client)."""
    connection = redis.Redis.from_url(rt.settings.redis_url or "")
    return Keeper(WecomBotLink(rt), connection, lease_seconds=LEASE, backoff=FAST, holder=name).start()


def test_of_several_workers_one_holds_the_connection_and_another_takes_over_when_it_stops(
    rt: runtime.Runtime, ws: FakeWecomWs
) -> None:
    first, second = worker(rt, "worker-1"), worker(rt, "worker-2")
    try:
        holder = wait_until(lambda: read_state(rt.queue.connection, "wecom").get("holder"), "a holder")
        wait_until(lambda: ws.subscribed, "a subscription")
        assert ws.subscriptions == 1
        leaving, staying = (first, second) if holder == "worker-1" else (second, first)
        leaving.stop()
        wait_until(lambda: read_state(rt.queue.connection, "wecom").get("holder") == staying.holder, "the takeover")
        wait_until(lambda: ws.subscribed, "the new subscription")
        assert ws.subscriptions == 2
        ws.push(text_frame("msg-after-takeover"))
        wait_until(lambda: rt.queue.waiting(), "the message queued by the new holder")
    finally:
        first.stop()
        second.stop()
    assert read_state(rt.queue.connection, "wecom") == {
        "state": "down",
        "last_error": "no worker holds the connection",
    }


def test_a_worker_that_loses_its_lease_lets_the_connection_go(rt: runtime.Runtime, ws: FakeWecomWs) -> None:
    kept = worker(rt, "worker-1")
    try:
        wait_until(lambda: ws.subscribed, "a subscription")
        rt.queue.connection.set("salesbot:link:wecom:lease", "someone-else")  # as after a long stall
        wait_until(lambda: not ws.subscribed, "the connection closed")
    finally:
        kept.stop()


def test_a_connection_that_keeps_dropping_young_backs_off_like_a_failed_attempt(
    rt: runtime.Runtime, ws: FakeWecomWs
) -> None:
    ws.flap = True
    kept = Keeper(WecomBotLink(rt), rt.queue.connection, backoff=FAST, stable_seconds=60).start()
    try:
        state = wait_until(
            lambda: (s := read_state(rt.queue.connection, "wecom")).get("attempts", 0) >= 3 and s, "backoff"
        )
    finally:
        kept.stop()
    assert state["state"] == "connecting" and state["last_error"].startswith("connection lost")
    assert ws.subscriptions >= 2


def test_after_a_stable_connection_the_first_reconnection_is_not_delayed(rt: runtime.Runtime, ws: FakeWecomWs) -> None:
    kept = Keeper(WecomBotLink(rt), rt.queue.connection, backoff=Backoff(base=600, cap=600), stable_seconds=0).start()
    try:
        wait_until(lambda: ws.subscribed, "a subscription")
        ws.drop()
        wait_until(lambda: ws.subscriptions == 2, "the immediate reconnection")  # not after a 300-600 s backoff
    finally:
        kept.stop()


@pytest.mark.parametrize("attempt", [1, 2, 5, 30, 1000])
def test_backoff_grows_exponentially_with_jitter_up_to_its_cap(attempt: int) -> None:
    backoff = Backoff(base=1, cap=60)
    ceiling = min(60, 2 ** (attempt - 1))
    delays = [backoff.delay(attempt) for _ in range(200)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 100  # jittered, not in step
