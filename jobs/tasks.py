"""Task functions. Arguments are ids and ISO times only; each reloads what it needs from the database.

Every task is idempotent: the rows say what is done, so a retried or duplicated job changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot import conversation
from bot.cards import Card
from bot.platforms.base import InboundMessage, SendError
from jobs import runtime
from storage.inbound import claim_inbound, unfinished_inbound
from storage.outbox import add_message, claim_message, due_messages, mark_attempt_failed, mark_sent

log = logging.getLogger(__name__)

# An inbound event younger than this is probably still in the queue; the sweep leaves it alone.
SWEEP_GRACE = timedelta(seconds=30)
APOLOGY = "抱歉，处理这条消息时出了点问题，已记录下来，请稍后再试。（参考号 {ref}）"


def _now(now: str | None) -> datetime:
    return datetime.fromisoformat(now).astimezone(UTC) if now else datetime.now(UTC)


def process_inbound(event_id: int) -> None:
    """Run the conversation for one stored inbound event and queue its replies, exactly once.

    The activity, the reply rows and the event's `done` mark commit together, so a crash before the
    commit leaves the event pending for a retry and a crash after it leaves nothing to redo.
    """
    rt = runtime.current()
    clock = datetime.now(UTC)
    with rt.transaction() as session:
        event = claim_inbound(session, event_id)
        if event is None:
            return
        message = InboundMessage.from_payload(event.payload["message"])
        try:
            with session.begin_nested():
                cards = conversation.handle(
                    session,
                    message,
                    now=event.received_at,
                    tz=rt.settings.tz,
                    rules=rt.rules,
                    event_id=event.id,
                )
            event.status = "done"
        except SQLAlchemyError:
            raise  # the database is unwell: let the job fail and be retried
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("inbound event %s failed (ref %s)", event.id, ref)
            cards = [Card.text(APOLOGY.format(ref=ref))]
            event.status, event.error = "failed", f"ref {ref}"
        event.processed_at = clock
        queued = [
            add_message(
                session,
                kind="reply",
                recipient=message.recipient,
                channel=message.channel,
                dedup_key=f"reply:{event.id}:{i}",
                payload=card.to_dict(),
                now=clock,
            )
            for i, card in enumerate(cards)
        ]
        ids = [m.id for m in queued if m is not None]
    for message_id in ids:
        rt.queue.enqueue(deliver, message_id, job_id=f"deliver-{message_id}")


def deliver(message_id: int) -> None:
    """Send one outbox message if it is due; on failure schedule the next attempt or mark it failed."""
    rt = runtime.current()
    now = datetime.now(UTC)
    with rt.transaction() as session:
        message = claim_message(session, message_id, now)
        if message is None:
            return
        channel, recipient, payload, key = message.channel, message.recipient, message.payload, message.dedup_key
        attempt = message.attempts
    sender = rt.senders.get(channel)
    try:
        if sender is None:
            raise SendError(f"no sender for channel {channel!r} in this process", permanent=True)
        platform_id = sender.send(recipient, Card.from_dict(payload), dedup_key=key)
    except SendError as exc:
        with rt.transaction() as session:
            retry_at = mark_attempt_failed(session, message_id, datetime.now(UTC), str(exc), permanent=exc.permanent)
        if retry_at is None:
            log.error("outbox %s failed for good after %s attempts: %s", message_id, attempt, exc)
        else:
            log.warning("outbox %s attempt %s failed (%s); retrying at %s", message_id, attempt, exc, retry_at)
            rt.queue.enqueue_at(retry_at, deliver, message_id, job_id=f"deliver-{message_id}-{attempt}")
        return
    with rt.transaction() as session:
        mark_sent(session, message_id, datetime.now(UTC), platform_id)


def sweep(now: str | None = None) -> dict[str, int]:
    """Re-enqueue what the rows say is unfinished: pending inbound events and due outbox messages."""
    rt = runtime.current()
    moment = _now(now)
    with rt.transaction() as session:
        events = unfinished_inbound(session, older_than=moment - SWEEP_GRACE)
        messages = due_messages(session, max(moment, datetime.now(UTC)))
    for event_id in events:
        rt.queue.enqueue(process_inbound, event_id, job_id=f"inbound-{event_id}")
    for message_id in messages:
        rt.queue.enqueue(deliver, message_id, job_id=f"deliver-{message_id}")
    if events or messages:
        log.info("sweep re-enqueued %s inbound events and %s outbox messages", len(events), len(messages))
    return {"inbound": len(events), "outbox": len(messages)}
