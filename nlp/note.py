"""The parsed note: what the parser read in one rep's message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ParsedNote:
    """Everything `parse_note` read in one note.

    `risk_words` are the exact words of the note (after full-width to half-width and lower-casing) that
    triggered a tag marked `risk = true` in config/tags.toml (price_sensitive, competitor, hesitant and
    lost by default), in the order they appear; a manager's card can quote them.
    `follow_up_has_time` is true when a clock time or a part of the day (上午, 下午, 今晚) was stated.
    `follow_up_vague` is true when no follow-up date was found but a vague span (下周, 过几天, 月初) was
    mentioned, so the bot can ask for a day. `truncated` is true when the note was cut at the length limit.
    """

    tags: tuple[str, ...] = ()
    activity_type: str = "other"
    contact_name: str | None = None
    company: str | None = None
    phone: str | None = None
    amount: int | float | None = None
    follow_up_at: datetime | None = None
    follow_up_has_time: bool = False
    risk_words: tuple[str, ...] = ()
    follow_up_vague: bool = False
    truncated: bool = False
    stage_signal: str | None = None
    # One note per customer the note is about, in text order (the note itself when it is about one).
    parts: tuple[ParsedNote, ...] = ()
    # The piece of the note a part was read from (empty for a note about one customer).
    text: str = ""

    def to_json(self) -> dict:
        """The JSON object of the `salesbot parse` contract (docs/nlp.md): the first customer's fields,
        and `parts` with the same fields for each customer."""
        return {**self._fields(), "parts": [part._fields() for part in self.parts or (self,)]}

    def _fields(self) -> dict:
        return {
            "tags": list(self.tags),
            "activity_type": self.activity_type,
            "contact_name": self.contact_name,
            "company": self.company,
            "phone": self.phone,
            "amount": self.amount,
            "follow_up_at": self.follow_up_at.isoformat() if self.follow_up_at else None,
            "follow_up_has_time": self.follow_up_has_time,
            "risk_words": list(self.risk_words),
            "stage_signal": self.stage_signal,
        }
