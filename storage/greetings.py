"""Greeting once a day: whether a person opening the chat was already welcomed today.

The inbound events are the record: each opening of the chat is stored as an event, so the first one of
the local day is the one that greets.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import InboundEvent

# How platforms record "the person opened the chat with the bot" (`event` before platforms said so).
CHAT_OPENED_KINDS = ("chat_opened", "event")


def first_opening_today(session: Session, sender: str, *, event_id: int | None, day_start: datetime) -> bool:
    """True unless `sender` opened the chat earlier in the local day starting at `day_start`.

    `event_id` is this opening's own event (earlier ones have smaller ids); None when it was not stored.
    """
    earlier = select(InboundEvent.id).where(
        InboundEvent.sender == sender,
        InboundEvent.kind.in_(CHAT_OPENED_KINDS),
        InboundEvent.received_at >= day_start,
        InboundEvent.received_at < day_start + timedelta(days=1),
    )
    if event_id is not None:
        earlier = earlier.where(InboundEvent.id < event_id)
    return session.scalar(earlier.limit(1)) is None
