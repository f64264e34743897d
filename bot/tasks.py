"""Task functions. Arguments are ids and ISO times only; each reloads what it needs from the database.

Every task is idempotent: the rows say what is done, so a retried or duplicated job changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import conversation, runtime, texts
from bot.cards import Card
from bot.platforms.base import CardAction, InboundMessage, SendError, replaces_card
from config.instants import read_instant
from storage.inbound import finish, lock_pending, start_attempt, unfinished_inbound
from storage.models import InboundEvent
from storage.outbox import MAX_ATTEMPTS, add_message, claim_message, due_messages, mark_attempt_failed, mark_sent

log = logging.getLogger(__name__)

# An inbound event younger than this is probably still in the queue; the sweep leaves it alone.
SWEEP_GRACE = timedelta(seconds=30)
# Tries at one inbound event (a platform outage during voice transcription, say) before giving up on it.
MAX_INBOUND_ATTEMPTS = 5


def parse_now(now: str | None) -> datetime:
    return read_instant(now, runtime.current().settings.tz) if now else datetime.now(UTC)


def process_inbound(event_id: int) -> None:
    """Run the conversation for one stored inbound event and queue its replies, exactly once.

    The platform's network work (voice transcription, directory look-up) runs first, outside any
    transaction. Then the activity, the reply rows and the event's `done` mark commit together, so a
    crash before the commit leaves the event pending for a retry and a crash after it leaves nothing
    to redo.
    """
    rt = runtime.current()
    with rt.transaction() as session:
        event = start_attempt(session, event_id)
        if event is None:
            return
        payload = event.payload
        if event.attempts > MAX_INBOUND_ATTEMPTS:
            log.error("inbound event %s given up after %s attempts", event.id, MAX_INBOUND_ATTEMPTS)
            _finish(session, event, [(_reply_target(payload), Card.text(texts.GAVE_UP), None)], failed="gave up")
            return
    prepared = _prepare(rt, payload)
    with rt.transaction() as session:
        event = lock_pending(session, event_id)
        if event is None:
            return
        try:
            with session.begin_nested():
                replies = _converse(rt, session, event, prepared)
        except SQLAlchemyError:
            raise  # the database is unwell: let the job fail and be retried
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("inbound event %s failed (ref %s)", event.id, ref)
            _finish(
                session,
                event,
                [(_reply_target(payload), Card.text(texts.APOLOGY.format(ref=ref)), None)],
                failed=f"ref {ref}",
            )
            return
        _finish(session, event, replies)


Target = tuple[str, str]  # (channel, recipient)
Reply = tuple[Target, Card, dict | None]


def _finish(session: Session, event: InboundEvent, replies: list[Reply], failed: str | None = None) -> None:
    """Mark the event handled (or failed, with a reason) and queue its replies, in the caller's transaction."""
    finish(event, failed=failed)
    for i, ((channel, recipient), card, update_ref) in enumerate(replies):
        add_message(
            session,
            kind="card_update" if update_ref else "reply",
            recipient=recipient,
            channel=channel,
            dedup_key=f"reply:{event.id}:{i}",
            payload={"card": card.to_dict(), "update_ref": update_ref},
        )


def _reply_target(payload: dict) -> Target:
    if "action" in payload:
        action = CardAction.from_payload(payload["action"])
        return action.channel, action.actor
    message = InboundMessage.from_payload(payload["message"])
    return message.channel, message.recipient


def _prepare(rt: runtime.Runtime, payload: dict) -> InboundMessage | None:
    """The message after its platform's network work, or None for card actions (nothing to prepare)."""
    if "message" not in payload:
        return None
    message = InboundMessage.from_payload(payload["message"])
    preparer = rt.preparers.get(message.channel)
    return preparer.prepare(message) if preparer is not None else message


