"""Look-ups: "查 华力", "华力怎么样了" or a customer's name alone show the lead instead of logging anything."""

from __future__ import annotations

from sqlalchemy import select

from bot import texts
from bot.cards import Button, Card, Field
from bot.conversation.resolving import may_log, resolve_name
from bot.conversation.turn import Turn, one_id
from bot.format import known_name, lead_name, money
from nlp.resolve import Outcome
from storage.activities import lead_tag_ids
from storage.leads import lead_for_actor, light
from storage.models import Activity, Lead

TIMELINE = 5


def lookup(turn: Turn, name: str) -> Card:
    """The lead `name` means, or the few it may mean to pick from."""
    resolved = resolve_name(turn, name)
    if resolved.outcome is Outcome.MATCH and resolved.lead is not None:
        return lead_card(turn, resolved.lead)
    if resolved.outcome is Outcome.ASK:
        buttons = tuple(
            Button(texts.choice_label(n, lead_name(lead), lead.contact_name, None), "lead_card", {"lead_id": lead.id})
            for n, lead in enumerate(resolved.choices(), 1)
        )
        return Card(title=texts.lookup_which(name), buttons=buttons)
    return Card.text(texts.lookup_none(name))


def lead_card(turn: Turn, lead: Lead) -> Card:
    """Stage, light, amount, tags, owner, next follow-up and the last notes, with 记一笔, 赢单/输单 (open leads) and
    改阶段; a colleague's lead only by owner."""
    if not may_log(turn, lead):
        return Card.text(*texts.owned_by_other_lookup(lead_name(lead), known_name(lead.owner)))
    rules = turn.rules
    tags = lead_tag_ids(turn.session, [lead.id])[lead.id]
    fields = [
        Field(texts.STAGE, rules.stage(lead.stage).label),
        Field(texts.LIGHT, texts.LIGHTS[light(lead, turn.now, rules)]),
        Field(texts.OWNER, texts.YOU if lead.owner_id == turn.actor.id else known_name(lead.owner) or texts.SOMEONE),
    ]
    if lead.contact_name:
        fields.append(Field(texts.CONTACT, lead.contact_name))
    if lead.phone:
        fields.append(Field(texts.PHONE, lead.phone))
    if lead.amount:
        fields.append(Field(texts.AMOUNT, money(lead.amount)))
    if tags:
        fields.append(Field(texts.TAGS, "、".join(rules.tag_label(t) for t in rules.sort_tags(tags))))
    if lead.next_follow_up_at:
        fields.append(Field(texts.NEXT, turn.when(lead.next_follow_up_at, has_time=lead.next_follow_up_has_time)))
    activities = turn.session.scalars(
        select(Activity).where(Activity.lead_id == lead.id).order_by(Activity.id.desc()).limit(TIMELINE)
    ).all()
    timeline = [
        texts.timeline_line(
            turn.when(a.created_at, has_time=False), texts.ACTIVITY_LABELS.get(a.type, a.type), texts.quoted(a.text, 30)
        )
        for a in activities
    ]
    buttons = [Button(texts.NOTE_ON_BUTTON, "note_on", {"lead_id": lead.id}, style="primary")]
    if lead.stage not in rules.closed_stages:
        buttons += [
            Button(texts.WON_BUTTON, "lead_won", {"lead_id": lead.id}),
            Button(texts.LOST_BUTTON, "lead_lost", {"lead_id": lead.id}, style="danger"),
        ]
    buttons.append(Button(texts.STAGE_BUTTON, "stage_menu", {"lead_id": lead.id}))
    return Card(
        title=texts.lead_card_title(lead_name(lead), lead.id),
        lines=tuple(timeline) or (texts.NO_ACTIVITY_YET,),
        fields=tuple(fields),
        buttons=tuple(buttons),
        note=texts.lead_card_note(lead.id),
    )


def show_lead(turn: Turn, value: dict) -> Card:
    return lead_card(turn, lead_for_actor(turn.session, turn.actor, one_id(value, "lead_id")))
