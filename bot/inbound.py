"""Accepting a delivery: store it as an inbound event (once per platform key), then enqueue its job.

Every platform's webhook and the terminal chat end here. Enqueueing happens only after the commit, and a
failure to enqueue loses nothing: the event row stays pending and the sweep re-enqueues it.
"""

from __future__ import annotations

from typing import Any

from bot.platforms.base import CardAction, InboundMessage
from jobs.runtime import Runtime
from jobs.tasks import process_inbound
from storage.inbound import record_inbound


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
    with rt.transaction() as session:
        event = record_inbound(
            session,
            platform=platform,
            dedup_key=dedup_key,
            kind=kind,
            sender=sender,
            payload={**payload, "raw": raw},
            now=delivery.received_at,
        )
        event_id = event.id if event is not None else None
    if event_id is not None:
        rt.queue.enqueue(process_inbound, event_id, job_id=f"inbound-{event_id}")
    return event_id
