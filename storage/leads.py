"""Leads: matching a note to one, creating one, who may see or change it, and its staleness light."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.db import insert_once
from storage.models import Lead, Reminder, User
from storage.people import managed_team_ids
from storage.refusals import Refusal, Why
from storage.roles import is_admin
from storage.scopes import scope_of
from storage.states import ReminderStatus, Role

# Legal-form suffixes that do not distinguish one customer from another.
_COMPANY_SUFFIXES = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团公司|集团|公司|厂|co\.?,?ltd\.?|ltd\.?|inc\.?|llc)$"
)
_NOT_WORD = re.compile(r"[\W_]+")


def company_key(company: str | None) -> str | None:
    """A matching key: width-folded, lower-case, no punctuation or spaces, legal-form suffix dropped."""
    if not company:
        return None
    key = _NOT_WORD.sub("", unicodedata.normalize("NFKC", company).lower())
    stripped = _COMPANY_SUFFIXES.sub("", key)
    return (stripped or key)[:200] or None


@dataclass(frozen=True)
class LeadMatch:
    """The outcome of matching a note: a lead the actor may log on, or someone else's lead."""

    lead: Lead
    created: bool
    owned_by_other: bool


def can_act(session: Session, actor: User, lead: Lead) -> bool:
    """Owners, admins and the manager of the owner's team may read and change a lead (storage.scopes' rule)."""
    return lead.owner_id == actor.id or scope_of(session, actor).owns(lead.owner_id)


def lead_for_actor(session: Session, actor: User, lead_id: int) -> Lead:
    """The lead `lead_id` if `actor` may act on it; raises Refusal otherwise."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise Refusal(Why.LEAD_GONE)
    if not can_act(session, actor, lead):
        raise Refusal(Why.LEAD_NOT_YOURS, lead=lead)
    return lead


def find_lead(session: Session, *, phone: str | None, company: str | None) -> Lead | None:
    """The lead with this phone, else with this company (normalized), if any."""
    return _find(session, phone=phone, key=company_key(company))


def _find(session: Session, *, phone: str | None, key: str | None) -> Lead | None:
    if phone:
        lead = session.scalar(select(Lead).where(Lead.phone == phone))
        if lead is not None:
            return lead
    if key:
        return session.scalar(select(Lead).where(Lead.company_key == key))
    return None


def match_or_create_lead(
    session: Session,
    actor: User,
    *,
    company: str | None,
    contact_name: str | None,
    phone: str | None,
    now: datetime,
    rules: Rules,
    source: str = "note",
) -> LeadMatch | None:
    """Find the lead a note is about (by phone, then company), or create it for `actor`.

    Returns None when the note names neither a company nor a phone. A lead that someone else owns
    and `actor` may not act on comes back with owned_by_other=True and is left unchanged.
    """
    key = company_key(company)
    if not phone and not key:
        return None
    for _ in range(2):
        lead = _find(session, phone=phone, key=key)
        if lead is not None:
            if not can_act(session, actor, lead):
                return LeadMatch(lead, created=False, owned_by_other=True)
            _fill_in(session, lead, company=company, key=key, contact_name=contact_name, phone=phone)
            return LeadMatch(lead, created=False, owned_by_other=False)
        lead = _new_lead(actor, company, contact_name, phone, source=source, now=now, rules=rules)
        if insert_once(session, lead):
            return LeadMatch(lead, created=True, owned_by_other=False)
        # Created concurrently by someone else: match it on the second pass.
    raise RuntimeError("lead insert conflicted twice")


def _new_lead(
    owner: User,
    company: str | None,
    contact_name: str | None,
    phone: str | None,
    *,
    source: str,
    now: datetime,
    rules: Rules,
) -> Lead:
    return Lead(
        company=company,
        company_key=company_key(company),
        contact_name=contact_name,
        phone=phone,
        owner_id=owner.id,
        stage=rules.first_stage,
        stage_entered_at=now,
        source=source,
        created_at=now,
    )


def _fill_in(
    session: Session,
    lead: Lead,
    *,
    company: str | None,
    key: str | None,
    contact_name: str | None,
    phone: str | None,
) -> None:
    """Complete a matched lead with details it lacks, unless another lead already holds them."""
    if contact_name and not lead.contact_name:
        lead.contact_name = contact_name
    if phone and not lead.phone and _find(session, phone=phone, key=None) is None:
        lead.phone = phone
    if key and not lead.company_key and _find(session, phone=None, key=key) is None:
        lead.company, lead.company_key = company, key


def owned_leads(session: Session, owner: User) -> list[Lead]:
    return list(session.scalars(select(Lead).where(Lead.owner_id == owner.id).order_by(Lead.id)))


def light(lead: Lead, now: datetime, rules: Rules) -> str:
    """green | yellow | red by days since the last activity (or creation); closed leads are green."""
    if lead.stage in rules.closed_stages:
        return "green"
    yellow_days, red_days = rules.light_days(lead.stage)
    idle = now - (lead.last_activity_at or lead.created_at)
    if idle >= timedelta(days=red_days):
        return "red"
    if idle >= timedelta(days=yellow_days):
        return "yellow"
    return "green"


def idle_since() -> ColumnElement[datetime]:
    """SQL: the moment a lead went idle (its last activity, else its creation)."""
    return func.coalesce(Lead.last_activity_at, Lead.created_at)


def light_sql(now: datetime, rules: Rules) -> ColumnElement[str]:
    """SQL: `light` of each lead, the same rule in a CASE, for filtering and counting in the database."""
    arms = []
    for stage in rules.stages:
        if stage.closed:
            arms.append((Lead.stage == stage.id, "green"))
            continue
        yellow_days, red_days = rules.light_days(stage.id)
        arms.append((and_(Lead.stage == stage.id, idle_since() <= now - timedelta(days=red_days)), "red"))
        arms.append((and_(Lead.stage == stage.id, idle_since() <= now - timedelta(days=yellow_days)), "yellow"))
        arms.append((Lead.stage == stage.id, "green"))
    # Stages no longer in the rules: the default thresholds, as `light` uses them.
    default_yellow, default_red = rules.yellow_days, rules.red_days
    arms.append((idle_since() <= now - timedelta(days=default_red), "red"))
    arms.append((idle_since() <= now - timedelta(days=default_yellow), "yellow"))
    return case(*arms, else_="green")


def due_follow_ups(session: Session, owner: User, until: datetime, rules: Rules) -> list[Lead]:
    """The owner's open leads whose next follow-up is at or before `until`, earliest first."""
    return list(
        session.scalars(
            select(Lead)
            .where(
                Lead.owner_id == owner.id,
                Lead.next_follow_up_at <= until,
                Lead.stage.not_in(rules.closed_stages),
            )
            .order_by(Lead.next_follow_up_at, Lead.id)
        )
    )


