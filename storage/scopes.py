"""Scopes: whose leads, people and teams a viewer may see — the one permission rule of chat and the cockpit.

A rep sees their own leads; a manager those of the members of the teams they manage (`managed_team_ids`: the
subtree, once teams nest) and their own; an admin everything. Pages filter their queries with
`Scope.where_owner` and check an id from a URL with `lead_in_scope`, `user_in_scope` or `team_in_scope`,
which refuse what lies outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import Lead, Team, User
from storage.people import managed_team_ids
from storage.refusals import Refusal, Why
from storage.roles import is_admin, is_manager


class ScopeKind(StrEnum):
    OWN = "own"  # a rep: their own leads
    TEAMS = "teams"  # a manager: their teams' members
    ALL = "all"  # an admin


@dataclass(frozen=True)
class Scope:
    viewer_id: int
    kind: ScopeKind
    team_ids: frozenset[int]  # the teams visible (OWN: none)
    user_ids: frozenset[int] | None  # whose leads are visible; None: everyone's

    def owns(self, user_id: int | None) -> bool:
        """Whether leads owned by `user_id` are visible."""
        return self.user_ids is None or user_id in self.user_ids

    def where_owner(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """A SQL condition on a user-id column (Lead.owner_id, Activity.author_id) that keeps the scope."""
        return true() if self.user_ids is None else column.in_(sorted(self.user_ids))


def scope_of(session: Session, viewer: User) -> Scope:
    if is_admin(viewer):
        return Scope(viewer.id, ScopeKind.ALL, frozenset(session.scalars(select(Team.id))), None)
    if not is_manager(viewer):
        return Scope(viewer.id, ScopeKind.OWN, frozenset(), frozenset({viewer.id}))
    teams = frozenset(managed_team_ids(session, viewer))
    members = session.scalars(select(User.id).where(User.team_id.in_(sorted(teams)))) if teams else []
    return Scope(viewer.id, ScopeKind.TEAMS, teams, frozenset({viewer.id, *members}))


def lead_in_scope(session: Session, scope: Scope, lead_id: int) -> Lead:
    """The lead `lead_id` if the scope shows it; raises Refusal otherwise."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise Refusal(Why.LEAD_GONE)
    if not scope.owns(lead.owner_id):
        raise Refusal(Why.LEAD_NOT_YOURS, lead=lead)
    return lead


def user_in_scope(session: Session, scope: Scope, user_id: int) -> User:
    """The person `user_id` if the scope shows their leads; raises Refusal otherwise (an unknown id too)."""
    user = session.get(User, user_id)
    if user is None or not scope.owns(user.id):
        raise Refusal(Why.USER_NOT_IN_SCOPE)
    return user


def team_in_scope(session: Session, scope: Scope, team_id: int) -> Team:
    """The team `team_id` if the scope covers it; raises Refusal otherwise (an unknown id too)."""
    team = session.get(Team, team_id)
    if team is None or team.id not in scope.team_ids:
        raise Refusal(Why.TEAM_NOT_IN_SCOPE)
    return team


def team_scope(session: Session, scope: Scope, team_id: int) -> Scope:
    """The part of `scope` that is one of its teams (its members' leads); raises Refusal outside the scope."""
    team = team_in_scope(session, scope, team_id)
    members = frozenset(session.scalars(select(User.id).where(User.team_id == team.id)))
    return Scope(scope.viewer_id, ScopeKind.TEAMS, frozenset({team.id}), members)


def visible_people(session: Session, scope: Scope) -> list[User]:
    """Everyone whose leads the scope shows, by name."""
    return list(session.scalars(select(User).where(scope.where_owner(User.id)).order_by(User.name, User.id)))


def visible_teams(session: Session, scope: Scope) -> list[Team]:
    """The teams the scope covers, by name."""
    return list(session.scalars(select(Team).where(Team.id.in_(sorted(scope.team_ids))).order_by(Team.name)))
