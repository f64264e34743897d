"""The outbox: every message the bot owes someone, sent at most once per dedup key."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.db import insert_once, utcnow
from storage.identity import IdentityKey
from storage.models import OutboxMessage, User
from storage.people import primary_identity
from storage.states import OutboxStatus

# A claimed message is someone's to send for this long; after it the sweep may hand it to another worker.
LEASE = timedelta(minutes=2)
# Waits after the 1st, 2nd, … failed attempt; after the last one the message is marked failed.
BACKOFF = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
NEW_MESSAGES = "salesbot.new_outbox_ids"


def add_message(
    session: Session,
    *,
    kind: str,
    recipient: str,
    channel: str,
    dedup_key: str,
    payload: dict,
) -> OutboxMessage | None:
    """Queue a message, due now (by the wall clock, whatever time a job pretends it is); None when a message
    with this dedup key already exists."""
    now = utcnow()
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        channel=channel,
        dedup_key=dedup_key,
        payload=payload,
        status=OutboxStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    if not insert_once(session, message):
        return None
    session.info.setdefault(NEW_MESSAGES, []).append(message.id)
    return message


def new_message_ids(session: Session) -> list[int]:
    """Ids of the messages added in this session since the last call (to deliver after the commit)."""
    return session.info.pop(NEW_MESSAGES, [])


def claim_message(session: Session, message_id: int, now: datetime) -> OutboxMessage | None:
    """Take a due pending message for sending: counts the attempt and leases it. None if not ours to send."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    return session.get(OutboxMessage, message_id, populate_existing=True)


def mark_sent(session: Session, message_id: int, now: datetime, platform_message_id: str | None) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.SENT, sent_at=now, last_error=None, platform_message_id=platform_message_id)
    )


def mark_attempt_failed(
    session: Session,
    message_id: int,
    now: datetime,
    error: str,
    *,
    permanent: bool,
    retry_after: timedelta | None = None,
) -> datetime | None:
    """Record a failed attempt. Returns when to try again (after `retry_after` when the platform said when,
    else after the backoff), or None if the message is now failed."""
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    message.last_error = error[:500]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
        return None
    message.next_attempt_at = now + (retry_after if retry_after is not None else BACKOFF[message.attempts - 1])
    return message.next_attempt_at


def due_messages(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Pending messages whose next attempt (or expired lease) is due."""
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def notify_user(session: Session, user: User, *, kind: str, payload: dict, dedup_key: str) -> bool:
    """Queue a message for `user` on the platform of their identity; False if `dedup_key` was used before, or if
    `user` is deactivated (they left: nothing is pushed to them)."""
    if user.deactivated_at is not None:
        return False
    recipient = primary_identity(user)
    message = add_message(
        session,
        kind=kind,
        recipient=recipient,
        channel=IdentityKey.parse(recipient).platform,
        dedup_key=dedup_key,
        payload=payload,
    )
    return message is not None
