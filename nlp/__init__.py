"""Read a rep's sales note: tags, activity type, contact, company, phone, amount and follow-up time."""

from __future__ import annotations

from nlp.note import ParsedNote
from nlp.parser import parse_note

__all__ = ["ParsedNote", "parse_note"]
