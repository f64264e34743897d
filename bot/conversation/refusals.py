"""A refusal from storage (or the conversation), worded for the person who was refused."""

from __future__ import annotations

from bot import texts
from bot.format import lead_name, person_name
from config.rules import Rules
from storage.refusals import Refusal, Why


def explain(refusal: Refusal, rules: Rules) -> str:
    lead = refusal.lead
    if refusal.why is Why.UNDO_EXPIRED:
        return texts.undo_expired(rules)
    if refusal.why is Why.LEAD_NOT_YOURS and lead is not None:
        return texts.lead_not_yours(lead_name(lead), person_name(lead.owner))
    if refusal.why is Why.LEAD_EXISTS and lead is not None:
        return texts.lead_exists(lead.id, lead_name(lead), person_name(lead.owner))
    return texts.REFUSALS[refusal.why]
