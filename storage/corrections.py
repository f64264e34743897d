"""Corrections: a rep sets right what the bot recorded of a note or a lead, and each change is kept (who, when,
which note or lead, the field, before and after) so the reader can learn from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.activities import follow_up_on, latest_activity, tags_by_id
from storage.leads import company_key, find_lead
from storage.models import Activity, Correction, Lead, Tag, User
from storage.refusals import Refusal, Why
from storage.stages import move_stage
from storage.states import CorrectionField

_MOBILE = re.compile(r"1[3-9]\d{9}")


def mobile(text: str) -> str | None:
    """An 11-digit mainland mobile number written with spaces, dashes or +86, normalised; None if it is none."""
    digits = re.sub(r"[\s\-()（）]", "", text).removeprefix("+86").removeprefix("0086")
    return digits if _MOBILE.fullmatch(digits) else None


@dataclass(frozen=True)
class Target:
    """What a correction is about: a lead, and the note on it when the correction is about one."""

    lead: Lead
    activity: Activity | None


def _record(
    session: Session, actor: User, target: Target, field: CorrectionField, before: str | None, after: str | None, now
) -> Correction:
    correction = Correction(
        actor_id=actor.id,
        lead_id=target.lead.id,
        activity_id=target.activity.id if target.activity else None,
        field=field,
        before=before,
        after=after,
        created_at=now,
    )
    session.add(correction)
    return correction


def _note_of(session: Session, target: Target) -> Activity:
    """The note a correction changes: the named one, or the lead's latest."""
    activity = target.activity or latest_activity(session, target.lead)
    if activity is None:
        raise Refusal(Why.NO_NOTE)
    return activity


def _retag(session: Session, actor: User, lead: Lead, activity: Activity, tags: list[Tag], now: datetime) -> None:
    before = ",".join(sorted(t.id for t in activity.tags))
    activity.tags = tags
    after = ",".join(sorted(t.id for t in tags))
    _record(session, actor, Target(lead, activity), CorrectionField.TAGS, before, after, now)


def remove_tag(session: Session, actor: User, target: Target, tag_id: str, now: datetime) -> bool:
    """Take tag `tag_id` off the note (or off every note of the lead); False when none had it."""
    if target.activity is not None:
        notes = [target.activity]
    else:
        notes = list(session.scalars(select(Activity).where(Activity.lead_id == target.lead.id).order_by(Activity.id)))
    tagged = [activity for activity in notes if any(t.id == tag_id for t in activity.tags)]
    for activity in tagged:
        _retag(session, actor, target.lead, activity, [t for t in activity.tags if t.id != tag_id], now)
    return bool(tagged)


def tags_as_read(session: Session, activity: Activity) -> list[str]:
    """The tag ids the note had before anyone corrected them: the first tag correction's `before`, or its tags."""
    before = session.scalar(
        select(Correction.before)
        .where(Correction.activity_id == activity.id, Correction.field == CorrectionField.TAGS)
        .order_by(Correction.id)
        .limit(1)
    )
    if before is None:
        return [t.id for t in activity.tags]
    return [tag for tag in before.split(",") if tag]


def add_tag(session: Session, actor: User, target: Target, tag_id: str, now: datetime, rules: Rules) -> bool:
    """Put tag `tag_id` on the note (or the lead's latest note); False when it is there already."""
    activity = _note_of(session, target)
    if any(t.id == tag_id for t in activity.tags):
        return False
    _retag(session, actor, target.lead, activity, [*activity.tags, *tags_by_id(session, [tag_id], rules)], now)
    return True


def set_company(session: Session, actor: User, target: Target, company: str, now: datetime) -> None:
    """Rename the lead's company; refused (naming it) when another lead has that company already."""
    lead, key = target.lead, company_key(company)
    other = find_lead(session, phone=None, company=company)
    if other is not None and other.id != lead.id:
        raise Refusal(Why.LEAD_EXISTS, lead=other)
    _record(session, actor, target, CorrectionField.COMPANY, lead.company, company, now)
    lead.company, lead.company_key = company, key


def set_contact(session: Session, actor: User, target: Target, contact: str, now: datetime) -> None:
    _record(session, actor, target, CorrectionField.CONTACT, target.lead.contact_name, contact, now)
    target.lead.contact_name = contact


def set_phone(session: Session, actor: User, target: Target, phone: str, now: datetime) -> None:
    """Set the lead's (normalised) phone; refused, naming it, when another lead has this phone."""
    other = find_lead(session, phone=phone, company=None)
    if other is not None and other.id != target.lead.id:
        raise Refusal(Why.LEAD_EXISTS, lead=other)
    _record(session, actor, target, CorrectionField.PHONE, target.lead.phone, phone, now)
    target.lead.phone = phone


def set_follow_up(
    session: Session, actor: User, target: Target, at: datetime, *, has_time: bool, now: datetime, rules: Rules
) -> None:
    """Move the follow-up of the note (or of the lead's latest note) to `at`, and its reminder with it."""
    activity = _note_of(session, target)
    before = target.lead.next_follow_up_at
    follow_up_on(session, activity, at, has_time=has_time, now=now, rules=rules)
    _record(
        session,
        actor,
        Target(target.lead, activity),
        CorrectionField.FOLLOW_UP,
        before.isoformat() if before else None,
        at.isoformat(),
        now,
    )


def set_stage(session: Session, actor: User, target: Target, stage: str, now: datetime) -> None:
    """Move the lead to the open `stage` by hand (a lost lead reopened forgets why it was lost). Closing a lead
    is an outcome (storage.outcomes)."""
    lead = target.lead
    _record(session, actor, target, CorrectionField.STAGE, lead.stage, stage, now)
    move_stage(session, lead, stage, actor=actor, now=now)
    lead.lost_reason = lead.lost_note = None


@dataclass(frozen=True)
class CorrectedNote:
    """A note some correction was about, with its lead and the corrections in order."""

    activity: Activity
    lead: Lead
    corrections: list[Correction]


def corrected_notes(session: Session) -> list[CorrectedNote]:
    """Every note that has corrections, oldest first (notes since undone are left out)."""
    rows = session.execute(
        select(Correction, Activity)
        .join(Activity, Activity.id == Correction.activity_id)
        .order_by(Activity.id, Correction.id)
    ).all()
    notes: dict[int, CorrectedNote] = {}
    for correction, activity in rows:
        notes.setdefault(activity.id, CorrectedNote(activity, activity.lead, [])).corrections.append(correction)
    return list(notes.values())
