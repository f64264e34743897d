"""The behaviour heat map: activities per rep × local day × activity type over the last weeks, how fast newly
assigned leads were first touched, and reps with 连续两周无新增客户 (no new lead in 14 days); and, for a whole
company, a summary per team that is cheap to count (the map itself is drawn a team at a time)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from config.rules import Rules
from storage.cockpit_values import LeadLine, lead_lines
from storage.models import Activity, Lead, User
from storage.scopes import Scope, team_scope, visible_people, visible_teams
from storage.sqltime import bucket, local_days, local_midnight
from storage.states import LeadSource, Role

QUIET_DAYS = 14
SILENT_DAYS = 7  # the company summary's "stopped logging"
SLOWEST = 3


@dataclass(frozen=True)
class HeatRow:
    rep_id: int
    rep_name: str
    per_day: tuple[int, ...]  # one per day of Heatmap.days
    by_type: dict[str, tuple[int, ...]]  # activity type -> per-day counts
    new_leads_14d: int
    quiet_two_weeks: bool  # 连续两周无新增客户 (only for people who have been here that long)

    @property
    def total(self) -> int:
        return sum(self.per_day)


@dataclass(frozen=True)
class FirstTouch:
    """Leads assigned to a rep in the period (a lead a rep's own note created is touched as it is created)."""

    rep_id: int
    rep_name: str
    new_leads: int
    touched: int
    median_hours: float | None  # creation -> first activity, over the touched ones
    slowest: tuple[LeadLine, ...]  # untouched first, then the slowest touched


@dataclass(frozen=True)
class Heatmap:
    days: tuple[date, ...]
    types: tuple[str, ...]  # most logged first
    rows: tuple[HeatRow, ...]
    first_touch: tuple[FirstTouch, ...]

    @property
    def quiet(self) -> tuple[HeatRow, ...]:
        return tuple(r for r in self.rows if r.quiet_two_weeks)


@dataclass(frozen=True)
class RepActivity:
    """A rep of the company summary who needs a look."""

    rep_id: int
    rep_name: str
    team_id: int | None
    team_name: str | None
    last_logged_at: datetime | None  # their latest note; None: never
    silent: bool  # nothing logged in the last SILENT_DAYS (here that long at least)
    quiet_two_weeks: bool  # 连续两周无新增客户


@dataclass(frozen=True)
class TeamActivity:
    """One team's line of the company summary."""

    team_id: int
    team_name: str
    reps: int
    silent: int
    quiet: int


@dataclass(frozen=True)
class CompanyActivity:
    teams: tuple[TeamActivity, ...]  # by name
    flagged: tuple[RepActivity, ...]  # silent or quiet reps, the longest silent first

    @property
    def silent(self) -> tuple[RepActivity, ...]:
        return tuple(r for r in self.flagged if r.silent)

    @property
    def quiet(self) -> tuple[RepActivity, ...]:
        return tuple(r for r in self.flagged if r.quiet_two_weeks)


def _quiet(person: User, gained: bool, now: datetime) -> bool:
    """连续两周无新增客户: here for QUIET_DAYS at least, and no lead gained in them."""
    return not gained and person.created_at <= now - timedelta(days=QUIET_DAYS)


def behaviour(
    session: Session,
    scope: Scope,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    *,
    weeks: int = 4,
    team_id: int | None = None,
) -> Heatmap:
    """The heat map of the scope, or of one of its teams (`team_id`, checked: Refusal outside the scope)."""
    if team_id is not None:
        scope = team_scope(session, scope, team_id)
    days = local_days(now, tz, 7 * weeks)
    starts = [local_midnight(day, tz) for day in days]
    end = local_midnight(days[-1] + timedelta(days=1), tz)
    day = bucket(Activity.created_at, starts)
    counts: dict[tuple[int, str], list[int]] = {}
    for author_id, kind, index, n in session.execute(
        select(Activity.author_id, Activity.type, day, func.count())
        .where(scope.where_owner(Activity.author_id), Activity.created_at >= starts[0], Activity.created_at < end)
        .group_by(Activity.author_id, Activity.type, day)
    ):
        counts.setdefault((author_id, kind), [0] * len(days))[index] += n
    totals: dict[str, int] = {}
    for (_, kind), per_day in counts.items():
        totals[kind] = totals.get(kind, 0) + sum(per_day)
    types = tuple(sorted(totals, key=lambda k: (-totals[k], k)))

    since = now - timedelta(days=QUIET_DAYS)
    new_leads = {
        owner_id: n
        for owner_id, n in session.execute(
            select(Lead.owner_id, func.count())
            .where(scope.where_owner(Lead.owner_id), Lead.created_at >= since, Lead.created_at <= now)
            .group_by(Lead.owner_id)
        )
    }
    active = {author_id for author_id, _ in counts}
    people = [p for p in visible_people(session, scope) if p.role == Role.REP or p.id in active]
    rows = []
    for person in people:
        by_type = {kind: tuple(counts[(person.id, kind)]) for kind in types if (person.id, kind) in counts}
        per_day = tuple(sum(series[i] for series in by_type.values()) for i in range(len(days)))
        fresh = new_leads.get(person.id, 0)
        rows.append(HeatRow(person.id, person.name, per_day, by_type, fresh, _quiet(person, fresh > 0, now)))
    return Heatmap(days, types, tuple(rows), _first_touch(session, scope, people, starts[0], now, rules))


def company_activity(session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules) -> CompanyActivity:
    """Who has stopped logging, over a whole company: per team of the scope its reps, how many logged nothing
    in the last SILENT_DAYS and how many are 连续两周无新增客户; and those reps. Two index probes per rep (their
    latest note, whether they gained a lead), not a scan of the weeks' notes."""
    last_logged = (
        select(func.max(Activity.created_at))
        .where(Activity.author_id == User.id, Activity.created_at <= now)
        .scalar_subquery()
    )
    gained = (
        select(Lead.id)
        .where(Lead.owner_id == User.id, Lead.created_at >= now - timedelta(days=QUIET_DAYS), Lead.created_at <= now)
        .exists()
    )
    teams = visible_teams(session, scope)
    names = {team.id: team.name for team in teams}
    silent_since = now - timedelta(days=SILENT_DAYS)
    reps = []
    for person, logged_at, fresh in session.execute(
        select(User, last_logged, gained)
        .where(scope.where_owner(User.id), User.role == Role.REP)
        .order_by(User.name, User.id)
    ):
        silent = (logged_at is None or logged_at < silent_since) and person.created_at <= silent_since
        reps.append(
            RepActivity(
                person.id,
                person.name,
                person.team_id,
                names.get(person.team_id),
                logged_at,
                silent,
                _quiet(person, fresh, now),
            )
        )
    flagged = [r for r in reps if r.silent or r.quiet_two_weeks]
    flagged.sort(key=lambda r: (r.last_logged_at is not None, r.last_logged_at or now))
    by_team: dict[int | None, list[RepActivity]] = {}
    for rep in reps:
        by_team.setdefault(rep.team_id, []).append(rep)
    lines = []
    for team in teams:
        members = by_team.get(team.id, [])
        silent_n, quiet_n = sum(r.silent for r in members), sum(r.quiet_two_weeks for r in members)
        lines.append(TeamActivity(team.id, team.name, len(members), silent_n, quiet_n))
    return CompanyActivity(tuple(lines), tuple(flagged))


def _first_touch(
    session: Session, scope: Scope, people: list[User], since: datetime, now: datetime, rules: Rules
) -> tuple[FirstTouch, ...]:
    first = select(func.min(Activity.created_at)).where(Activity.lead_id == Lead.id).scalar_subquery()
    rows = session.execute(
        select(Lead.id, Lead.owner_id, Lead.created_at, first)
        .where(
            scope.where_owner(Lead.owner_id),
            Lead.source == LeadSource.ASSIGNED,
            Lead.created_at >= since,
            Lead.created_at <= now,
        )
        .order_by(Lead.id)
    ).all()
    by_owner: dict[int, list[tuple[int, float | None]]] = {}
    for lead_id, owner_id, created_at, first_at in rows:
        hours = None if first_at is None else (first_at - created_at).total_seconds() / 3600
        by_owner.setdefault(owner_id, []).append((lead_id, hours))
    picked: list[tuple[User, list[int], list[float]]] = []
    for person in people:
        leads = by_owner.get(person.id, [])
        if leads:
            slowest = sorted(leads, key=lambda pair: (pair[1] is not None, -(pair[1] or 0)))[:SLOWEST]
            picked.append((person, [lead_id for lead_id, _ in slowest], [h for _, h in leads if h is not None]))
    # Only the slowest leads are loaded whole, all in one lead_lines call.
    wanted = [lead_id for _, ids, _ in picked for lead_id in ids]
    loaded = {
        lead.id: lead
        for lead in session.scalars(select(Lead).where(Lead.id.in_(wanted)).options(joinedload(Lead.owner)))
    }
    lines = iter(lead_lines(session, [loaded[i] for i in wanted], now, rules))
    return tuple(
        FirstTouch(
            rep_id=person.id,
            rep_name=person.name,
            new_leads=len(by_owner[person.id]),
            touched=len(touched),
            median_hours=round(statistics.median(touched), 1) if touched else None,
            slowest=tuple(next(lines) for _ in ids),
        )
        for person, ids, touched in picked
    )
