"""Escalation: finding neglected leads, opening one alert per episode, and what managers do with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import ColumnElement, Exists, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from config.rules import Rules
from config.workdays import WorkCalendar
from storage.db import insert_ignoring_duplicates, insert_once
from storage.leads import can_act, lead_for_actor
from storage.models import Alert, Lead, Team, User
from storage.refusals import Refusal, Why
from storage.roles import first_admin, is_manager
from storage.states import AlertStatus


@dataclass(frozen=True)
class Finding:
    lead: Lead
    rule: str  # untouched | stale
    level: str  # high | red
    basis_at: datetime


def _alerted(rule: str, level: str, basis: ColumnElement[datetime]) -> Exists:
    """The lead already has this alert for the current episode (so steady-state scans return only new ones)."""
    return exists().where(Alert.lead_id == Lead.id, Alert.rule == rule, Alert.level == level, Alert.basis_at == basis)


def untouched_leads(session: Session, now: datetime, tz: tzinfo, rules: Rules, calendar: WorkCalendar) -> list[Finding]:
    """Open leads given to someone without any activity for `untouched_hours` working hours."""
    # A working-hours deadline is never earlier than the same number of calendar hours.
    candidates = session.scalars(
        select(Lead)
        .where(
            Lead.last_activity_at.is_(None),
            Lead.stage.not_in(rules.closed_stages),
            Lead.created_at <= now - timedelta(hours=rules.untouched_hours),
            ~_alerted("untouched", "high", Lead.created_at),
        )
        .order_by(Lead.id)
    )
    return [
        Finding(lead, "untouched", "high", lead.created_at)
        for lead in candidates
        if calendar.add_working_hours(lead.created_at.astimezone(tz), rules.untouched_hours) <= now
    ]


def red_leads(session: Session, now: datetime, rules: Rules) -> list[Finding]:
    """Open leads idle for at least their stage's `red_days`."""
    idle_since = func.coalesce(Lead.last_activity_at, Lead.created_at)
    per_stage = [
        and_(Lead.stage == stage.id, idle_since <= now - timedelta(days=rules.light_days(stage.id)[1]))
        for stage in rules.stages
        if not stage.closed
    ]
    leads = session.scalars(
        select(Lead).where(or_(*per_stage), ~_alerted("stale", "red", idle_since)).order_by(Lead.id)
    )
    return [Finding(lead, "stale", "red", lead.last_activity_at or lead.created_at) for lead in leads]


def manager_of(session: Session, owner: User) -> User | None:
    """Who hears about `owner`'s leads: the manager of their team, else the first admin."""
    if owner.team_id is not None:
        team = session.get(Team, owner.team_id)
        if team is not None and team.manager is not None:
            return team.manager
    return first_admin(session)


def open_alerts(session: Session, findings: list[Finding], now: datetime, batch: int = 1000) -> int:
    """Record each finding once per episode (a bulk insert that skips existing ones); returns how many are new.

    Thousands of findings (the first run after an import) cost a few statements, not one round trip each.
    """
    managers: dict[int, int | None] = {}
    rows = []
    for finding in findings:
        owner_id = finding.lead.owner_id
        if owner_id not in managers:
            manager = manager_of(session, finding.lead.owner)
            managers[owner_id] = manager.id if manager else None
        rows.append(
            {
                "lead_id": finding.lead.id,
                "rule": finding.rule,
                "level": finding.level,
                "basis_at": finding.basis_at,
                "manager_id": managers[owner_id],
                "status": AlertStatus.OPEN,
                "created_at": now,
            }
        )
    return sum(insert_ignoring_duplicates(session, Alert, rows[i : i + batch]) for i in range(0, len(rows), batch))


