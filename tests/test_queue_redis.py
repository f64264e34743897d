"""The queue on a real Redis server: RQ workers, Redis outages and flushes, the periodic tick."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import func, select

from bot import runtime
from bot.app import create_app
from bot.inbound import accept
from bot.periodic import tick
from bot.platforms.base import InboundMessage
from bot.tasks import sweep
from jobs.queue import INBOX
from storage.models import Activity, InboundEvent
from tests.conftest import RecordingSender, make_runtime
from tests.waiting import feeder_waits_on_the_inbox, wait_until

NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"


@pytest.fixture
def redis_rt(db_url: str, redis_url: str) -> Iterator[runtime.Runtime]:
    with runtime.installed(make_runtime(db_url, runtime.make_queue(redis_url))) as rt:
        yield rt


def work(rt: runtime.Runtime) -> None:
    rt.queue.drain_inbox()
    rt.queue.worker().work(burst=True, logging_level="WARNING")


def deliver_note(rt: runtime.Runtime, key: str = "7166436485912345678") -> int | None:
    message = InboundMessage(channel="chat", sender="wecom:zhangwei", text=NOTE, received_at=datetime.now(UTC))
    return accept(rt, message, platform="wecom", dedup_key=key)


def activities(rt: runtime.Runtime) -> int:
    with rt.transaction() as s:
        return s.scalar(select(func.count()).select_from(Activity)) or 0


def test_an_rq_worker_on_redis_turns_a_stored_event_into_an_activity_and_a_reply(redis_rt: runtime.Runtime) -> None:
    deliver_note(redis_rt)
    work(redis_rt)
    sender = redis_rt.senders["chat"]
    assert isinstance(sender, RecordingSender)
    assert activities(redis_rt) == 1
    assert sender.texts[0].startswith("【已记录：杭州华力机械】")


def test_the_webhook_side_pushes_only_the_event_id_and_the_feeder_makes_it_a_job(
    redis_rt: runtime.Runtime,
) -> None:
    queue = redis_rt.queue
    event_id = deliver_note(redis_rt)
    assert (queue.connection.lrange(INBOX, 0, -1), queue.rq.count) == ([str(event_id).encode()], 0)
    assert queue.drain_inbox() == 1
    assert (queue.connection.llen(INBOX), queue.rq.job_ids) == (0, [f"inbound-{event_id}"])


def test_healthz_counts_what_no_worker_has_picked_up_yet(redis_rt: runtime.Runtime) -> None:
    client = create_app(redis_rt.settings, redis_rt).test_client()

    def waiting() -> int:
        return client.get("/healthz").get_json()["queue"]["waiting"]

    deliver_note(redis_rt, key="7166436485912345678")
    deliver_note(redis_rt, key="7166436485912345679")
    assert waiting() == 2
    redis_rt.queue.drain_inbox()
    assert waiting() == 2
    work(redis_rt)
    assert waiting() == 0


def test_a_stray_value_in_the_inbox_is_skipped_and_the_ids_around_it_still_become_jobs(
    redis_rt: runtime.Runtime,
) -> None:
    queue = redis_rt.queue
    queue.connection.lpush(INBOX, "41", "not-an-id", "43")
    assert queue.drain_inbox() == 2
    assert sorted(queue.rq.job_ids) == ["inbound-41", "inbound-43"]


def test_an_id_that_cannot_be_enqueued_goes_back_to_the_inbox(redis_rt: runtime.Runtime, redis_url: str) -> None:
    """A Redis user that may pop and push but not run RQ's enqueue (a Lua script and HSET)."""
    event_id = deliver_note(redis_rt)
    admin = redis_rt.queue.connection
    admin.acl_setuser(
        "salesbot-no-jobs",
        enabled=True,
        passwords=["+pw"],
        keys=["*"],
        categories=["+@all", "-@scripting"],
        commands=["-hset"],
    )
    try:
        limited = runtime.make_queue(redis_url.replace("redis://", "redis://salesbot-no-jobs:pw@", 1))
        with pytest.raises(redis.RedisError, match="could not be enqueued"):
            limited.drain_inbox()
    finally:
        admin.acl_deluser("salesbot-no-jobs")
    assert (admin.lrange(INBOX, 0, -1), redis_rt.queue.rq.count) == ([str(event_id).encode()], 0)


def test_a_stopping_feeder_finishes_the_id_in_hand_and_leaves_the_rest(redis_rt: runtime.Runtime) -> None:
    queue, stop = redis_rt.queue, threading.Event()
    queue.connection.lpush(INBOX, "41", "42", "43")
    stop.set()
    assert queue.drain_inbox(stop=stop) == 1
    assert (queue.rq.job_ids, queue.connection.lrange(INBOX, 0, -1)) == (["inbound-41"], [b"43", b"42"])


