"""Figures for the morning digest, the rep's 今日必做 and the weekly leaderboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from config.rules import Rules
from config.workdays import WorkCalendar
from storage.cockpit_home import follow_ups_query, high_risk_query
from storage.cockpit_values import count_of
from storage.forecast import Forecast, month_forecast
from storage.leads import light, team_members
from storage.leavers import left_behind
from storage.ledger_import import SOURCE as IMPORTED
from storage.models import Activity, Lead, StageChange, Team, User
from storage.scopes import scope_of
from storage.states import LeadSource


def _local_midnight(moment: datetime, tz: tzinfo, days: int = 0) -> datetime:
    return datetime.combine(moment.astimezone(tz).date() + timedelta(days=days), datetime.min.time(), tzinfo=tz)


def week_start(moment: datetime, tz: tzinfo) -> datetime:
    """Monday 00:00 (local) of the ISO week containing `moment`."""
    local = moment.astimezone(tz)
    return _local_midnight(local, tz, -local.weekday())


@dataclass(frozen=True)
class ReportWeek:
    """The ISO week a leaderboard reports on: [start, end), local midnights."""

    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def iso_week(self) -> tuple[int, int]:
        """(ISO year, ISO week number)."""
        year, week, _ = self.start.isocalendar()
        return year, week


def leaderboard_due(moment: datetime, tz: tzinfo, rules: Rules, calendar: WorkCalendar) -> ReportWeek | None:
    """Last week, if its leaderboard is due at `moment`: on the first working day on or after the configured
    weekday, from the configured time (later that day too; the dedup keys make it once per week)."""
    local = moment.astimezone(tz)
    this_week = week_start(moment, tz)
    first_day = (this_week + timedelta(days=rules.leaderboard_weekday - 1)).date()
    if local.date() < first_day or local.time() < rules.leaderboard_time:
        return None
    if any(calendar.is_workday(first_day + timedelta(days=i)) for i in range((local.date() - first_day).days)):
        return None  # an earlier working day this week was the day
    if not calendar.is_workday(local.date()):
        return None
    return ReportWeek(this_week - timedelta(days=7), this_week)


@dataclass(frozen=True)
class Pressing:
    lead: Lead
    reason: str  # overdue | today | red | untouched


def pressing_leads(
    session: Session, owner: User, now: datetime, tz: tzinfo, rules: Rules, limit: int = 3
) -> list[Pressing]:
    """The owner's most pressing open leads: overdue follow-ups, due today, red, then never touched."""
    tomorrow = _local_midnight(now, tz, 1)
    today = _local_midnight(now, tz)
    leads = session.scalars(
        select(Lead).where(Lead.owner_id == owner.id, Lead.stage.not_in(rules.closed_stages)).order_by(Lead.id)
    ).all()
    ranked: list[tuple[tuple, Pressing]] = []
    for lead in leads:
        due = lead.next_follow_up_at
        if due is not None and due < today:
            ranked.append(((0, due), Pressing(lead, "overdue")))
        elif due is not None and due < tomorrow:
            ranked.append(((1, due), Pressing(lead, "today")))
        elif light(lead, now, rules) == "red":
            ranked.append(((2, lead.last_activity_at or lead.created_at), Pressing(lead, "red")))
        elif lead.last_activity_at is None:
            ranked.append(((3, lead.created_at), Pressing(lead, "untouched")))
    ranked.sort(key=lambda pair: pair[0])
    return [p for _, p in ranked[:limit]]


@dataclass(frozen=True)
class Digest:
    follow_ups_today: list[Lead]
    high_risk: int
    red: int
    yellow: int
    worst: list[Lead]
    activities_this_week: int
    activities_last_week: int
    forecast: Forecast
    left_behind: list[Lead]  # open leads of people who left, until the manager hands them on


def digest_for(session: Session, manager: User, now: datetime, tz: tzinfo, rules: Rules) -> Digest | None:
    """The manager's morning figures over their scope (storage.scopes), the cockpit home's three numbers among
    them; None when the manager has no reps and no leaver's leads to hand on."""
    left = left_behind(session, manager, rules)
    if not team_members(session, manager) and not left:
        return None
    scope = scope_of(session, manager)
    leads = session.scalars(
        select(Lead).where(scope.where_owner(Lead.owner_id), Lead.stage.not_in(rules.closed_stages)).order_by(Lead.id)
    ).all()
    lights = {lead.id: light(lead, now, rules) for lead in leads}
    stale = [lead for lead in leads if lights[lead.id] != "green"]
    stale.sort(key=lambda lead: lead.last_activity_at or lead.created_at)
    this_week = week_start(now, tz)
    elapsed = now - this_week

    def activities_between(start: datetime, end: datetime) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(Activity)
                .where(
                    scope.where_owner(Activity.author_id),
                    Activity.created_at >= start,
                    Activity.created_at < end,
                    Activity.source != IMPORTED,
                )
            )
            or 0
        )

    return Digest(
        follow_ups_today=list(session.scalars(follow_ups_query(scope, now, tz, rules))),
        high_risk=count_of(session, high_risk_query(scope, rules)),
        red=sum(1 for v in lights.values() if v == "red"),
        yellow=sum(1 for v in lights.values() if v == "yellow"),
        worst=stale[:3],
        activities_this_week=activities_between(this_week, now),
        activities_last_week=activities_between(this_week - timedelta(days=7), this_week - timedelta(days=7) + elapsed),
        forecast=month_forecast(session, scope, now, tz, rules),
        left_behind=left,
    )


