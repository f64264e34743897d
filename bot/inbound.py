"""Accepting a delivery: store it as an inbound event (once per platform key), then enqueue its job.

Every platform's webhook and the terminal chat end here. Enqueueing happens only after the commit, and a
failure to enqueue loses nothing: the event row stays pending and the sweep re-enqueues it.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from bot import conversation, texts
from bot.cards import Card
from bot.platforms.base import CardAction, InboundMessage
from bot.runtime import Runtime
from storage.db import single_statement
from storage.inbound import finish, lock_pending, record_inbound

log = logging.getLogger(__name__)


def accept(
    rt: Runtime,
    delivery: InboundMessage | CardAction,
    *,
    platform: str,
    dedup_key: str,
    raw: Any = None,
) -> int | None:
    """Store a message or card click and queue it for processing. Returns the event id, or None for a
    repeat delivery of the same (platform, dedup_key).

    Raises SQLAlchemyError when the database is unavailable: the webhook answers 503 and the platform retries.
    """
    if isinstance(delivery, CardAction):
        kind, sender, payload = "card_action", delivery.actor, {"action": delivery.to_payload()}
    else:
        kind, sender, payload = delivery.kind, delivery.sender, {"message": delivery.to_payload()}
    with single_statement(rt.engine) as conn:
        event_id = record_inbound(
            conn,
            platform=platform,
            dedup_key=dedup_key,
            kind=kind,
            sender=sender,
            payload={**payload, "raw": raw},
            now=delivery.received_at,
        )
    if event_id is not None:
        rt.queue.enqueue_inbound(event_id)
    return event_id


def answer_click(rt: Runtime, click: CardAction, *, platform: str, dedup_key: str, raw: Any = None) -> Card | None:
    """Handle a card click now, for platforms that must answer it in the request (Feishu: 3 s).

    The click is stored like any delivery (None for a repeat) and marked done in the same transaction, so
    neither the worker nor the sweep acts on it again. An unexpected failure is logged and answered with an
    apology: the click did nothing.
    """
    with rt.transaction() as session:
        event_id = record_inbound(
            session,
            platform=platform,
            dedup_key=dedup_key,
            kind="card_action",
            sender=click.actor,
            payload={"action": click.to_payload(), "raw": raw},
            now=click.received_at,
        )
        event = None if event_id is None else lock_pending(session, event_id)
        if event is None:
            return None
        try:
            with session.begin_nested():
                card = conversation.handle_action(session, click, tz=rt.settings.tz, rules=rt.rules)
            finish(event)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("card click %s failed (ref %s)", event.id, ref)
            card = Card.refusal(texts.CLICK_FAILED.format(ref=ref))
            finish(event, failed=f"ref {ref}")
    return card
