"""Writing an imported ledger: new leads in bulk, details filled into leads that exist, a note per row.

The caller (bot/ledger) decides which row is which lead; this module only writes, inside the caller's one
transaction, so a failure anywhere leaves nothing behind. New leads, their notes, the notes' tags and the
follow-up reminders go in as one bulk write per table and batch (`storage.bulk`: COPY on PostgreSQL), not one
round trip per row.

An imported lead is `source=import`; its last activity is the ledger's last-contact date (so its light is right
from the first day); its notes are activities with `source="import"` dated that day. A follow-up still ahead gets
its reminder; one already past stays on the lead (the rep's 今日待办 shows it) without a reminder that would
fire at once. No stage change is recorded: the ledger's stage is where the lead stands, not a move this week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, any_, literal, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.activities import reminder_time, tags_by_id
from storage.bulk import insert_rows
from storage.leads import company_key
from storage.models import Activity, Lead, Reminder, activity_tags
from storage.states import LeadSource, ReminderStatus

SOURCE = "import"  # the activities' source


@dataclass
class ImportedNote:
    text: str
    activity_type: str
    tags: tuple[str, ...]
    at: datetime


@dataclass
class LeadDetails:
    """What a ledger row says of a lead, in storage's terms."""

    owner_id: int
    company: str | None = None
    name_block: str | None = None  # the company's block (`Lead.name_block`)
    contact_name: str | None = None
    phone: str | None = None
    stage: str | None = None
    amount: int | None = None
    last_contact_at: datetime | None = None
    follow_up_at: datetime | None = None
    follow_up_has_time: bool = False
    notes: list[ImportedNote] = field(default_factory=list)

    def absorb(self, other: LeadDetails, rules: Rules) -> None:
        """A later row about the same customer: its details fill what this one lacks, its notes are added."""
        if self.company is None:
            self.company, self.name_block = other.company, other.name_block
        for name in ("contact_name", "phone", "amount"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))
        if other.stage and (self.stage is None or rules.is_advance(self.stage, other.stage)):
            self.stage = other.stage
        self.last_contact_at = _latest(self.last_contact_at, other.last_contact_at)
        if other.follow_up_at and (self.follow_up_at is None or other.follow_up_at > self.follow_up_at):
            self.follow_up_at, self.follow_up_has_time = other.follow_up_at, other.follow_up_has_time
        self.notes += other.notes


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(x for x in (a, b) if x is not None) if (a or b) else None


CHUNK = 900  # values in one IN (...) on SQLite: well inside its limit on a statement's parameters


@dataclass(frozen=True, slots=True)
class KnownLead:
    id: int
    company: str | None
    contact_name: str | None
    phone: str | None
    company_key: str | None
    name_block: str | None


def lead_names(session: Session, *, after: int, limit: int) -> list[tuple[int, str, str | None]]:
    """(id, company, name block) of up to `limit` leads with a company and an id above `after`, by id: the
    leads' names a page at a time, so blocks can be brought up to date as they are read."""
    found = (
        select(Lead.id, Lead.company, Lead.name_block)
        .where(Lead.id > after, Lead.company.is_not(None))
        .order_by(Lead.id)
        .limit(limit)
    )
    return [(lead_id, company, block) for lead_id, company, block in session.execute(found)]


def set_name_blocks(session: Session, blocks: list[tuple[int, str | None]]) -> None:
    """Store each lead's block: (lead id, block)."""
    if blocks:
        session.execute(update(Lead), [{"id": lead_id, "name_block": block} for lead_id, block in blocks])


