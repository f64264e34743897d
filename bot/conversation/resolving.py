"""Which lead one customer of a note is about: storage's candidates, judged by `nlp.resolve`.

Only leads with something in common with the message are judged (a two-character piece of the name, its
sound, the contact's family name, the phone, or the note just before), so a rep with hundreds of leads is
answered as fast as one with three.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from bot.conversation.turn import Turn
from nlp import ParsedNote
from nlp.company_names import company_name, fold
from nlp.resolve import CONTEXT_MINUTES, Candidate, Mention, Outcome, Resolution, resolve
from storage.activities import last_note, latest_notes
from storage.leads import can_act
from storage.models import Lead
from storage.resolution import resolution_pool

NOTES_PER_LEAD = 3  # each lead's latest notes, for the topics they share with the message


@dataclass(frozen=True)
class Resolved:
    resolution: Resolution
    leads: dict[int, Lead]  # the leads judged, by id

    @property
    def lead(self) -> Lead | None:
        return self.leads.get(self.resolution.lead_id) if self.resolution.lead_id else None

    @property
    def outcome(self) -> Outcome:
        return self.resolution.outcome

    def choices(self) -> list[Lead]:
        return [self.leads[i] for i in self.resolution.choices]


def resolve_part(turn: Turn, text: str, part: ParsedNote, *, context: bool = True) -> Resolved:
    """The lead `part` (read from `text`) is about. `context`: the rep's last note may decide (a message
    that names no customer right after a note is about that note's lead)."""
    recent = last_note(turn.session, turn.actor) if context else None
    minutes = int((turn.now - recent.created_at).total_seconds() // 60) if recent else None
    recent_id = recent.lead_id if recent and minutes is not None and 0 <= minutes <= CONTEXT_MINUTES else None
    said = _Said(text, part)
    pool = [lead for lead in resolution_pool(turn.session, turn.actor) if lead.id == recent_id or said.may_mean(lead)]
    notes = latest_notes(turn.session, [lead.id for lead in pool], per_lead=NOTES_PER_LEAD)
    candidates = [
        Candidate(
            id=lead.id,
            company=lead.company,
            contact=lead.contact_name,
            phone=lead.phone,
            mine=lead.owner_id == turn.actor.id,
            notes=notes.get(lead.id, ()),
            minutes_since_last_note=minutes if recent and lead.id == recent.lead_id else None,
        )
        for lead in pool
    ]
    mention = Mention(text, company=part.company, contact=part.contact_name, phone=part.phone)
    return Resolved(resolve(mention, candidates), {lead.id: lead for lead in pool})


class _Said:
    """What a message offers to tell leads apart cheaply: its folded text and the sound of each pair of
    characters."""

    def __init__(self, text: str, part: ParsedNote) -> None:
        self.part, self.folded = part, fold(text)
        syllables = lazy_pinyin(self.folded)
        self.sounds = {tuple(syllables[i : i + 2]) for i in range(len(syllables) - 1)}

    def may_mean(self, lead: Lead) -> bool:
        if self.part.phone and lead.phone == self.part.phone:
            return True
        if lead.contact_name and fold(lead.contact_name)[:1] in self.folded:
            return True
        if not lead.company:
            return False
        pairs, sounds = _pieces(lead.company)
        return any(pair in self.folded for pair in pairs) or not self.sounds.isdisjoint(sounds)


@functools.lru_cache(maxsize=8192)
def _pieces(company: str) -> tuple[tuple[str, ...], frozenset[tuple[str, ...]]]:
    """Each pair of characters of a company's 字号, and the sound of each pair."""
    core = company_name(company).core or fold(company)
    syllables = lazy_pinyin(core)
    pairs = tuple(core[i : i + 2] for i in range(max(1, len(core) - 1)))
    return pairs, frozenset(tuple(syllables[i : i + 2]) for i in range(max(1, len(syllables) - 1)))


def resolve_name(turn: Turn, name: str) -> Resolved:
    """The lead a customer's name alone means ("查 华力", "华力 阶段 报价"), as a note naming it would be read."""
    return resolve_part(turn, name, ParsedNote(company=name), context=False)


def may_log(turn: Turn, lead: Lead) -> bool:
    """The rep may log on this lead (theirs, or one they manage); else it gets the collision notice."""
    return can_act(turn.session, turn.actor, lead)
