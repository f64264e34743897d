"""Reps' corrections as labelled notes for the reader (`salesbot nlp corrections --jsonl`).

One record per corrected note, in the corpus schema `salesbot nlp train --examples` reads (tests/data/corpus):
the note's text and time, its tags as corrected, its activity type, and the company, contact and phone as the
rep set them right, or as the reader read them when the rep let them stand.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from config.rules import Rules
from nlp import parse_note
from storage.corrections import CorrectedNote, corrected_notes
from storage.states import CorrectionField

# Corrected field -> the corpus field it labels.
_LABELLED = {
    CorrectionField.COMPANY: "company",
    CorrectionField.CONTACT: "contact_name",
    CorrectionField.PHONE: "phone",
}


def correction_records(session: Session, *, tz: ZoneInfo, rules: Rules) -> list[dict]:
    return [_record(note, tz, rules) for note in corrected_notes(session)]


def _record(note: CorrectedNote, tz: ZoneInfo, rules: Rules) -> dict:
    activity = note.activity
    written_at = activity.created_at.astimezone(tz)
    read = parse_note(activity.text, written_at)
    record = {
        "text": activity.text,
        "now": written_at.isoformat(),
        "tags": rules.sort_tags([t.id for t in activity.tags]),
        "activity_type": activity.type,
        "company": read.company,
        "contact_name": read.contact_name,
        "phone": read.phone,
    }
    for correction in note.corrections:
        if correction.field in _LABELLED:
            record[_LABELLED[correction.field]] = correction.after
    record["corrected"] = sorted({c.field.value for c in note.corrections})
    return record