def leads_sharing(session: Session, *, blocks: set[str], phones: set[str], company_keys: set[str]) -> list[KnownLead]:
    """The leads in any of `blocks`, or holding one of `phones` or `company_keys`: those a batch of rows may
    be about. One query per column (per CHUNK values on SQLite), each a few index look-ups however many leads
    there are.

    On PostgreSQL the values go as one array (`= ANY`), 4× faster than 900 parameters of an IN, and the planner
    is told to use the indexes: it knows nothing of the leads an import has added in its own transaction (no
    ANALYZE has seen them) and, taking the table for small, read all of it for every look-up (100,000 rows
    took 172 s instead of 40). SQLite's planner takes the index for IN on its own."""
    columns = (Lead.id, Lead.company, Lead.contact_name, Lead.phone, Lead.company_key, Lead.name_block)
    postgres = session.get_bind().dialect.name == "postgresql"
    found: dict[int, KnownLead] = {}
    if postgres:
        session.execute(text("SET LOCAL enable_seqscan = off"))
    for column, values in ((Lead.name_block, blocks), (Lead.phone, phones), (Lead.company_key, company_keys)):
        ordered = sorted(values)
        for among in _among(column, ordered, postgres):
            for row in session.execute(select(*columns).where(among)):
                found.setdefault(row.id, KnownLead(*row))
    if postgres:
        session.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
    return list(found.values())


def _among(column: Any, values: list[str], postgres: bool) -> list[ColumnElement[bool]]:
    """Conditions that `column` holds one of `values`: one array on PostgreSQL, IN lists of CHUNK on SQLite."""
    if not values:
        return []
    if postgres:
        return [column == any_(literal(values, ARRAY(String)))]
    return [column.in_(values[i : i + CHUNK]) for i in range(0, len(values), CHUNK)]


def create_leads(session: Session, leads: list[LeadDetails], *, now: datetime, rules: Rules) -> list[int]:
    """Insert `leads` (and their notes and reminders); their ids, in order."""
    if not leads:
        return []
    values = [
        {
            "company": d.company,
            "company_key": company_key(d.company),
            "name_block": d.name_block,
            "contact_name": d.contact_name,
            "phone": d.phone,
            "owner_id": d.owner_id,
            "stage": d.stage or rules.first_stage,
            "stage_entered_at": now,
            "amount": d.amount,
            "source": LeadSource.IMPORT,
            "created_at": now,
            "last_activity_at": _latest(d.last_contact_at, max((n.at for n in d.notes), default=None)),
            "next_follow_up_at": d.follow_up_at,
            "next_follow_up_has_time": d.follow_up_has_time,
            "lost_reason": None,
            "lost_note": None,
        }
        for d in leads
    ]
    ids = insert_rows(session, Lead.__table__, values, ids=True)
    add_notes(session, list(zip(ids, leads, strict=True)), now=now, rules=rules, existing=False)
    return ids


def fill_leads(
    session: Session,
    fills: list[tuple[int, LeadDetails]],
    *,
    now: datetime,
    rules: Rules,
    taken: tuple[set[str], set[str]],
) -> list[list[str]]:
    """Give existing leads what rows add: the details they lack (unless another lead holds them, or one of
    `taken`'s company keys and phones, those of the leads about to be created), a later stage (entered `now`, as
    the ledger says it is there), the later last contact and follow-up. Returns the fields filled, a list per
    (lead, row) in order. The rows' notes are added with `add_notes(..., existing=True)`. A query for the leads
    and one each for the keys and phones other leads hold, however many rows."""
    if not fills:
        return []
    ids = {lead_id for lead_id, _ in fills}
    leads = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))}
    keys = {key for _, d in fills if (key := company_key(d.company))}
    phones = {d.phone for _, d in fills if d.phone}
    held = taken[0] | _held(session, Lead.company_key, keys), taken[1] | _held(session, Lead.phone, phones)
    return [_fill(leads[lead_id], details, held, now, rules) for lead_id, details in fills]