def alerts_to_notify(session: Session, now: datetime, tz: tzinfo) -> dict[int, list[Alert]]:
    """Alerts a manager has not seen yet (or whose snooze ran out), grouped by manager.

    A lead already alerted to its manager today waits for tomorrow: one card per manager per lead per day.
    """
    due = session.scalars(
        select(Alert)
        .where(
            Alert.manager_id.is_not(None),
            or_(
                and_(Alert.status == AlertStatus.OPEN, Alert.notified_at.is_(None)),
                and_(Alert.status == AlertStatus.SNOOZED, Alert.snoozed_until <= now),
            ),
        )
        .order_by(Alert.id)
        .with_for_update(skip_locked=True)
    ).all()
    local_midnight = datetime.combine(now.astimezone(tz).date(), datetime.min.time(), tzinfo=tz)
    seen_today = set(
        (row.manager_id, row.lead_id)
        for row in session.execute(
            select(Alert.manager_id, Alert.lead_id).where(Alert.notified_at >= local_midnight)
        ).all()
    )
    batches: dict[int, list[Alert]] = {}
    for alert in due:
        assert alert.manager_id is not None
        if alert.status == AlertStatus.OPEN and (alert.manager_id, alert.lead_id) in seen_today:
            continue
        batches.setdefault(alert.manager_id, []).append(alert)
    return batches


def alerts_for_actor(session: Session, actor: User, alert_ids: list[int]) -> list[Alert]:
    """The alerts a card's button names, if `actor` may handle them; raises Refusal otherwise."""
    alerts = list(session.scalars(select(Alert).where(Alert.id.in_(alert_ids)).order_by(Alert.id)))
    if not alerts:
        raise Refusal(Why.ALERT_GONE)
    for alert in alerts:
        allowed = alert.manager_id == actor.id or (is_manager(actor) and can_act(session, actor, alert.lead))
        if not allowed:
            raise Refusal(Why.ALERT_NOT_YOURS)
    return alerts


def mark_notified(alerts: list[Alert], now: datetime) -> None:
    """The manager has been sent these alerts (a snoozed one is open again)."""
    for alert in alerts:
        alert.notified_at, alert.status = now, AlertStatus.OPEN


def refuse_if_all_handled(alerts: list[Alert]) -> None:
    """A card whose alerts were all handled or resolved has nothing left to act on: raises Refusal."""
    if all(a.status in (AlertStatus.HANDLED, AlertStatus.RESOLVED) for a in alerts):
        raise Refusal(Why.ALERTS_HANDLED)


def handle_alerts(alerts: list[Alert], *, actor: User, action: str, now: datetime) -> None:
    for alert in alerts:
        if alert.status in (AlertStatus.OPEN, AlertStatus.SNOOZED):
            alert.status, alert.handled_by_id, alert.handled_action, alert.handled_at = (
                AlertStatus.HANDLED,
                actor.id,
                action,
                now,
            )


def snooze_alerts(alerts: list[Alert], *, actor: User, now: datetime, rules: Rules) -> datetime:
    until = now + timedelta(hours=rules.snooze_hours)
    for alert in alerts:
        if alert.status in (AlertStatus.OPEN, AlertStatus.SNOOZED):
            alert.status, alert.snoozed_until = AlertStatus.SNOOZED, until
            alert.handled_by_id, alert.handled_action, alert.handled_at = actor.id, "snooze", now
    return until


def alert_for_lead(session: Session, actor: User, lead_id: int, now: datetime) -> Alert:
    """The lead's open or snoozed alert, or one opened now for the cockpit's actions on a lead no scan alerted
    (untouched if it was never followed up, else stale, from the moment it went idle). Opened here, it counts as
    seen: no card is pushed for it. Raises Refusal for a lead `actor` may not act on."""
    lead = lead_for_actor(session, actor, lead_id)
    current = session.scalar(
        select(Alert)
        .where(Alert.lead_id == lead.id, Alert.status.in_((AlertStatus.OPEN, AlertStatus.SNOOZED)))
        .order_by(Alert.id.desc())
        .limit(1)
    )
    if current is not None:
        return current
    untouched = lead.last_activity_at is None
    rule, level = ("untouched", "high") if untouched else ("stale", "red")
    basis = lead.created_at if untouched else lead.last_activity_at
    manager = manager_of(session, lead.owner)
    alert = Alert(
        lead_id=lead.id,
        rule=rule,
        level=level,
        basis_at=basis,
        manager_id=manager.id if manager else None,
        status=AlertStatus.OPEN,
        created_at=now,
        notified_at=now,
    )
    if insert_once(session, alert):
        return alert
    # This episode was alerted and handled already: that alert stands for it.
    episode = select(Alert).where(
        Alert.lead_id == lead.id, Alert.rule == rule, Alert.level == level, Alert.basis_at == basis
    )
    found = session.scalar(episode)
    assert found is not None
    return found
