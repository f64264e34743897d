"""A rep's note: matched to a lead and logged, answered with what was understood; and the short answers the
bot asked for (a new reminder time, the day of a vague follow-up)."""

from __future__ import annotations

from bot import texts
from bot.cards import Button, Card, Field
from bot.conversation.turn import Turn
from bot.format import known_name, lead_name, money
from nlp import ParsedNote, parse_note
from nlp.lexicon import default_lexicon
from storage.activities import NoteFacts, log_activity, set_follow_up
from storage.awaiting import Question, ask, take_awaited
from storage.leads import match_or_create_lead
from storage.models import Activity, Lead
from storage.reminders import reminder_for_actor, reschedule

# How many characters before the cut the truncation notice quotes, so the rep sees where reading stopped.
QUOTED_BEFORE_CUT = 12


def note(turn: Turn, text: str) -> Card:
    """Log a note on the lead it is about, or say why not."""
    if not text:
        return Card.text(*texts.EMPTY_NOTE)
    parsed = turn.read(text, turn.now)
    match = match_or_create_lead(
        turn.session,
        turn.actor,
        company=parsed.company,
        contact_name=parsed.contact_name,
        phone=parsed.phone,
        now=turn.now,
        rules=turn.rules,
    )
    if match is None:
        if not (parsed.tags or parsed.follow_up_at or parsed.contact_name or parsed.activity_type != "other"):
            return Card.text(*texts.INTRODUCTION)
        return Card.text(*texts.NO_CUSTOMER)
    if match.owned_by_other:
        lead = match.lead
        return Card(
            title=texts.OWNED_BY_OTHER_TITLE,
            lines=texts.owned_by_other(lead_name(lead), lead.id, known_name(lead.owner)),
            level="warning",
        )
    activity = log_activity(
        turn.session,
        turn.actor,
        match.lead,
        text=text,
        facts=NoteFacts(
            activity_type=parsed.activity_type,
            tags=parsed.tags,
            follow_up_at=parsed.follow_up_at,
            follow_up_has_time=parsed.follow_up_has_time,
            amount=parsed.amount,
            stage_signal=parsed.stage_signal,
        ),
        source=turn.source,
        now=turn.now,
        rules=turn.rules,
        inbound_event_id=turn.event_id,
        created_lead=match.created,
    )
    if parsed.follow_up_vague and activity.follow_up_at is None:
        ask(turn.actor, Question.FOLLOW_UP_DAY, activity.id, turn.now)
    return _logged_card(turn, match.lead, activity, parsed, text, created=match.created)


def _logged_card(turn: Turn, lead: Lead, activity: Activity, parsed: ParsedNote, text: str, *, created: bool) -> Card:
    fields = [Field(texts.CUSTOMER, texts.logged_customer(lead_name(lead), lead.id, created=created))]
    if lead.contact_name:
        fields.append(Field(texts.CONTACT, lead.contact_name))
    if lead.phone:
        fields.append(Field(texts.PHONE, lead.phone))
    fields.append(Field(texts.KIND, texts.ACTIVITY_LABELS.get(activity.type, activity.type)))
    fields.append(Field(texts.STAGE, turn.rules.stage(lead.stage).label))
    if parsed.tags:
        fields.append(Field(texts.TAGS, "、".join(turn.rules.tag_label(t) for t in parsed.tags)))
    if parsed.amount:
        fields.append(Field(texts.AMOUNT, money(parsed.amount)))
    if activity.follow_up_at:
        fields.append(Field(texts.NEXT, turn.when(activity.follow_up_at, has_time=activity.follow_up_has_time)))
    elif parsed.follow_up_vague:
        fields.append(Field(texts.NEXT, texts.VAGUE_FOLLOW_UP))
    else:
        fields.append(Field(texts.NEXT, texts.NO_FOLLOW_UP))
    lines = [texts.heard(turn.heard)] if turn.heard else []
    if parsed.truncated:
        lines.append(_truncation(text))
    return Card(
        title=texts.logged_title(lead_name(lead)),
        lines=tuple(lines),
        fields=tuple(fields),
        buttons=(Button(texts.UNDO_BUTTON, "undo", {"activity_id": activity.id}, style="danger"),),
        level="success",
        note=texts.undo_note(turn.rules),
    )


def _truncation(text: str) -> str:
    """What was kept of a note cut at the reader's length limit: all of it is saved, the start was read."""
    limit = default_lexicon().max_chars
    return texts.truncated(limit, text[max(0, limit - QUOTED_BEFORE_CUT) : limit])


def answer_awaited(turn: Turn, text: str) -> Card | None:
    """Answer what the bot asked for (a new reminder time, a follow-up day); None to treat the text as a note."""
    awaited = take_awaited(turn.actor, turn.now)
    if awaited is None:
        return None
    parsed = parse_note(text, turn.now)
    if parsed.follow_up_at is None or parsed.company or parsed.phone:
        return None
    at, has_time = parsed.follow_up_at, parsed.follow_up_has_time
    when = turn.when(at, has_time=has_time)
    if awaited.question is Question.RESCHEDULE:
        reminder = reminder_for_actor(turn.session, turn.actor, awaited.target_id)
        reschedule(turn.session, reminder, at, has_time=has_time, rules=turn.rules)
        return Card.text(texts.rescheduled(when))
    if not set_follow_up(
        turn.session, turn.actor, awaited.target_id, at, has_time=has_time, now=turn.now, rules=turn.rules
    ):
        return None
    return Card.text(texts.follow_up_set(when))