def add_assigned_lead(
    session: Session,
    owner: User,
    *,
    company: str,
    contact_name: str | None,
    phone: str | None,
    now: datetime,
    rules: Rules,
) -> Lead:
    """Give `owner` a lead that has no activity yet. Raises Refusal if it matches an existing lead."""
    lead = _new_lead(owner, company, contact_name, phone, source="assigned", now=now, rules=rules)
    existing = _find(session, phone=phone, key=lead.company_key)
    if existing is None and insert_once(session, lead):
        return lead
    existing = existing or _find(session, phone=phone, key=lead.company_key)
    assert existing is not None
    raise Refusal(Why.LEAD_EXISTS, lead=existing)


def reassign_lead(session: Session, lead: Lead, new_owner: User) -> User:
    """Give `lead` to `new_owner` (its pending reminders go along); returns the previous owner."""
    previous = lead.owner
    lead.owner = new_owner
    open_reminders = select(Reminder).where(
        Reminder.lead_id == lead.id, Reminder.status.in_((ReminderStatus.PENDING, ReminderStatus.SENT))
    )
    for reminder in session.scalars(open_reminders):
        reminder.user_id = new_owner.id
    return previous


def team_members(session: Session, manager: User) -> list[User]:
    """Active reps in the teams `manager` manages and those nested under them (admins: everyone), by name."""
    query = select(User).where(User.role == Role.REP, User.deactivated_at.is_(None)).order_by(User.name, User.id)
    if not is_admin(manager):
        query = query.where(User.team_id.in_(managed_team_ids(session, manager)))
    return list(session.scalars(query))
