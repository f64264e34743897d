"""The month's forecast against target (阶段-概率): what was won this month plus the open pipeline weighted by
each stage's win probability (config/stages.toml), and the gap (缺口) to the scope's target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.models import Lead, StageChange
from storage.scopes import Scope
from storage.sqltime import local_midnight
from storage.targets import month_of, target_for


def probability(rules: Rules) -> ColumnElement[int]:
    """SQL: the win probability (percent) of each lead's stage; 0 for a stage no longer in the rules."""
    return case({s.id: s.probability for s in rules.stages}, value=Lead.stage, else_=0)


def weighted_percent(rules: Rules) -> ColumnElement[int]:
    """SQL: a lead's amount × its stage's probability in percent (divide a sum by 100 for yuan)."""
    return func.coalesce(Lead.amount, 0) * probability(rules)


def month_bounds(now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """[first local midnight of `now`'s month, the next month's)."""
    first = now.astimezone(tz).date().replace(day=1)
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return local_midnight(first, tz), local_midnight(following, tz)


@dataclass(frozen=True)
class Forecast:
    month: str  # YYYY-MM
    won: int  # Σ amount of leads won this month (still won)
    weighted_open: int  # Σ amount × stage probability over open leads
    target: int | None

    @property
    def forecast(self) -> int:
        return self.won + self.weighted_open

    @property
    def gap(self) -> int | None:
        """缺口: how far the forecast falls short of the target (0 when it meets it); None without a target."""
        return None if self.target is None else max(self.target - self.forecast, 0)

    @property
    def attainment(self) -> float | None:
        """forecast / target; None without a (positive) target."""
        return self.forecast / self.target if self.target else None


def won_between(session: Session, scope: Scope, start: datetime, end: datetime, rules: Rules) -> int:
    """Σ amount of the scope's leads in a won stage that moved there in [start, end)."""
    moved = exists().where(
        StageChange.lead_id == Lead.id,
        StageChange.to_stage.in_(rules.won_stages),
        StageChange.created_at >= start,
        StageChange.created_at < end,
    )
    query = select(func.coalesce(func.sum(Lead.amount), 0)).where(
        scope.where_owner(Lead.owner_id), Lead.stage.in_(rules.won_stages), moved
    )
    return int(session.scalar(query) or 0)


def weighted_open(session: Session, scope: Scope, rules: Rules) -> int:
    """Σ amount × probability over the scope's open leads, in yuan (rounded)."""
    query = select(func.coalesce(func.sum(weighted_percent(rules)), 0)).where(
        scope.where_owner(Lead.owner_id), Lead.stage.not_in(rules.closed_stages)
    )
    return round(int(session.scalar(query) or 0) / 100)


def month_forecast(session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules) -> Forecast:
    start, end = month_bounds(now, tz)
    return Forecast(
        month=month_of(now, tz),
        won=won_between(session, scope, start, end, rules),
        weighted_open=weighted_open(session, scope, rules),
        target=target_for(session, scope, month_of(now, tz)),
    )
