"""A rep's note: resolved to the lead it is about (or one lead per customer it names) and logged, answered with
what was understood; a question card when the customer is not clear; and the short answers the bot asked for
(which customer, a new reminder time, the day of a vague follow-up)."""

from __future__ import annotations

from dataclasses import replace

from bot import texts
from bot.cards import MAX_BUTTONS, Button, Card, Field
from bot.conversation.lookup import lookup
from bot.conversation.resolving import Resolved, may_log, resolve_part
from bot.conversation.turn import Turn, one_id
from bot.format import known_name, lead_name, money
from nlp import ParsedNote, parse_note
from nlp.intents import bare_name
from nlp.lexicon import default_lexicon
from nlp.resolve import MAX_CHOICES, Outcome
from storage import corrections
from storage.activities import NoteFacts, log_activity, set_follow_up, undo_activity, undoable
from storage.awaiting import Question, ask, held_note, hold_note, release_note, take_awaited
from storage.leads import lead_for_actor, match_or_create_lead
from storage.models import Activity, Lead
from storage.refusals import Refusal, Why
from storage.reminders import reminder_for_actor, reschedule
from storage.resolution import recent_leads

# How many characters before the cut the truncation notice quotes, so the rep sees where reading stopped.
QUOTED_BEFORE_CUT = 12


def note(turn: Turn, text: str) -> list[Card]:
    """Log a note on the lead (or, for a note about several customers, each part on its lead), ask which
    customer when that is not clear, or say why nothing was logged."""
    if not text:
        return [Card.text(*texts.EMPTY_NOTE)]
    parsed = turn.read(text, turn.now)
    parts = parsed.parts if len(parsed.parts) > 1 else ()
    if not parts and (name := bare_name(text, parsed)):
        return [lookup(turn, name)]
    if not parts:
        return [_one(turn, text, parsed)]
    return _several(turn, parsed, parts)


def _one(turn: Turn, text: str, parsed: ParsedNote) -> Card:
    resolved = resolve_part(turn, text, parsed)
    if resolved.outcome is Outcome.ASK:
        return _which(turn, text, resolved.choices())
    if resolved.outcome is Outcome.UNKNOWN:
        if not _says_something(parsed):
            return Card.text(*texts.INTRODUCTION)
        recent = recent_leads(turn.session, turn.actor, MAX_CHOICES)
        return _which(turn, text, recent) if recent else Card.text(*texts.NO_CUSTOMER)
    lead, created = _lead_for(turn, resolved, parsed)
    if lead is None:
        return Card.text(*texts.NO_CUSTOMER)
    if not may_log(turn, lead):
        return _owned_by_other(lead)
    activity = _log(turn, lead, text, parsed, created=created, event_id=turn.event_id)
    context = resolved.resolution.evidence.endswith("right after a note")
    return _logged_card(turn, lead, activity, parsed, text, created=created, context=context, heard=turn.heard)


def _several(turn: Turn, parsed: ParsedNote, parts: tuple[ParsedNote, ...]) -> list[Card]:
    """今天跑了两家：… each customer on its own lead, one card listing them, and a question for each part whose
    customer is not clear."""
    logged: list[tuple[Lead, Activity]] = []
    questions = []
    for part in parts:
        resolved = resolve_part(turn, part.text, part, context=False)
        lead, created = (None, False) if resolved.outcome is Outcome.ASK else _lead_for(turn, resolved, part)
        if resolved.outcome is Outcome.ASK:
            questions.append(_which(turn, part.text, resolved.choices()))
            continue
        if lead is None:
            questions.append(Card.text(texts.quoted(part.text), *texts.NO_CUSTOMER))
            continue
        if not may_log(turn, lead):
            questions.append(_owned_by_other(lead))
            continue
        # One inbound message, one activity per event id: the first part carries it.
        event_id = turn.event_id if not logged else None
        logged.append((lead, _log(turn, lead, part.text, part, created=created, event_id=event_id)))
    if not logged:
        return questions
    return [_parts_card(turn, logged, heard=turn.heard), *questions]


