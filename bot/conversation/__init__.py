"""The platform-neutral conversation: an inbound message becomes storage actions and reply cards.

Platforms, `salesbot chat` and tests call only `handle` and `handle_action`. Nothing here knows a
platform's envelope; business rules live in storage/ and are composed here: notes in `notes`, short
commands in `commands`, card buttons in `buttons`, and every sentence in bot/texts.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot import texts
from bot.cards import Card
from bot.conversation.buttons import ACTIONS
from bot.conversation.commands import COMMANDS, help_card, respond
from bot.conversation.lookup import lookup
from bot.conversation.notes import answer_awaited, answer_which, note
from bot.conversation.refusals import explain
from bot.conversation.turn import Turn
from bot.platforms.base import CardAction, InboundMessage
from config.rules import Rules
from nlp import ParsedNote, parse_note
from nlp.intents import Intent, read_command
from storage.greetings import CHAT_OPENED_KINDS, first_opening_today
from storage.identity import IdentityKey
from storage.people import ensure_user
from storage.refusals import Refusal, Why

EXAMPLE = texts.EXAMPLE

__all__ = ["ACTIONS", "COMMANDS", "EXAMPLE", "Turn", "handle", "handle_action", "help_card"]


def handle(
    session: Session,
    message: InboundMessage,
    *,
    now: datetime,
    tz: ZoneInfo,
    rules: Rules,
    event_id: int | None = None,
    read: Callable[[str, datetime], ParsedNote] = parse_note,
) -> list[Card]:
    """Answer one message from a person (no card at all for a second opening of the chat in a day). Raises
    only for unexpected failures (the caller apologises). `read` reads a note (the local reader by default)."""
    actor = ensure_user(session, message.sender, name=message.sender_name, now=now)
    if actor.deactivated_at is not None:
        return [Card.text(texts.DEACTIVATED)]
    heard = message.text if message.extra.get("transcript") else None
    turn = Turn(session, actor, now.astimezone(tz), rules, event_id, message.channel, heard, read)
    if message.kind == "unsupported":
        return [Card.text(texts.UNSUPPORTED)]
    if message.kind in CHAT_OPENED_KINDS:
        return _greet(turn, message.sender)
    if message.kind == "voice":  # the platform could not turn it into text
        return [Card.text(texts.VOICE_NOT_HEARD)]
    text = message.text.strip()
    try:
        command = respond(turn, text)
        if command is not None:
            return [command]
        asked = read_command(text)
        if asked is not None and asked.intent is Intent.CHOOSE:
            chosen = answer_which(turn, asked.value)
            if chosen is not None:
                return chosen
        if asked is not None and asked.intent is Intent.LOOKUP:
            return [lookup(turn, asked.value)]
        answer = answer_awaited(turn, text)
        if answer is not None:
            return [answer]
        return note(turn, text)
    except Refusal as refusal:
        return [Card.text(explain(refusal, rules))]


def _greet(turn: Turn, sender: str) -> list[Card]:
    """The welcome card, the first time this person opens the chat in the (local) day."""
    day_start = datetime.combine(turn.now.date(), time(), tzinfo=turn.now.tzinfo)
    if not first_opening_today(turn.session, sender, event_id=turn.event_id, day_start=day_start):
        return []
    return [help_card(turn.rules, turn.actor, greeting=True)]


def handle_action(session: Session, click: CardAction, *, tz: ZoneInfo, rules: Rules) -> Card:
    """Carry out a card button for the person who clicked it; the returned card replaces the clicked one
    (unless it is a refusal, which platforms show without touching the card)."""
    actor = ensure_user(session, click.actor, name=None, now=click.received_at)
    if actor.deactivated_at is not None:
        return Card.refusal(texts.DEACTIVATED)
    turn = Turn(session, actor, click.received_at.astimezone(tz), rules, None, IdentityKey.parse(click.actor).platform)
    handler = ACTIONS.get(click.action)
    if handler is None:
        return Card.refusal(texts.REFUSALS[Why.STALE_BUTTON])
    try:
        return handler(turn, click.value)
    except Refusal as refusal:
        return Card.refusal(explain(refusal, rules))
