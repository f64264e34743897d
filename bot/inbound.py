"""Accepting a delivery: store it as an inbound event (once per platform key), then enqueue its job.

Every platform's webhook and the terminal chat end here. Enqueueing happens only after the commit, and a
failure to enqueue loses nothing: the event row stays pending and the sweep re-enqueues it.
"""

from __future__ import annotations

from typing import Any

from bot.platforms.base import InboundMessage
from jobs.runtime import Runtime
from jobs.tasks import process_inbound
from storage.inbound import record_inbound


def accept(
    rt: Runtime,
    message: InboundMessage,
    *,
    platform: str,
    dedup_key: str,
    raw: Any = None,
) -> int | None:
    """Store `message` and queue it for processing. Returns the event id, or None for a repeat delivery.

    Raises SQLAlchemyError when the database is unavailable: the caller answers 503 and the platform retries.
    """
    with rt.transaction() as session:
        event = record_inbound(
            session,
            platform=platform,
            dedup_key=dedup_key,
            kind=message.kind,
            sender=message.sender,
            payload={"message": message.to_payload(), "raw": raw},
            now=message.received_at,
        )
        event_id = event.id if event is not None else None
    if event_id is not None:
        rt.queue.enqueue(process_inbound, event_id, job_id=f"inbound-{event_id}")
    return event_id