def _parts_card(turn: Turn, logged: list[tuple[Lead, Activity]], *, heard: str | None) -> Card:
    """The card of a note about several customers: a line per customer with what was logged, 撤销① … and, as far
    as the card has room, ①去掉 TAG (or ①加回 TAG) per customer's tag. The tag buttons carry every part's
    activity, so the card a tap answers with is this card again."""
    remembered: dict = {"parts": [activity.id for _, activity in logged]}
    if heard:
        remembered["heard"] = True
    lines, undo, tag_buttons = [], [], []
    for n, (lead, activity) in enumerate(logged, 1):
        tags = tuple(turn.rules.sort_tags([t.id for t in activity.tags]))
        summary = _summary(turn, tags, activity)
        lines.append(texts.part_line(n, lead_name(lead), lead.id, created=activity.created_lead, summary=summary))
        undo.append(Button(texts.undo_part(n), "undo", {"activity_id": activity.id}, style="danger"))
        read = tuple(corrections.tags_as_read(turn.session, activity))
        tag_buttons += [
            replace(b, label=texts.circled(n) + b.label) for b in _tag_buttons(turn, activity, tags, read, remembered)
        ]
    return Card(
        title=texts.parts_title(len(lines)),
        lines=(*((texts.heard(heard),) if heard else ()), *lines),
        buttons=(*undo, *tag_buttons[: MAX_BUTTONS - len(undo)]),
        level="success",
        note=texts.undo_note(turn.rules),
    )


def _summary(turn: Turn, tags: tuple[str, ...], activity: Activity) -> str:
    bits = ["、".join(turn.rules.tag_label(t) for t in tags)] if tags else []
    if activity.follow_up_at:
        bits.append(texts.next_follow_up(turn.when(activity.follow_up_at, has_time=activity.follow_up_has_time)))
    return "：" + "；".join(bits) if bits else ""


def _says_something(parsed: ParsedNote) -> bool:
    return bool(parsed.tags or parsed.follow_up_at or parsed.contact_name or parsed.activity_type != "other")


def _lead_for(turn: Turn, resolved: Resolved, part: ParsedNote) -> tuple[Lead | None, bool]:
    """(the lead, created): the matched lead, or a new one when the part names a company or phone."""
    return (resolved.lead, False) if resolved.lead is not None else _new_lead(turn, part)


def _new_lead(turn: Turn, part: ParsedNote) -> tuple[Lead | None, bool]:
    """(a new lead for the part's company or phone, True); an exact same name or phone gives the existing lead
    (False); (None, False) when the part names neither."""
    match = match_or_create_lead(
        turn.session,
        turn.actor,
        company=part.company,
        contact_name=part.contact_name,
        phone=part.phone,
        now=turn.now,
        rules=turn.rules,
    )
    return (match.lead, match.created) if match else (None, False)


def _owned_by_other(lead: Lead) -> Card:
    return Card(
        title=texts.OWNED_BY_OTHER_TITLE,
        lines=texts.owned_by_other(lead_name(lead), lead.id, known_name(lead.owner)),
        level="warning",
    )


def _log(turn: Turn, lead: Lead, text: str, part: ParsedNote, *, created: bool, event_id: int | None) -> Activity:
    activity = log_activity(
        turn.session,
        turn.actor,
        lead,
        text=text,
        facts=NoteFacts(
            activity_type=part.activity_type,
            tags=part.tags,
            follow_up_at=part.follow_up_at,
            follow_up_has_time=part.follow_up_has_time,
            amount=part.amount,
            stage_signal=part.stage_signal,
        ),
        source=turn.source,
        now=turn.now,
        rules=turn.rules,
        inbound_event_id=event_id,
        created_lead=created,
    )
    if part.follow_up_vague and activity.follow_up_at is None:
        ask(turn.actor, Question.FOLLOW_UP_DAY, activity.id, turn.now)
    return activity


def log_on(turn: Turn, lead: Lead, text: str) -> Card:
    """Log `text` on `lead`, which the rep chose."""
    parsed = turn.read(text, turn.now)
    activity = _log(turn, lead, text, parsed, created=False, event_id=turn.event_id)
    return _logged_card(turn, lead, activity, parsed, text, created=False, heard=turn.heard)


def _which(turn: Turn, text: str, choices: list[Lead]) -> Card:
    """Hold the note and ask which customer it is about: up to three leads and 新客户."""
    held = hold_note(turn.actor, text, [lead.id for lead in choices], turn.event_id, turn.now)
    buttons = [
        Button(
            texts.choice_label(
                n, lead_name(lead), lead.contact_name, None if may_log(turn, lead) else known_name(lead.owner)
            ),
            "which_lead",
            {"token": held.token, "lead_id": lead.id},
        )
        for n, lead in enumerate(choices, 1)
    ]
    buttons.append(Button(texts.WHICH_NEW, "which_lead", {"token": held.token, "new": True}))
    return Card(title=texts.WHICH_TITLE, lines=(texts.quoted(text), texts.WHICH_NOTE), buttons=tuple(buttons))


