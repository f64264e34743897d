"""The inbound pipeline on SQLite and PostgreSQL: store once, process once, reply through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.inbound import accept
from bot.platforms.base import InboundMessage, SendError
from bot.runtime import Runtime
from bot.tasks import process_inbound, sweep
from storage.models import Activity, InboundEvent, OutboxMessage
from tests.conftest import RecordingSender

NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"


def message(text: str = NOTE, *, sender: str = "wecom:zhangwei", at: datetime | None = None) -> InboundMessage:
    return InboundMessage(channel="chat", sender=sender, text=text, received_at=at or datetime.now(UTC))


def count(rt: Runtime, model: type) -> int:
    with rt.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def outbox_rows(rt: Runtime) -> list[tuple[str, int]]:
    with rt.transaction() as s:
        return [(m.status, m.attempts) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_the_same_delivery_twice_yields_one_activity_and_one_reply(rt: Runtime, sent: RecordingSender) -> None:
    first = accept(rt, message(), platform="wecom", dedup_key="7166436485912345678")
    repeat = accept(rt, message(), platform="wecom", dedup_key="7166436485912345678")
    rt.queue.drain()
    assert first is not None and repeat is None
    assert (count(rt, InboundEvent), count(rt, Activity), len(sent.sent)) == (1, 1, 1)
    assert sent.sent[0][0] == "wecom:zhangwei"
    assert sent.texts[0].startswith("【已记录：杭州华力机械】")


def test_running_the_job_again_changes_nothing(rt: Runtime, sent: RecordingSender) -> None:
    event_id = accept(rt, message(), platform="wecom", dedup_key="m1")
    rt.queue.drain()
    assert event_id is not None
    process_inbound(event_id)
    rt.queue.drain()
    assert (count(rt, Activity), count(rt, OutboxMessage), len(sent.sent)) == (1, 1, 1)


def test_an_event_the_queue_lost_is_processed_by_the_sweep(rt: Runtime, sent: RecordingSender) -> None:
    received = datetime.now(UTC)
    event_id = accept(rt, message(at=received), platform="wecom", dedup_key="m1")
    rt.queue.connection.flushall()  # Redis restarted empty: the job is gone, the row is not
    rt.queue.drain()
    assert count(rt, Activity) == 0

    assert sweep((received + timedelta(seconds=5)).isoformat()) == {"inbound": 0, "outbox": 0}
    assert sweep((received + timedelta(minutes=1)).isoformat()) == {"inbound": 1, "outbox": 0}
    rt.queue.drain()
    with rt.transaction() as s:
        event = s.get(InboundEvent, event_id)
        assert event is not None
        assert (event.status, event.attempts) == ("done", 1)
    assert (count(rt, Activity), len(sent.sent)) == (1, 1)


def test_a_failed_send_is_retried_after_a_backoff(rt: Runtime, sent: RecordingSender) -> None:
    sent.failures = 1
    accept(rt, message(), platform="wecom", dedup_key="m1")
    rt.queue.drain()
    assert outbox_rows(rt) == [("pending", 1)]
    assert sent.sent == []

    sweep((datetime.now(UTC) + timedelta(seconds=11)).isoformat())
    rt.queue.drain()
    assert outbox_rows(rt) == [("sent", 2)]
    assert len(sent.sent) == 1


def test_a_permanent_send_error_marks_the_message_failed_at_once(rt: Runtime, sent: RecordingSender) -> None:
    sent.failures, sent.permanent = 1, True
    accept(rt, message(), platform="wecom", dedup_key="m1")
    rt.queue.drain()
    assert outbox_rows(rt) == [("failed", 1)]
    with rt.transaction() as s:
        assert s.scalars(select(OutboxMessage.last_error)).one() == "platform said no"


def test_a_message_that_keeps_failing_is_marked_failed_after_six_attempts(rt: Runtime, sent: RecordingSender) -> None:
    sent.failures = 100
    accept(rt, message(), platform="wecom", dedup_key="m1")
    rt.queue.drain()
    moment = datetime.now(UTC)
    for _ in range(8):
        moment += timedelta(hours=1)
        sweep(moment.isoformat())
        rt.queue.drain()
    assert outbox_rows(rt) == [("failed", 6)]


def test_a_reply_for_a_channel_this_process_cannot_send_on_fails_visibly(rt: Runtime) -> None:
    del rt.senders["chat"]
    accept(rt, message(), platform="wecom", dedup_key="m1")
    rt.queue.drain()
    assert outbox_rows(rt) == [("failed", 1)]
    assert count(rt, Activity) == 1


class OutagePreparer:
    """A platform whose media API is down: every preparation fails transiently."""

    def prepare(self, message: InboundMessage) -> InboundMessage:
        raise SendError("media download timed out")


def test_an_event_that_keeps_failing_is_given_up_after_five_attempts_with_an_apology(
    rt: Runtime, sent: RecordingSender
) -> None:
    rt.preparers["chat"] = OutagePreparer()
    event_id = accept(rt, message(), platform="wecom", dedup_key="m1")
    assert event_id is not None
    for _ in range(5):
        with pytest.raises(SendError):
            process_inbound(event_id)
    process_inbound(event_id)
    rt.queue.drain()
    with rt.transaction() as s:
        event = s.get(InboundEvent, event_id)
        assert event is not None
        assert (event.status, event.attempts, event.error) == ("failed", 6, "gave up")
    assert sent.texts == ["抱歉，这条消息多次处理都没有成功，已经放弃。请稍后重新发送一次。"]
    assert count(rt, Activity) == 0
