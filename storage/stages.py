"""Moving leads through the sales stages, as a logged note implies (rules in config/stages.toml)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from config.rules import Rules, Stage
from storage.models import Activity, Lead, StageChange, User

_NEGATION = re.compile(r"(没|未|还没|不|没有)$")


def _mentions(text: str, phrase: str) -> bool:
    """`phrase` occurs in `text` at least once not right after a negation word."""
    start = text.find(phrase)
    while start != -1:
        if not _NEGATION.search(text[max(0, start - 2) : start]):
            return True
        start = text.find(phrase, start + 1)
    return False


def _matches(stage: Stage, activity: Activity, tags: tuple[str, ...]) -> bool:
    return (
        activity.type in stage.on_activity
        or any(tag in stage.on_tags for tag in tags)
        or any(_mentions(activity.text, phrase) for phrase in stage.on_words)
    )


def stage_implied(current: str, activity: Activity, tags: tuple[str, ...], rules: Rules) -> str | None:
    """The stage a note moves its lead to, or None: closed stages win, open ones only move forward."""
    if current in rules.closed_stages:
        return None
    for stage in rules.stages:
        if stage.closed and _matches(stage, activity, tags):
            return stage.id
    order = [s.id for s in rules.stages]
    best = None
    for stage in rules.stages:
        if not stage.closed and order.index(stage.id) > order.index(current) and _matches(stage, activity, tags):
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
    lead.stage = to_stage
    return change