def answer_which(turn: Turn, choice: str, token: str | None = None) -> list[Card] | None:
    """Log a held note on the lead the rep chose ("1".."3" or "new", typed or by button); None when no note is
    held (then "1" is an ordinary message)."""
    held = held_note(turn.actor, turn.now, token)
    if held is None:
        if token is not None:
            raise Refusal(Why.STALE_BUTTON)
        return None
    parsed = turn.read(held.text, held.sent_at.astimezone(turn.now.tzinfo))
    if choice == "new":
        release_note(turn.actor, held.token)
        lead, created = _new_lead(turn, parsed)
        if lead is None:
            return [Card.text(texts.NEED_COMPANY_FOR_NEW)]
    else:
        index = int(choice) - 1 if choice.isdigit() else -1
        if not 0 <= index < len(held.choices):
            return None
        release_note(turn.actor, held.token)
        lead, created = lead_for_actor(turn.session, turn.actor, held.choices[index]), False
    if not may_log(turn, lead):
        return [_owned_by_other(lead)]
    activity = _log(turn, lead, held.text, parsed, created=created, event_id=turn.event_id)
    return [_logged_card(turn, lead, activity, parsed, held.text, created=created, heard=turn.heard)]


def which_button(turn: Turn, value: dict) -> Card:
    """A lead (or 新客户) picked on a question card."""
    token = value.get("token")
    if not isinstance(token, str):
        raise Refusal(Why.STALE_BUTTON)
    choice = "new" if value.get("new") is True else None
    if choice is None:
        lead_id = one_id(value, "lead_id")
        held = held_note(turn.actor, turn.now, token)
        if held is None or lead_id not in held.choices:
            raise Refusal(Why.STALE_BUTTON)
        choice = str(held.choices.index(lead_id) + 1)
    cards = answer_which(turn, choice, token)
    if not cards:
        raise Refusal(Why.STALE_BUTTON)
    return cards[0]


def note_on_button(turn: Turn, value: dict) -> Card:
    lead = lead_for_actor(turn.session, turn.actor, one_id(value, "lead_id"))
    ask(turn.actor, Question.NOTE_ON, lead.id, turn.now)
    return Card.text(texts.NOTE_ON_PROMPT)


def move_note_button(turn: Turn, value: dict) -> Card:
    """不是这家: offer the rep's other recent leads for the note just logged by context."""
    activity = undoable(turn.session, turn.actor, one_id(value, "activity_id"), turn.now, turn.rules)
    others = [lead for lead in recent_leads(turn.session, turn.actor, MAX_CHOICES + 1) if lead.id != activity.lead_id]
    buttons = tuple(
        Button(
            texts.choice_label(n, lead_name(lead), lead.contact_name, None),
            "move_note_to",
            {"activity_id": activity.id, "lead_id": lead.id},
        )
        for n, lead in enumerate(others[:MAX_CHOICES], 1)
    )
    return Card(title=texts.MOVE_TITLE, lines=(texts.quoted(activity.text), texts.MOVE_NOTE), buttons=buttons)


def move_note_to_button(turn: Turn, value: dict) -> Card:
    """Move the note to the lead picked: it is undone where it was and logged again on that lead."""
    activity = undoable(turn.session, turn.actor, one_id(value, "activity_id"), turn.now, turn.rules)
    lead = lead_for_actor(turn.session, turn.actor, one_id(value, "lead_id"))
    text = activity.text
    undo_activity(turn.session, activity)
    turn.session.flush()
    return log_on(turn, lead, text)


def _logged_card(
    turn: Turn,
    lead: Lead,
    activity: Activity,
    parsed: ParsedNote,
    text: str,
    *,
    created: bool,
    context: bool = False,
    heard: str | None = None,
    read_tags: tuple[str, ...] | None = None,
) -> Card:
    """What was logged, with 撤销 and a button per tag to take it off (or put back one taken off: `read_tags`
    are those the note was read with) as far as the card has room. A note filed by `context` (right after a
    note, naming no customer) says so and ends with 不是这家; `heard` is a voice message's transcript. The tag
    buttons remember both, so the card a tap answers with is the same card."""
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
    lines = [texts.context_line(lead_name(lead))] if context else []
    if heard:
        lines.append(texts.heard(heard))
    if parsed.truncated:
        lines.append(_truncation(text))
    more = (Button(texts.NOT_THIS_ONE, "move_note", {"activity_id": activity.id}),) if context else ()
    remembered = {"context": True} if context else {}
    if heard:
        remembered["heard"] = True
    tag_buttons = _tag_buttons(turn, activity, parsed.tags, read_tags or parsed.tags, remembered)
    return Card(
        title=texts.logged_title(lead_name(lead)),
        lines=tuple(lines),
        fields=tuple(fields),
        buttons=(
            Button(texts.UNDO_BUTTON, "undo", {"activity_id": activity.id}, style="danger"),
            *tag_buttons[: MAX_BUTTONS - 1 - len(more)],
            *more,
        ),
        level="success",
        note=texts.undo_note(turn.rules),
    )


