"""The values the cockpit's pages show: a lead as every list shows it, who acted on it, and a page of a list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from config.rules import Rules
from storage.leads import light
from storage.models import Alert, Lead, User
from storage.states import AlertStatus

OPEN_ALERT = (AlertStatus.OPEN, AlertStatus.SNOOZED)
T = TypeVar("T")


@dataclass(frozen=True)
class Acted:
    """The latest handled alert on a lead: who did what, when (take | nudge | reassign | snooze)."""

    by_id: int
    by_name: str
    action: str
    at: datetime


@dataclass(frozen=True)
class LeadLine:
    id: int
    company: str | None
    contact_name: str | None
    owner_id: int
    owner_name: str
    stage: str
    stage_label: str
    amount: int | None
    light: str  # green | yellow | red
    created_at: datetime
    last_activity_at: datetime | None
    next_follow_up_at: datetime | None
    idle_days: int
    open_alert_ids: tuple[int, ...]
    acted: Acted | None
    reason: str | None = None  # overdue | today | red | untouched, where a list has one


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page (1-based) of a longer list."""

    items: tuple[T, ...]
    total: int
    page: int
    per_page: int
    capped: bool = False  # counting stopped at `total`: there are more (show "1000+")

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def lead_lines(
    session: Session, leads: Sequence[Lead], now: datetime, rules: Rules, reasons: dict[int, str] | None = None
) -> tuple[LeadLine, ...]:
    """`leads` as lines, in their order: their open alerts and last handled alert loaded in two queries."""
    ids = [lead.id for lead in leads]
    open_alerts: dict[int, list[int]] = {}
    acted: dict[int, Acted] = {}
    if ids:
        for alert_id, lead_id in session.execute(
            select(Alert.id, Alert.lead_id)
            .where(Alert.lead_id.in_(ids), Alert.status.in_(OPEN_ALERT))
            .order_by(Alert.id)
        ):
            open_alerts.setdefault(lead_id, []).append(alert_id)
        for lead_id, by_id, by_name, action, at in session.execute(
            select(Alert.lead_id, User.id, User.name, Alert.handled_action, Alert.handled_at)
            .join(User, User.id == Alert.handled_by_id)
            .where(Alert.lead_id.in_(ids), Alert.handled_at.is_not(None))
            .order_by(Alert.handled_at, Alert.id)
        ):
            acted[lead_id] = Acted(by_id, by_name, action, at)
    labels = {s.id: s.label for s in rules.stages}
    return tuple(
        LeadLine(
            id=lead.id,
            company=lead.company,
            contact_name=lead.contact_name,
            owner_id=lead.owner_id,
            owner_name=lead.owner.name,
            stage=lead.stage,
            stage_label=labels.get(lead.stage, lead.stage),
            amount=lead.amount,
            light=light(lead, now, rules),
            created_at=lead.created_at,
            last_activity_at=lead.last_activity_at,
            next_follow_up_at=lead.next_follow_up_at,
            idle_days=(now - (lead.last_activity_at or lead.created_at)).days,
            open_alert_ids=tuple(open_alerts.get(lead.id, ())),
            acted=acted.get(lead.id),
            reason=(reasons or {}).get(lead.id),
        )
        for lead in leads
    )


def count_of(session: Session, query: Select[tuple[Lead]]) -> int:
    """How many rows `query` selects."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def page_of_leads(
    session: Session,
    query: Select[tuple[Lead]],
    now: datetime,
    rules: Rules,
    *,
    page: int,
    per_page: int,
    reason: Callable[[Lead], str] | None = None,
    total: int | None = None,
) -> Page[LeadLine]:
    """One page of the leads `query` selects (in its order), as lines; `reason(lead)` names each one's reason.
    `total`, when the caller knows it, saves counting."""
    page = max(page, 1)
    total = count_of(session, query) if total is None else total
    leads = session.scalars(query.options(joinedload(Lead.owner)).limit(per_page).offset((page - 1) * per_page)).all()
    reasons = {lead.id: reason(lead) for lead in leads} if reason else None
    return Page(lead_lines(session, leads, now, rules, reasons), total, page, per_page)
