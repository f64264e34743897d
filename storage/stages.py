"""Moving leads through the sales stages, as a logged note implies (rules in config/stages.toml)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.rules import Rules, Stage
from storage.models import Activity, Lead, StageChange, User


def _matches(stage: Stage, activity: Activity, tags: tuple[str, ...], signal: str | None) -> bool:
    return activity.type in stage.on_activity or any(tag in stage.on_tags for tag in tags) or signal in stage.on_signals


def stage_implied(
    current: str, activity: Activity, tags: tuple[str, ...], signal: str | None, rules: Rules
) -> str | None:
    """The stage a note moves its lead to, or None: closed stages win, open ones only move forward.
    `signal` is the reader's stage signal of the note (won, lost, contract, quote_sent or None)."""
    if current in rules.closed_stages:
        return None
    for stage in rules.stages:
        if stage.closed and _matches(stage, activity, tags, signal):
            return stage.id
    order = [s.id for s in rules.stages]
    best = None
    for stage in rules.stages:
        if (
            not stage.closed
            and order.index(stage.id) > order.index(current)
            and _matches(stage, activity, tags, signal)
        ):
            best = stage.id
    return best


def move_stage(
    session: Session, lead: Lead, to_stage: str, *, actor: User, now: datetime, activity: Activity | None = None
) -> StageChange:
    change = StageChange(
        lead_id=lead.id,
        actor_id=actor.id,
        activity_id=activity.id if activity else None,
        from_stage=lead.stage,
        to_stage=to_stage,
        created_at=now,
    )
    session.add(change)
    lead.stage, lead.stage_entered_at = to_stage, now
    return change


def refresh_stage_entered(session: Session, lead: Lead) -> None:
    """When the lead entered its stage, from its stage changes: the latest one, else its creation (after a
    change was taken back)."""
    latest = session.scalar(select(func.max(StageChange.created_at)).where(StageChange.lead_id == lead.id))
    lead.stage_entered_at = latest or lead.created_at