@dataclass(frozen=True)
class RepWeek:
    rep: User
    activities: int
    new_leads: int
    advances: int
    won: int
    won_amount: int
    touched: int
    touch_due: int

    @property
    def touch_rate(self) -> float | None:
        """Share of this week's new leads first touched within the untouched window (None: no new lead)."""
        return self.touched / self.touch_due if self.touch_due else None

    @property
    def score(self) -> int:
        return self.activities + 2 * self.new_leads + 3 * self.advances + 10 * self.won


def week_figures(
    session: Session,
    reps: Sequence[User],
    start: datetime,
    end: datetime,
    tz: tzinfo,
    rules: Rules,
    calendar: WorkCalendar,
) -> list[RepWeek]:
    """Each of `reps`' figures over [start, end), in their order."""
    return period_figures(session, reps, [(start, end)], tz, rules, calendar)[0]


def period_figures(
    session: Session,
    reps: Sequence[User],
    periods: Sequence[tuple[datetime, datetime]],
    tz: tzinfo,
    rules: Rules,
    calendar: WorkCalendar,
) -> list[list[RepWeek]]:
    """Each of `reps`' figures over each [start, end) of `periods`, in their order: a few grouped queries over
    all the periods at once (eight weeks of a team's leaderboards cost what one week did)."""
    ids = [rep.id for rep in reps]
    first, last = min(s for s, _ in periods), max(e for _, e in periods)
    bucket = case(*((and_(Activity.created_at >= s, Activity.created_at < e), i) for i, (s, e) in enumerate(periods)))
    activities = {
        (author, i): n
        for author, i, n in session.execute(
            select(Activity.author_id, bucket, func.count())
            .where(
                Activity.author_id.in_(ids),
                Activity.created_at >= first,
                Activity.created_at < last,
                Activity.source != IMPORTED,  # a ledger's notes are not this week's work
            )
            .group_by(Activity.author_id, bucket)
        ).all()
    }
    # An imported ledger's leads are not this week's new leads (nor its 72 h touches).
    new_leads = session.scalars(
        select(Lead)
        .where(
            Lead.owner_id.in_(ids), Lead.created_at >= first, Lead.created_at < last, Lead.source != LeadSource.IMPORT
        )
        .order_by(Lead.id)
    ).all()
    changes = session.scalars(
        select(StageChange)
        .where(StageChange.actor_id.in_(ids), StageChange.created_at >= first, StageChange.created_at < last)
        .order_by(StageChange.id)
    ).all()
    won_ids = [c.lead_id for c in changes if c.to_stage in rules.won_stages]
    amounts = dict(session.execute(select(Lead.id, Lead.amount).where(Lead.id.in_(won_ids))).all()) if won_ids else {}
    new_ids = [lead.id for lead in new_leads]
    first_touch = (
        dict(
            session.execute(
                select(Activity.lead_id, func.min(Activity.created_at))
                .where(Activity.lead_id.in_(new_ids))
                .group_by(Activity.lead_id)
            ).all()
        )
        if new_ids
        else {}
    )
    deadlines = {
        lead.id: calendar.add_working_hours(lead.created_at.astimezone(tz), rules.untouched_hours) for lead in new_leads
    }
    boards = []
    for i, (start, end) in enumerate(periods):
        rows = []
        for rep in reps:
            mine = [c for c in changes if c.actor_id == rep.id and start <= c.created_at < end]
            won = [c for c in mine if c.to_stage in rules.won_stages]
            leads = [lead for lead in new_leads if lead.owner_id == rep.id and start <= lead.created_at < end]
            touched = touch_due = 0
            for lead in leads:
                first_at = first_touch.get(lead.id)
                in_time = first_at is not None and first_at <= deadlines[lead.id]
                # A lead whose window is still open at the week's end counts once it is touched, not before.
                touched += in_time
                touch_due += in_time or deadlines[lead.id] <= end
            rows.append(
                RepWeek(
                    rep=rep,
                    activities=activities.get((rep.id, i), 0),
                    new_leads=len(leads),
                    advances=sum(1 for c in mine if rules.is_advance(c.from_stage, c.to_stage)),
                    won=len(won),
                    won_amount=sum(amounts.get(c.lead_id) or 0 for c in won),
                    touched=touched,
                    touch_due=touch_due,
                )
            )
        boards.append(rows)
    return boards


def leaderboard(
    session: Session, team: Team, start: datetime, end: datetime, tz: tzinfo, rules: Rules, calendar: WorkCalendar
) -> list[RepWeek]:
    """Each rep of `team` over [start, end), best first (score, then won amount, then activities)."""
    return leaderboards(session, team, [(start, end)], tz, rules, calendar)[0]


def leaderboards(
    session: Session,
    team: Team,
    periods: Sequence[tuple[datetime, datetime]],
    tz: tzinfo,
    rules: Rules,
    calendar: WorkCalendar,
) -> list[list[RepWeek]]:
    """`leaderboard` for each of `periods`, in one go."""
    reps = session.scalars(select(User).where(User.team_id == team.id).order_by(User.id)).all()
    boards = period_figures(session, reps, periods, tz, rules, calendar)
    for rows in boards:
        rows.sort(key=lambda r: (-r.score, -r.won_amount, -r.activities, r.rep.id))
    return boards


@dataclass(frozen=True)
class Ranked:
    rank: int
    row: RepWeek


def ranking(rows: list[RepWeek]) -> list[Ranked]:
    """The reps who logged something, best first; equal scores share a rank (1, 1, 3). A rep with no activity
    in the week is not ranked."""
    active = sorted((r for r in rows if r.activities), key=lambda r: -r.score)
    ranked: list[Ranked] = []
    for i, row in enumerate(active):
        same = ranked and ranked[-1].row.score == row.score
        ranked.append(Ranked(ranked[-1].rank if same else i + 1, row))
    return ranked
