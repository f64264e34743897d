"""The pipeline by stage: counts, amounts, the forecast weight (Σ amount × probability), how long leads have sat
in their stage, the leads that skipped a stage and those that sat longest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from config.rules import Rules
from storage.cockpit_values import LeadLine, lead_lines
from storage.forecast import weighted_percent
from storage.models import Lead, StageChange
from storage.scopes import Scope
from storage.sqltime import epoch_seconds, instant

DAY = 86400.0
SKIPS_WITHIN = timedelta(days=90)


@dataclass(frozen=True)
class StageFigures:
    stage: str
    label: str
    probability: int
    closed: bool
    count: int
    amount: int
    weighted: int  # Σ amount × probability, yuan
    avg_age_days: float | None  # open stages: mean days since the leads entered the stage


@dataclass(frozen=True)
class StageJump:
    lead: LeadLine
    from_stage: str
    to_stage: str
    skipped: tuple[str, ...]  # labels of the open stages jumped over
    at: datetime


@dataclass(frozen=True)
class SatLong:
    lead: LeadLine
    in_stage_days: int


@dataclass(frozen=True)
class Pipeline:
    stages: tuple[StageFigures, ...]
    skipped: tuple[StageJump, ...]
    longest: tuple[SatLong, ...]

    @property
    def open_stages(self) -> tuple[StageFigures, ...]:
        return tuple(s for s in self.stages if not s.closed)

    @property
    def open_count(self) -> int:
        return sum(s.count for s in self.open_stages)

    @property
    def open_amount(self) -> int:
        return sum(s.amount for s in self.open_stages)

    @property
    def weighted(self) -> int:
        return sum(s.weighted for s in self.open_stages)


def _entered_stage() -> ColumnElement[datetime]:
    """SQL: when each lead entered its current stage: its latest stage change, else its creation (one index
    lookup per lead on stage_changes (lead_id, created_at))."""
    latest = select(func.max(StageChange.created_at)).where(StageChange.lead_id == Lead.id).scalar_subquery()
    return func.coalesce(latest, Lead.created_at)


def _stage_index(column: ColumnElement[str], rules: Rules) -> ColumnElement[int]:
    return case({s.id: i for i, s in enumerate(rules.stages)}, value=column, else_=-1)


def pipeline(session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules, *, limit: int = 10) -> Pipeline:
    in_scope = scope.where_owner(Lead.owner_id)
    totals = {
        stage: (count, int(amount or 0), round(int(weighted or 0) / 100))
        for stage, count, amount, weighted in session.execute(
            select(Lead.stage, func.count(), func.sum(Lead.amount), func.sum(weighted_percent(rules)))
            .where(in_scope)
            .group_by(Lead.stage)
        )
    }
    age_days = (epoch_seconds(instant(now)) - epoch_seconds(_entered_stage())) / DAY
    ages = {
        stage: age
        for stage, age in session.execute(
            select(Lead.stage, func.avg(age_days))
            .where(in_scope, Lead.stage.not_in(rules.closed_stages))
            .group_by(Lead.stage)
        )
    }
    stages = tuple(
        StageFigures(
            stage=s.id,
            label=s.label,
            probability=s.probability,
            closed=s.closed,
            count=totals.get(s.id, (0, 0, 0))[0],
            amount=totals.get(s.id, (0, 0, 0))[1],
            weighted=totals.get(s.id, (0, 0, 0))[2],
            avg_age_days=None if ages.get(s.id) is None else round(float(ages[s.id]), 1),
        )
        for s in rules.stages
    )
    return Pipeline(stages, _skipped(session, scope, now, rules, limit), _longest(session, scope, now, rules, limit))


def skips(from_stage: str, to_stage: str, rules: Rules) -> tuple[str, ...]:
    """The open stages a move from `from_stage` to `to_stage` jumps over (a win skips the open stages it did not
    pass through; a loss skips nothing)."""
    order = [s.id for s in rules.stages]
    if (
        from_stage not in order
        or to_stage not in order
        or (to_stage in rules.closed_stages and to_stage not in rules.won_stages)
    ):
        return ()
    open_ids = [s.id for s in rules.stages if not s.closed]
    start = order.index(from_stage)
    end = len(order) if to_stage in rules.won_stages else order.index(to_stage)
    return tuple(rules.stage(i).label for i in open_ids if start < order.index(i) < end)


def _skipped(session: Session, scope: Scope, now: datetime, rules: Rules, limit: int) -> tuple[StageJump, ...]:
    """The latest moves (of the last 90 days) by the scope's people that jumped over an open stage, newest first."""
    open_ids = [i for i, s in enumerate(rules.stages) if not s.closed]
    last_open = max(open_ids)
    src, dst = _stage_index(StageChange.from_stage, rules), _stage_index(StageChange.to_stage, rules)
    jumped = or_(
        and_(StageChange.to_stage.not_in(rules.closed_stages), dst > src + 1),
        and_(StageChange.to_stage.in_(rules.won_stages), src >= 0, src < last_open),
    )
    changes = session.execute(
        select(StageChange, Lead)
        .join(Lead, Lead.id == StageChange.lead_id)
        .where(
            # Moves made by the scope's people: a range of stage_changes (actor_id, created_at) each.
            scope.where_owner(StageChange.actor_id),
            StageChange.created_at >= now - SKIPS_WITHIN,
            jumped,
        )
        .options(joinedload(Lead.owner))
        .order_by(StageChange.created_at.desc(), StageChange.id.desc())
        .limit(limit)
    ).all()
    lines = lead_lines(session, [lead for _, lead in changes], now, rules)
    return tuple(
        StageJump(
            line,
            change.from_stage,
            change.to_stage,
            skips(change.from_stage, change.to_stage, rules),
            change.created_at,
        )
        for (change, _), line in zip(changes, lines, strict=True)
    )


def _longest(session: Session, scope: Scope, now: datetime, rules: Rules, limit: int) -> tuple[SatLong, ...]:
    """The scope's open leads that have sat longest in their current stage."""
    entered = _entered_stage()
    rows = session.execute(
        select(Lead, entered.label("entered"))
        .where(scope.where_owner(Lead.owner_id), Lead.stage.not_in(rules.closed_stages))
        .options(joinedload(Lead.owner))
        .order_by(entered, Lead.id)
        .limit(limit)
    ).all()
    lines = lead_lines(session, [lead for lead, _ in rows], now, rules)
    return tuple(SatLong(line, (now - at).days) for (_, at), line in zip(rows, lines, strict=True))
