"""Handing a lead to another rep (分配 and 改派), telling both reps."""

from __future__ import annotations

from bot import notices
from bot.conversation.turn import Turn
from storage.leads import reassign_lead
from storage.models import Lead, User


def move_lead(turn: Turn, lead: Lead, rep: User) -> None:
    """Reassign `lead` to `rep` and tell both reps."""
    previous = reassign_lead(turn.session, lead, rep)
    to_new, to_previous = notices.reassigned_cards(lead, previous, rep, turn.actor)
    stamp = f"{turn.now:%Y%m%dT%H%M%S}"
    for user, card in ((rep, to_new), (previous, to_previous)):
        notices.push(turn.session, user, card, kind="reassign", dedup_key=f"reassign:{lead.id}:{user.id}:{stamp}")