def test_the_feeder_thread_picks_up_an_id_while_it_waits_and_stops_when_told(redis_rt: runtime.Runtime) -> None:
    queue, stop = redis_rt.queue, threading.Event()
    feeder = threading.Thread(target=queue.feed, args=(stop,), kwargs={"wait": 0.2})
    feeder.start()
    try:
        wait_until(lambda: feeder_waits_on_the_inbox(queue.connection), "the feeder to wait on the inbox")
        event_id = deliver_note(redis_rt)
        assert wait_until(lambda: queue.rq.job_ids, "the feeder to enqueue the id") == [f"inbound-{event_id}"]
    finally:
        stop.set()
        feeder.join(timeout=5)
    assert not feeder.is_alive()


def test_running_a_worker_leaves_the_shared_connections_timeout_alone(redis_rt: runtime.Runtime) -> None:
    shared = redis_rt.queue.connection.connection_pool.connection_kwargs
    worker = redis_rt.queue.worker()
    worker.work(burst=True, logging_level="WARNING")
    assert (shared["socket_timeout"], worker.connection.connection_pool.connection_kwargs["socket_timeout"]) == (
        5,
        worker.connection_timeout,
    )


def test_the_feeder_outlives_a_redis_outage_and_says_so_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue, stop = runtime.make_queue("redis://127.0.0.1:1/0"), threading.Event()  # nothing listens there
    tries: list[float] = []
    drain = queue.drain_inbox

    def counted_drain(wait: float, stop: threading.Event) -> int:
        tries.append(wait)
        return drain(wait, stop)

    monkeypatch.setattr(queue, "drain_inbox", counted_drain)
    feeder = threading.Thread(target=queue.feed, args=(stop,), kwargs={"wait": 0.05})
    feeder.start()
    wait_until(lambda: len(tries) >= 4, "the feeder to try Redis four times")
    stop.set()
    feeder.join(timeout=5)
    assert not feeder.is_alive()
    assert [r.getMessage().split(" (")[0] for r in caplog.records if r.name == "jobs.queue"] == [
        "inbox feeder: Redis unreachable"
    ]


def test_while_redis_is_down_messages_are_still_stored_then_processed_after_it_returns(
    redis_rt: runtime.Runtime,
) -> None:
    working_queue = redis_rt.queue
    redis_rt.queue = runtime.make_queue("redis://127.0.0.1:1/0")  # nothing listens there
    assert redis_rt.queue.ping() is False
    event_id = deliver_note(redis_rt)
    assert event_id is not None

    redis_rt.queue = working_queue
    sweep((datetime.now(UTC) + timedelta(minutes=1)).isoformat())
    work(redis_rt)
    with redis_rt.transaction() as s:
        event = s.get(InboundEvent, event_id)
        assert event is not None and event.status == "done"
    assert activities(redis_rt) == 1


def test_a_flushed_redis_loses_nothing(redis_rt: runtime.Runtime) -> None:
    deliver_note(redis_rt)
    redis_rt.queue.connection.flushdb()
    work(redis_rt)
    assert activities(redis_rt) == 0
    sweep((datetime.now(UTC) + timedelta(minutes=1)).isoformat())
    work(redis_rt)
    assert activities(redis_rt) == 1


def test_two_schedulers_ticking_in_the_same_slot_enqueue_each_job_once(redis_rt: runtime.Runtime) -> None:
    moment = datetime(2026, 11, 25, 2, 7, tzinfo=UTC)  # 10:07 in Shanghai: after the 07:40, 08:30 and 09:25 jobs
    assert tick(redis_rt, moment) == [
        "reminders-20261125T0207",
        "escalate-20261125T0200",
        "sweep-20261125T0205",
        "digest-20261125T0030",
        "leaderboard-20261125T0125",
        "org_sync-20261124T2340",
    ]
    assert tick(redis_rt, moment + timedelta(seconds=30)) == []
    assert tick(redis_rt, moment + timedelta(minutes=5)) == ["reminders-20261125T0212", "sweep-20261125T0210"]


def test_daily_jobs_wait_for_their_local_time(redis_rt: runtime.Runtime) -> None:
    early = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai
    assert [job for job in tick(redis_rt, early) if job.startswith(("digest", "leaderboard"))] == []


def test_a_periodic_job_runs_on_an_rq_worker_and_its_card_is_delivered(redis_rt: runtime.Runtime) -> None:
    from bot.periodic import escalate
    from storage.leads import add_assigned_lead
    from storage.people import add_team, add_user

    assigned = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    with redis_rt.transaction() as s:
        add_user(s, "wecom:boss", name="王经理", role="manager", team=None, now=assigned)
        add_team(s, "华东一组", manager_key="wecom:boss", now=assigned)
        rep = add_user(s, "wecom:lisi", name="李四", role="rep", team="华东一组", now=assigned)
        add_assigned_lead(
            s, rep, company="上海申通包装", contact_name=None, phone=None, now=assigned, rules=redis_rt.rules
        )
    redis_rt.queue.enqueue(escalate, "2026-12-01T03:00:00+00:00", job_id="escalate-test")
    work(redis_rt)
    sender = redis_rt.senders["chat"]
    assert isinstance(sender, RecordingSender)
    assert [(who, text.splitlines()[0]) for (who, _), text in zip(sender.sent, sender.texts, strict=True)] == [
        ("wecom:boss", "【高风险待介入】")
    ]
