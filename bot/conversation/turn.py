"""One handled message or click: who, when (local time), and the rules in force; and reading button values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.format import when
from config.rules import Rules
from nlp import ParsedNote, parse_note
from storage.models import User
from storage.refusals import Refusal, Why


@dataclass(frozen=True)
class Turn:
    """Everything one handled message needs: who, when (local time), and the rules in force."""

    session: Session
    actor: User
    now: datetime
    rules: Rules
    event_id: int | None
    source: str
    heard: str | None = None
    read: Callable[[str, datetime], ParsedNote] = parse_note

    def when(self, moment: datetime, *, has_time: bool) -> str:
        return when(moment, self.now, self.now.tzinfo, has_time=has_time)  # type: ignore[arg-type]


def ids(value: dict, key: str) -> list[int]:
    """Whole-number ids under `key` of a button value (one or a list); a forged or stale value is refused."""
    raw = value.get(key)
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise Refusal(Why.STALE_BUTTON)
    return items


def one_id(value: dict, key: str) -> int:
    return ids(value, key)[0]