def _converse(
    rt: runtime.Runtime, session: Session, event: InboundEvent, message: InboundMessage | None
) -> list[Reply]:
    if message is None:
        action = CardAction.from_payload(event.payload["action"])
        card = conversation.handle_action(session, action, tz=rt.settings.tz, rules=rt.rules)
        update_ref = (action.update_ref or None) if replaces_card(card) else None
        return [((action.channel, action.actor), card, update_ref)]
    cards = conversation.handle(
        session, message, now=event.received_at, tz=rt.settings.tz, rules=rt.rules, event_id=event.id, read=rt.reader
    )
    return [((message.channel, message.recipient), card, None) for card in cards]


def deliver(message_id: int, now: str | None = None) -> None:
    """Send one outbox message if it is due; on failure schedule the next attempt or mark it failed.

    `now` may only move time forward (a test or `jobs run sweep --now` in the future); the lease is never
    computed from a time older than the wall clock.
    """
    rt = runtime.current()
    moment = max(parse_now(now), datetime.now(UTC))
    with rt.transaction() as session:
        message = claim_message(session, message_id, moment)
        if message is None:
            return
        channel, recipient, payload, key = message.channel, message.recipient, message.payload, message.dedup_key
        attempt = message.attempts
        if attempt > MAX_ATTEMPTS:  # earlier attempts died without recording a result
            mark_attempt_failed(session, message_id, moment, "gave up: earlier attempts did not finish", permanent=True)
            log.error("outbox %s given up after %s unfinished attempts", message_id, MAX_ATTEMPTS)
            return
    # Without the platform configured here, the terminal (serve's log, `salesbot jobs run`) stands in.
    sender = rt.senders.get(channel) or rt.senders.get("chat")
    try:
        if sender is None:
            raise SendError(f"no sender for channel {channel!r} in this process", permanent=True)
        platform_id = sender.send(
            recipient, Card.from_dict(payload["card"]), dedup_key=key, update_ref=payload.get("update_ref")
        )
    except Exception as exc:
        # Anything but SendError is a bug in a sender: recorded as a transient failure, then raised for the log.
        error = exc if isinstance(exc, SendError) else SendError(f"unexpected {type(exc).__name__}")
        with rt.transaction() as session:
            retry_at = mark_attempt_failed(
                session,
                message_id,
                moment,
                str(error),
                permanent=error.permanent,
                retry_after=None if error.retry_after is None else timedelta(seconds=error.retry_after),
            )
        if retry_at is None:
            log.error("outbox %s failed for good after %s attempts: %s", message_id, attempt, exc)
        else:
            log.warning("outbox %s attempt %s failed (%s); retrying at %s", message_id, attempt, exc, retry_at)
            rt.queue.enqueue_at(retry_at, deliver, message_id, job_id=f"deliver-{message_id}-{attempt}")
        if error is not exc:
            raise
        return
    with rt.transaction() as session:
        mark_sent(session, message_id, moment, platform_id)


def sweep(now: str | None = None) -> dict[str, int]:
    """Re-enqueue what the rows say is unfinished: pending inbound events and due outbox messages."""
    rt = runtime.current()
    moment = parse_now(now)
    with rt.transaction() as session:
        events = unfinished_inbound(session, older_than=moment - SWEEP_GRACE)
        messages = due_messages(session, moment)
    # Job ids of this pass, not the originals: a worker killed mid-job leaves its job "started" in Redis,
    # and re-using that id would be refused as a duplicate until RQ gives the job up, minutes later.
    # Tasks are idempotent, so a second job for work still queued costs one no-op run.
    stamp = f"{moment:%Y%m%dT%H%M%S}"
    for event_id in events:
        rt.queue.enqueue(process_inbound, event_id, job_id=f"inbound-{event_id}-sweep-{stamp}")
    for message_id in messages:
        rt.queue.enqueue(deliver, message_id, moment.isoformat(), job_id=f"deliver-{message_id}-sweep-{stamp}")
    if events or messages:
        log.info("sweep re-enqueued %s inbound events and %s outbox messages", len(events), len(messages))
    return {"inbound": len(events), "outbox": len(messages)}
