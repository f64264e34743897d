"""Inbound events: what platforms delivered, stored once per platform key before the HTTP ack."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from storage.db import insert_new
from storage.models import InboundEvent
from storage.states import InboundStatus


def record_inbound(
    bind: Session | Connection,
    *,
    platform: str,
    dedup_key: str,
    kind: str,
    sender: str,
    payload: dict,
    now: datetime,
) -> int | None:
    """Store a delivery as a pending event in one statement; its id, or None when the same
    (platform, dedup_key) was stored before (a retry)."""
    return insert_new(
        bind,
        InboundEvent,
        {
            "platform": platform,
            "dedup_key": dedup_key[:200],
            "kind": kind,
            "sender": sender,
            "payload": payload,
            "status": InboundStatus.PENDING,
            "attempts": 0,
            "received_at": now,
        },
    )


def lock_pending(session: Session, event_id: int) -> InboundEvent | None:
    """Lock a pending event in this transaction; None if it is gone or already handled."""
    event = session.get(InboundEvent, event_id, with_for_update=True, populate_existing=True)
    if event is None or event.status != InboundStatus.PENDING:
        return None
    return event


def start_attempt(session: Session, event_id: int) -> InboundEvent | None:
    """Lock a pending event and count one more attempt at it (committed even if the attempt then dies)."""
    event = lock_pending(session, event_id)
    if event is not None:
        event.attempts += 1
    return event


def unfinished_inbound(session: Session, *, older_than: datetime, limit: int = 500) -> list[int]:
    """Ids of events still pending that were received before `older_than` (lost by a queue or a crash)."""
    return list(
        session.scalars(
            select(InboundEvent.id)
            .where(InboundEvent.status == InboundStatus.PENDING, InboundEvent.received_at <= older_than)
            .order_by(InboundEvent.id)
            .limit(limit)
        )
    )


def finish(event: InboundEvent, *, failed: str | None = None) -> None:
    """Mark a locked event handled: done, or failed with a short reason (kept for operators)."""
    event.status = InboundStatus.FAILED if failed else InboundStatus.DONE
    event.error, event.processed_at = failed, datetime.now(UTC)
