"""指挥舱: the three numbers on the cockpit's home — 今日待跟进, 高风险待介入 and the month's forecast against
target — and the list behind each. The morning digest counts the same two lists (storage.reports.digest_for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.cockpit_values import OPEN_ALERT, LeadLine, Page, count_of, page_of_leads
from storage.forecast import Forecast, month_forecast
from storage.models import Alert, Lead
from storage.scopes import Scope
from storage.sqltime import local_midnight
from storage.states import AlertRule


def _today(now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    today = now.astimezone(tz).date()
    return local_midnight(today, tz), local_midnight(today + timedelta(days=1), tz)


def follow_ups_query(scope: Scope, now: datetime, tz: tzinfo, rules: Rules) -> Select[tuple[Lead]]:
    """今日待跟进: the scope's open leads whose next follow-up is before tonight's local midnight (overdue ones
    too), earliest first."""
    _, tomorrow = _today(now, tz)
    return (
        select(Lead)
        .where(
            scope.where_owner(Lead.owner_id),
            Lead.next_follow_up_at < tomorrow,
            Lead.stage.not_in(rules.closed_stages),
        )
        .order_by(Lead.next_follow_up_at, Lead.id)
    )


def high_risk_query(scope: Scope, rules: Rules) -> Select[tuple[Lead]]:
    """高风险待介入: the scope's open leads with an open or snoozed "untouched" alert (assigned, and not touched
    within the untouched window: storage.alerts.untouched_leads' rule), oldest first."""
    alerted = exists().where(Alert.lead_id == Lead.id, Alert.rule == AlertRule.UNTOUCHED, Alert.status.in_(OPEN_ALERT))
    return (
        select(Lead)
        .where(scope.where_owner(Lead.owner_id), Lead.stage.not_in(rules.closed_stages), alerted)
        .order_by(Lead.created_at, Lead.id)
    )


@dataclass(frozen=True)
class Home:
    follow_ups_today: int
    high_risk: int
    forecast: Forecast


def home(session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules) -> Home:
    return Home(
        follow_ups_today=count_of(session, follow_ups_query(scope, now, tz, rules)),
        high_risk=count_of(session, high_risk_query(scope, rules)),
        forecast=month_forecast(session, scope, now, tz, rules),
    )


def follow_ups_today(
    session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules, *, page: int = 1, per_page: int = 50
) -> Page[LeadLine]:
    """The 今日待跟进 list; each line's reason is overdue (before today) or today."""
    today, _ = _today(now, tz)

    def reason(lead: Lead) -> str:
        return "overdue" if lead.next_follow_up_at is not None and lead.next_follow_up_at < today else "today"

    query = follow_ups_query(scope, now, tz, rules)
    return page_of_leads(session, query, now, rules, page=page, per_page=per_page, reason=reason)


def high_risk(
    session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules, *, page: int = 1, per_page: int = 50
) -> Page[LeadLine]:
    """The 高风险待介入 list; each line's reason is untouched."""
    query = high_risk_query(scope, rules)
    return page_of_leads(session, query, now, rules, page=page, per_page=per_page, reason=lambda _lead: "untouched")
