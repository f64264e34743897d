"""Outcomes: a deal won or lost, the reason a lost one was lost, and the count of reasons for the weekly report.

Won and lost are the closed stages of config/stages.toml, so a closed lead leaves the lights and escalation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.activities import lead_tag_ids
from storage.models import Lead, StageChange, User
from storage.refusals import Refusal, Why
from storage.stages import move_stage
from storage.states import LostReason

# The reader's tags that say why a deal went, most telling first.
_REASON_OF_TAG = {"price_sensitive": LostReason.PRICE, "competitor": LostReason.COMPETITOR}
_NO_BUDGET_WORDS = ("预算", "没钱", "资金", "经费", "budget")


def won_stage(rules: Rules) -> str:
    return min(rules.won_stages)


def lost_stage(rules: Rules) -> str:
    return min(rules.closed_stages - rules.won_stages)


def lost_reason(words: str, tag_sets: Iterable[Iterable[str]]) -> LostReason:
    """The category of a lost deal: no budget when the rep's words say so, else the first of the tags (those of
    the rep's words first, then of the lead's notes) that names a reason, else other."""
    if any(word in words.lower() for word in _NO_BUDGET_WORDS):
        return LostReason.NO_BUDGET
    for tags in tag_sets:
        for tag, reason in _REASON_OF_TAG.items():
            if tag in tags:
                return reason
    return LostReason.OTHER


def close(
    session: Session,
    actor: User,
    lead: Lead,
    stage: str,
    *,
    now: datetime,
    rules: Rules,
    reason: LostReason | None = None,
    note: str | None = None,
) -> str:
    """Set `lead` to the closed `stage` (won or lost, with the reason when lost); returns the stage it was in."""
    before = lead.stage
    if before != stage:
        move_stage(session, lead, stage, actor=actor, now=now)
    lost = stage not in rules.won_stages
    lead.lost_reason = reason if lost else None
    lead.lost_note = (note or None) if lost else None
    return before


def set_lost_reason(lead: Lead, reason: object, rules: Rules) -> LostReason:
    """Change why a lost lead was lost; refused (a stale button) for a reason we do not know or an open lead."""
    if reason not in set(LostReason) or lead.stage != lost_stage(rules):
        raise Refusal(Why.STALE_BUTTON)
    lead.lost_reason = LostReason(reason)
    return lead.lost_reason


def lost_reasons(session: Session, team_id: int, start: datetime, end: datetime, rules: Rules) -> dict[LostReason, int]:
    """How many of the team's leads were lost in [start, end), by reason (leads still lost, counted once)."""
    lost_in_week = (
        select(StageChange.lead_id)
        .where(
            StageChange.to_stage == lost_stage(rules),
            StageChange.created_at >= start,
            StageChange.created_at < end,
        )
        .distinct()
    )
    rows = session.execute(
        select(Lead.id, Lead.lost_reason)
        .join(User, User.id == Lead.owner_id)
        .where(User.team_id == team_id, Lead.stage == lost_stage(rules), Lead.id.in_(lost_in_week))
    ).all()
    # A lead a note closed (黄了, 定了别家) has no reason given: its notes' tags tell it.
    tags = lead_tag_ids(session, [lead_id for lead_id, reason in rows if reason is None])
    counts = dict.fromkeys(LostReason, 0)
    for lead_id, reason in rows:
        counts[reason or lost_reason("", [tags[lead_id]])] += 1
    return counts
