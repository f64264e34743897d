"""What the bot asked a person and waits for: a new reminder time, or the day of a vague follow-up.

It is kept on the user (`User.pending`) for a short while; the next plain message may answer it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from storage.models import User

ANSWER_WITHIN = timedelta(minutes=30)


class Question(StrEnum):
    RESCHEDULE = "reschedule"  # a new time for reminder `target_id`
    FOLLOW_UP_DAY = "follow_up"  # the follow-up day of activity `target_id`, which named none


@dataclass(frozen=True)
class Awaited:
    question: Question
    target_id: int


def ask(user: User, question: Question, target_id: int, now: datetime) -> None:
    """Wait for `user`'s answer to `question` about `target_id` (replacing an earlier question)."""
    user.pending = {question.value: target_id, "until": (now + ANSWER_WITHIN).isoformat()}


def take_awaited(user: User, now: datetime) -> Awaited | None:
    """The open question to `user`, if one is still fresh; the question is cleared either way."""
    pending, user.pending = user.pending or {}, None
    if "until" not in pending or datetime.fromisoformat(pending["until"]) < now:
        return None
    for question in Question:
        if isinstance(pending.get(question.value), int):
            return Awaited(question, pending[question.value])
    return None
