"""Users, their platform identities, teams and group targets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import insert_once
from storage.identity import NAME_PATTERN, IdentityKey
from storage.models import ROLES, GroupTarget, Identity, Team, User
from storage.roles import first_admin
from storage.states import Role


class InvalidInput(ValueError):
    """A caller gave an unknown role, team or a malformed channel; the message says which, in English."""


def find_user(session: Session, key: str) -> User | None:
    ident = IdentityKey.parse(key)
    return session.scalar(
        select(User)
        .join(Identity)
        .where(Identity.platform == ident.platform, Identity.external_id == ident.external_id)
    )


def primary_identity(user: User) -> str:
    """The identity the bot uses to reach `user` (their first one)."""
    return user.identities[0].key


def ensure_user(session: Session, key: str, *, name: str | None, now: datetime) -> User:
    """The user behind `key`, created as a rep on first contact (named `name`, else the id)."""
    user = find_user(session, key)
    if user is not None:
        if name and user.name == IdentityKey.parse(key).external_id:
            user.name = name
        return user
    ident = IdentityKey.parse(key)
    user = User(name=name or ident.external_id, role=Role.REP, created_at=now)
    user.identities.append(Identity(platform=ident.platform, external_id=ident.external_id))
    if not insert_once(session, user):
        # Someone else created it between our select and insert.
        user = find_user(session, key)
        assert user is not None
    return user


def find_team(session: Session, name: str) -> Team:
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise InvalidInput(f"no team named {name!r}")
    return team


def add_user(session: Session, key: str, *, name: str, role: str | None, team: str | None, now: datetime) -> User:
    """Create or update the user behind `key`. A role given here is set by hand: a directory sync keeps it
    (None: a new user is a rep, an existing one keeps their role). Raises InvalidInput for an unknown role or team."""
    if role is not None and role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    user = ensure_user(session, key, name=name, now=now)
    user.name = name
    if role is not None:
        user.role, user.role_by_hand = Role(role), True
    if team is not None:
        user.team = find_team(session, team)
    return user


def add_team(session: Session, name: str, *, manager_key: str, now: datetime) -> Team:
    """Create a team (or change its manager). The manager must exist; a rep is promoted to manager.

    Raises InvalidInput for an unknown manager."""
    manager = find_user(session, manager_key)
    if manager is None:
        raise InvalidInput(f"no user {manager_key}; add them first with `salesbot users add`")
    if manager.role == Role.REP:
        manager.role, manager.role_by_hand = Role.MANAGER, True
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, created_at=now)
        session.add(team)
    team.manager = manager
    session.flush()
    return team


def add_group_target(
    session: Session, team: str, *, channel: str, address: str, secret: str | None, now: datetime
) -> GroupTarget:
    """A place `team`'s group posts go. The bot checks `channel` against its platforms; storage only its form."""
    if not NAME_PATTERN.fullmatch(channel):
        raise InvalidInput(f"{channel!r} is not a channel name")
    target = GroupTarget(
        team_id=find_team(session, team).id, channel=channel, address=address, secret=secret, created_at=now
    )
    session.add(target)
    session.flush()
    return target


def managed_team_ids(session: Session, user: User) -> list[int]:
    """The teams `user` manages and every team nested under them (a regional head sees their sub-teams)."""
    teams = session.execute(select(Team.id, Team.parent_id, Team.manager_id)).all()
    children: dict[int, list[int]] = {}
    for team_id, parent_id, _ in teams:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(team_id)
    found: set[int] = set()
    todo = [team_id for team_id, _, manager_id in teams if manager_id == user.id]
    while todo:
        team_id = todo.pop()
        if team_id not in found:
            found.add(team_id)
            todo.extend(children.get(team_id, ()))
    return sorted(found)


def manager_of(session: Session, owner: User) -> User | None:
    """Who hears about `owner`'s leads: the first active manager up the chain of teams above `owner` (not
    `owner` themselves: a team lead's own leads go to the head above), else the first admin."""
    team, seen = owner.team, set()
    while team is not None and team.id not in seen:
        seen.add(team.id)
        manager = team.manager
        if manager is not None and manager.id != owner.id and manager.deactivated_at is None:
            return manager
        team = team.parent
    return first_admin(session)
