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


def _stage_index(column: ColumnElement[str], rules: Rules) -> ColumnElement[int]:
    return case({s.id: i for i, s in enumerate(rules.stages)}, value=column, else_=-1)


def pipeline(session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules, *, limit: int = 10) -> Pipeline:
    in_scope = scope.where_owner(Lead.owner_id)
    age_days = (epoch_seconds(instant(now)) - epoch_seconds(Lead.stage_entered_at)) / DAY
    # One pass over the scope's leads (ages are read for the open stages only).
    totals = {
        stage: (count, int(amount or 0), round(int(weighted or 0) / 100), age)
        for stage, count, amount, weighted, age in session.execute(
            select(
                Lead.stage, func.count(), func.sum(Lead.amount), func.sum(weighted_percent(rules)), func.avg(age_days)
            )
            .where(in_scope)
            .group_by(Lead.stage)
        )
    }
    stages = []
    for s in rules.stages:
        count, amount, weighted, age = totals.get(s.id, (0, 0, 0, None))
        avg_age = None if s.closed or age is None else round(float(age), 1)
        stages.append(StageFigures(s.id, s.label, s.probability, s.closed, count, amount, weighted, avg_age))
    return Pipeline(
        tuple(stages), _skipped(session, scope, now, rules, limit), _longest(session, scope, now, rules, limit)
    )


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
    leads = session.scalars(
        select(Lead)
        .where(scope.where_owner(Lead.owner_id), Lead.stage.not_in(rules.closed_stages))
        .options(joinedload(Lead.owner))
        .order_by(Lead.stage_entered_at, Lead.id)
        .limit(limit)
    ).all()
    lines = lead_lines(session, list(leads), now, rules)
    return tuple(SatLong(line, (now - lead.stage_entered_at).days) for lead, line in zip(leads, lines, strict=True))