def _tag_buttons(
    turn: Turn, activity: Activity, tags: tuple[str, ...], read_tags: tuple[str, ...], remembered: dict[str, bool]
) -> list[Button]:
    """去掉 TAG for each tag the note has, 加回 TAG for each it was read with and no longer has (taxonomy order);
    `remembered` goes with each button (what the card showed beside the fields)."""
    return [
        Button(
            (texts.tag_off_button if tag in tags else texts.tag_back_button)(turn.rules.tag_label(tag)),
            "note_tag",
            {"activity_id": activity.id, "tag": tag, "on": tag not in tags, **remembered},
        )
        for tag in turn.rules.sort_tags(list({*tags, *read_tags}))
    ]


def note_tag_button(turn: Turn, value: dict) -> Card:
    """去掉/加回 TAG on a logged note's card: the tag taken off or put back as a stored correction (as the typed
    去掉/加 would), answered with the card as it now is. A repeated tap finds the tag as wanted and changes
    nothing."""
    activity = turn.session.get(Activity, one_id(value, "activity_id"))
    if activity is None:
        raise Refusal(Why.ACTIVITY_GONE)
    lead = lead_for_actor(turn.session, turn.actor, activity.lead_id)
    tag, on = value.get("tag"), value.get("on")
    if not isinstance(tag, str) or tag not in turn.rules.tag_labels or not isinstance(on, bool):
        raise Refusal(Why.STALE_BUTTON)
    target = corrections.Target(lead, activity)
    if on:
        corrections.add_tag(turn.session, turn.actor, target, tag, turn.now, turn.rules)
    else:
        corrections.remove_tag(turn.session, turn.actor, target, tag, turn.now)
    turn.session.flush()
    parts = value.get("parts")
    if parts is not None:
        return _parts_card_again(turn, parts, activity, heard=value.get("heard") is True)
    read = turn.read(activity.text, activity.created_at.astimezone(turn.now.tzinfo))
    tags = tuple(turn.rules.sort_tags([t.id for t in activity.tags]))
    return _logged_card(
        turn,
        lead,
        activity,
        replace(read, tags=tags),
        activity.text,
        created=activity.created_lead,
        context=value.get("context") is True,
        heard=activity.text if value.get("heard") is True else None,
        read_tags=tuple(corrections.tags_as_read(turn.session, activity)),
    )


def _parts_card_again(turn: Turn, parts: object, tapped: Activity, *, heard: bool) -> Card:
    """The card of a note about several customers as it now is, after a tag tap on it; a part undone since is
    left out."""
    if not isinstance(parts, list) or tapped.id not in parts or not all(isinstance(i, int) for i in parts):
        raise Refusal(Why.STALE_BUTTON)
    activities = [a for i in parts if (a := turn.session.get(Activity, i)) is not None]
    logged = [(lead_for_actor(turn.session, turn.actor, a.lead_id), a) for a in activities]
    # The parts were cut at the punctuation between them, which is not stored: a comma stands in for it.
    return _parts_card(turn, logged, heard="，".join(a.text for a in activities) if heard else None)


def _truncation(text: str) -> str:
    """What was kept of a note cut at the reader's length limit: all of it is saved, the start was read."""
    limit = default_lexicon().max_chars
    return texts.truncated(limit, text[max(0, limit - QUOTED_BEFORE_CUT) : limit])


def answer_awaited(turn: Turn, text: str) -> Card | None:
    """Answer what the bot asked for (a new reminder time, a follow-up day); None to treat the text as a note."""
    awaited = take_awaited(turn.actor, turn.now)
    if awaited is None:
        return None
    if awaited.question is Question.NOTE_ON:
        lead = lead_for_actor(turn.session, turn.actor, awaited.target_id)
        return log_on(turn, lead, text)
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
