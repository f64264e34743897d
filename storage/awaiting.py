"""What the bot asked a person and waits for: a new reminder time, the day of a vague follow-up, or which
customer a note is about.

It is kept on the user (`User.pending`) for a short while. The next plain message may answer a question about a
time; a note held for "which customer?" stays until it is answered (by a button or by typing 1, 2 or 新的) or
its time is up, so nothing the rep wrote is lost to another message in between.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from storage.models import User

ANSWER_WITHIN = timedelta(minutes=30)
HOLD_NOTES_FOR = timedelta(hours=24)
MAX_HELD_NOTES = 5
_NOTES = "notes"


class Question(StrEnum):
    RESCHEDULE = "reschedule"  # a new time for reminder `target_id`
    FOLLOW_UP_DAY = "follow_up"  # the follow-up day of activity `target_id`, which named none
    NOTE_ON = "note_on"  # the next note is about lead `target_id` (the 记一笔 button)


@dataclass(frozen=True)
class Awaited:
    question: Question
    target_id: int


@dataclass(frozen=True)
class HeldNote:
    """A note waiting for the rep to say which customer it is about."""

    token: str
    text: str
    choices: tuple[int, ...]  # the leads offered, in the order shown
    event_id: int | None
    # When the rep sent it: "明天" in a note answered the next morning is still the day after it was sent.
    sent_at: datetime


def ask(user: User, question: Question, target_id: int, now: datetime) -> None:
    """Wait for `user`'s answer to `question` about `target_id` (replacing an earlier question)."""
    user.pending = {**_held(user), question.value: target_id, "until": (now + ANSWER_WITHIN).isoformat()}


def take_awaited(user: User, now: datetime) -> Awaited | None:
    """The open question to `user`, if one is still fresh; the question is cleared either way (held notes
    stay)."""
    pending, user.pending = user.pending or {}, _held(user) or None
    if "until" not in pending or datetime.fromisoformat(pending["until"]) < now:
        return None
    for question in Question:
        if isinstance(pending.get(question.value), int):
            return Awaited(question, pending[question.value])
    return None


def hold_note(user: User, text: str, choices: list[int], event_id: int | None, now: datetime) -> HeldNote:
    """Keep `text` until the rep says which of `choices` (or a new customer) it is about."""
    note = HeldNote(secrets.token_hex(4), text, tuple(choices), event_id, now)
    kept = [n for n in _held(user).get(_NOTES, []) if datetime.fromisoformat(n["until"]) >= now]
    entry = {"token": note.token, "text": text, "choices": choices, "event": event_id, "sent": now.isoformat()}
    kept = [*kept, entry | {"until": (now + HOLD_NOTES_FOR).isoformat()}][-MAX_HELD_NOTES:]
    user.pending = {**(user.pending or {}), _NOTES: kept}
    return note


def held_note(user: User, now: datetime, token: str | None = None) -> HeldNote | None:
    """The held note `token` (or the latest one) if it is still held."""
    for entry in reversed(_held(user).get(_NOTES, [])):
        if (token is None or entry["token"] == token) and datetime.fromisoformat(entry["until"]) >= now:
            # A note held before `sent` was kept reads as of the hold's start (it is held for HOLD_NOTES_FOR).
            sent = entry.get("sent") or (datetime.fromisoformat(entry["until"]) - HOLD_NOTES_FOR).isoformat()
            return HeldNote(
                entry["token"], entry["text"], tuple(entry["choices"]), entry["event"], datetime.fromisoformat(sent)
            )
    return None


def release_note(user: User, token: str) -> None:
    """Forget a held note: it was answered."""
    kept = [n for n in _held(user).get(_NOTES, []) if n["token"] != token]
    rest = {k: v for k, v in (user.pending or {}).items() if k != _NOTES}
    user.pending = ({**rest, _NOTES: kept} if kept else rest) or None


def _held(user: User) -> dict:
    notes = (user.pending or {}).get(_NOTES)
    return {_NOTES: notes} if notes else {}
