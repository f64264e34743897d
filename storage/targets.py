"""Monthly sales targets, a team's or a rep's, and the target of a viewer's scope (the cockpit's 缺口)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Target, Team, User
from storage.people import InvalidInput, find_team, find_user
from storage.scopes import Scope, ScopeKind

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def month_of(moment: datetime, tz: tzinfo) -> str:
    """`YYYY-MM` of `moment` in `tz`."""
    return moment.astimezone(tz).strftime("%Y-%m")


def checked_month(month: str) -> str:
    """`month` if it is `YYYY-MM`; raises InvalidInput otherwise."""
    if not _MONTH.fullmatch(month):
        raise InvalidInput(f"month must be YYYY-MM, got {month!r}")
    return month


@dataclass(frozen=True)
class TargetView:
    team: str | None
    rep: str | None  # PLATFORM:ID
    month: str
    amount: int


def set_target(
    session: Session, *, month: str, amount: int, team: str | None = None, rep: str | None = None, now: datetime
) -> Target:
    """Set (or change) the target of one team or one rep (`PLATFORM:ID`) for `month`; raises InvalidInput."""
    checked_month(month)
    if amount < 0:
        raise InvalidInput("amount must not be negative")
    if (team is None) == (rep is None):
        raise InvalidInput("give either a team or a rep")
    if team is not None:
        owner = {"team_id": find_team(session, team).id, "user_id": None}
    else:
        user = find_user(session, rep or "")
        if user is None:
            raise InvalidInput(f"no user {rep}")
        owner = {"team_id": None, "user_id": user.id}
    target = session.scalar(select(Target).filter_by(month=month, **owner))
    if target is None:
        target = Target(month=month, created_at=now, **owner)
        session.add(target)
    target.amount, target.updated_at = amount, now
    session.flush()
    return target


def list_targets(session: Session, *, month: str | None = None) -> list[TargetView]:
    """Every target (of `month`), by month, then teams by name before reps by name."""
    query = (
        select(Target, Team.name, User)
        .outerjoin(Team, Team.id == Target.team_id)
        .outerjoin(User, User.id == Target.user_id)
        .order_by(Target.month, Team.name.is_(None), Team.name, User.name, Target.id)
    )
    if month is not None:
        query = query.where(Target.month == checked_month(month))
    return [
        TargetView(team=team, rep=user.identities[0].key if user else None, month=target.month, amount=target.amount)
        for target, team, user in session.execute(query)
    ]


def target_for(session: Session, scope: Scope, month: str) -> int | None:
    """The target of the scope's leads for `month`: a rep's own; for teams, each team's target, or the sum of its
    members' targets when the team has none. None when no target applies."""
    if scope.kind == ScopeKind.OWN:
        return session.scalar(select(Target.amount).where(Target.user_id == scope.viewer_id, Target.month == month))
    teams = sorted(scope.team_ids)
    team_query = select(Target.team_id, Target.amount).where(Target.team_id.in_(teams), Target.month == month)
    team_targets: dict[int | None, int] = {t: a for t, a in session.execute(team_query)}
    member_query = (
        select(User.team_id, func.sum(Target.amount))
        .join(Target, Target.user_id == User.id)
        .where(User.team_id.in_(teams), Target.month == month)
        .group_by(User.team_id)
    )
    member_targets: dict[int | None, int] = {t: a for t, a in session.execute(member_query)}
    amounts = [team_targets.get(t, member_targets.get(t)) for t in teams]
    known = [int(a) for a in amounts if a is not None]
    return sum(known) if known else None
