"""Leaderboard history (storage.reports' one ranking rule, week by week) and a rep's own page: their lights,
今日必做 (storage.reports.pressing_leads) and their weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.orm import Session

from config.rules import Rules
from config.workdays import WorkCalendar
from storage.cockpit_values import LeadLine, lead_lines
from storage.lights import LightFilter, lights
from storage.reports import (
    Ranked,
    ReportWeek,
    RepWeek,
    leaderboards,
    period_figures,
    pressing_leads,
    ranking,
    week_start,
)
from storage.scopes import Scope, team_in_scope, user_in_scope

MUST_DO = 5


@dataclass(frozen=True)
class WeekBoard:
    week: ReportWeek
    ranked: tuple[Ranked, ...]  # the reps who logged something, best first


def past_weeks(now: datetime, tz: tzinfo, weeks: int) -> list[ReportWeek]:
    """The last `weeks` complete weeks, newest first."""
    this_week = week_start(now, tz)
    return [
        ReportWeek(this_week - timedelta(days=7 * (i + 1)), this_week - timedelta(days=7 * i)) for i in range(weeks)
    ]


def leaderboard_history(
    session: Session,
    scope: Scope,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    calendar: WorkCalendar,
    *,
    team_id: int,
    weeks: int = 8,
) -> tuple[WeekBoard, ...]:
    """The team's weekly leaderboards over the last complete weeks, newest first; raises Refusal for a team
    outside the scope."""
    team = team_in_scope(session, scope, team_id)
    shown = past_weeks(now, tz, weeks)
    boards = leaderboards(session, team, [(w.start, w.end) for w in shown], tz, rules, calendar)
    return tuple(WeekBoard(week, tuple(ranking(rows))) for week, rows in zip(shown, boards, strict=True))


@dataclass(frozen=True)
class RepPage:
    rep_id: int
    rep_name: str
    light_counts: dict[str, int]
    must_do: tuple[LeadLine, ...]  # 今日必做, with reasons overdue | today | red | untouched
    this_week: RepWeek  # Monday to now
    last_weeks: tuple[RepWeek, ...]  # the complete weeks before, newest first


def rep_page(
    session: Session,
    scope: Scope,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    calendar: WorkCalendar,
    *,
    rep_id: int,
    weeks: int = 4,
) -> RepPage:
    """A rep's own page; raises Refusal for a person outside the scope (a rep may open only their own)."""
    rep = user_in_scope(session, scope, rep_id)
    pressing = pressing_leads(session, rep, now, tz, rules, limit=MUST_DO)
    must_do = lead_lines(session, [p.lead for p in pressing], now, rules, {p.lead.id: p.reason for p in pressing})
    counts = lights(session, scope, now, tz, rules, chosen=LightFilter(rep_id=rep.id), per_page=1).counts
    periods = [(week_start(now, tz), now), *((w.start, w.end) for w in past_weeks(now, tz, weeks))]
    this_week, *last_weeks = (rows[0] for rows in period_figures(session, [rep], periods, tz, rules, calendar))
    return RepPage(
        rep_id=rep.id,
        rep_name=rep.name,
        light_counts=counts,
        must_do=must_do,
        this_week=this_week,
        last_weeks=tuple(last_weeks),
    )