def _fill(lead: Lead, details: LeadDetails, held: tuple[set[str], set[str]], now: datetime, rules: Rules) -> list[str]:
    held_keys, held_phones = held
    filled = []
    key = company_key(details.company)
    if details.company and key and lead.company_key is None and key not in held_keys:
        lead.company, lead.company_key, lead.name_block = details.company, key, details.name_block
        held_keys.add(key)
        filled.append("company")
    if details.phone and lead.phone is None and details.phone not in held_phones:
        lead.phone = details.phone
        held_phones.add(details.phone)
        filled.append("phone")
    for name in ("contact_name", "amount"):
        if getattr(lead, name) is None and getattr(details, name) is not None:
            setattr(lead, name, getattr(details, name))
            filled.append(name)
    if details.stage and lead.stage not in rules.closed_stages and rules.is_advance(lead.stage, details.stage):
        lead.stage, lead.stage_entered_at = details.stage, now
        filled.append("stage")
    lead.last_activity_at = _latest(lead.last_activity_at, details.last_contact_at)
    if details.follow_up_at and (lead.next_follow_up_at is None or lead.next_follow_up_at < details.follow_up_at):
        lead.next_follow_up_at, lead.next_follow_up_has_time = details.follow_up_at, details.follow_up_has_time
    lead.last_activity_at = _latest(lead.last_activity_at, max((n.at for n in details.notes), default=None))
    return filled


def _held(session: Session, column: Any, values: set[str]) -> set[str]:
    """Those of `values` some lead holds in `column`."""
    return set(session.scalars(select(column).where(column.in_(values)))) if values else set()


def add_notes(
    session: Session, leads: list[tuple[int, LeadDetails]], *, now: datetime, rules: Rules, existing: bool
) -> None:
    """Each lead's notes as activities (with their tags), and a reminder for a follow-up still ahead (unless an
    `existing` lead has that reminder already)."""
    notes = [(lead_id, d, note) for lead_id, d in leads for note in d.notes]
    activity_ids = []
    if notes:
        activity_ids = insert_rows(
            session,
            Activity.__table__,
            [
                {
                    "lead_id": lead_id,
                    "author_id": d.owner_id,
                    "type": note.activity_type,
                    "text": note.text,
                    "follow_up_at": None,
                    "follow_up_has_time": False,
                    "source": SOURCE,
                    "inbound_event_id": None,
                    "created_lead": False,
                    "created_at": note.at,
                }
                for lead_id, d, note in notes
            ],
            ids=True,
        )
        tag_ids = sorted({t for _, _, note in notes for t in note.tags})
        tags_by_id(session, tag_ids, rules)
        links = [
            {"activity_id": a, "tag_id": t}
            for a, (_, _, note) in zip(activity_ids, notes, strict=True)
            for t in note.tags
        ]
        insert_rows(session, activity_tags, links)
    last_note = {lead_id: a for a, (lead_id, _, _) in zip(activity_ids, notes, strict=True)}
    planned = _follow_up_reminders(session, [lead_id for lead_id, _ in leads]) if existing else set()
    reminders = [
        {
            "lead_id": lead_id,
            "activity_id": last_note.get(lead_id),
            "user_id": d.owner_id,
            "kind": "follow_up",
            "due_at": reminder_time(d.follow_up_at, d.follow_up_has_time, rules),
            "has_time": d.follow_up_has_time,
            "status": ReminderStatus.PENDING,
            "settled_by_activity_id": None,
            "created_at": now,
            "sent_at": None,
        }
        for lead_id, d in leads
        if d.follow_up_at is not None
        and d.follow_up_at > now
        and (lead_id, reminder_time(d.follow_up_at, d.follow_up_has_time, rules)) not in planned
    ]
    # Two rows merged into one lead may name the same follow-up: one reminder (lead, kind and time are unique).
    reminders = list({(r["lead_id"], r["due_at"]): r for r in reminders}.values())
    insert_rows(session, Reminder.__table__, reminders)


def _follow_up_reminders(session: Session, lead_ids: list[int]) -> set[tuple[int, datetime]]:
    """(lead, due) of the follow-up reminders the leads have already (leads that existed before the import)."""
    found = select(Reminder.lead_id, Reminder.due_at).where(
        Reminder.lead_id.in_(lead_ids), Reminder.kind == "follow_up"
    )
    return {(lead_id, due) for lead_id, due in session.execute(found)} if lead_ids else set()
