"""Directory sync: a platform's departments and members, read whole, become teams, managers and reps.

A platform reader (bot/platforms/*_directory.py) hands over a neutral `Directory`; `sync_directory` makes the
database agree with it inside the caller's transaction and reports what it changed, so a dry run is the same
sync rolled back, and a reader that fails on any page leaves nothing half done (it fails before this runs).

Rules (docs/org-sync.md):
- Sales departments are the configured roots (ids or names) and everything under them; all departments when
  no root is configured. Each becomes a team, nested as the departments are; its first leader is its manager.
- A member's team is their first sales department (readers put the main department first).
- People in the directory but outside sales keep their account and role but leave the synced teams.
- A person with an identity on the platform who is not in the directory at all is deactivated, never deleted.
- Roles are derived (manager if they lead a team, else rep) unless set by hand; an admin is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.models import Alert, Identity, Team, User
from storage.people import InvalidInput, manager_of
from storage.states import AlertStatus, Role

TEAM_NAME_LENGTH = 100


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    parent_id: str | None
    leader_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    department_ids: tuple[str, ...]  # the main department first


@dataclass(frozen=True)
class Directory:
    """Everything a platform's directory said, read to the last page."""

    platform: str
    departments: tuple[Department, ...]
    members: tuple[Member, ...]


@dataclass
class SyncReport:
    """What a sync changed, in words for the operator, and who left (their open leads need a new owner)."""

    platform: str
    teams_created: list[str] = field(default_factory=list)
    teams_updated: list[str] = field(default_factory=list)
    managers_set: list[str] = field(default_factory=list)
    users_added: list[str] = field(default_factory=list)
    users_updated: list[str] = field(default_factory=list)
    users_deactivated: list[str] = field(default_factory=list)
    handovers: list[str] = field(default_factory=list)  # filled by the caller that tells the managers
    warnings: list[str] = field(default_factory=list)
    leavers: list[User] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "teams_created": len(self.teams_created),
            "teams_updated": len(self.teams_updated),
            "managers_set": len(self.managers_set),
            "users_added": len(self.users_added),
            "users_updated": len(self.users_updated),
            "users_deactivated": len(self.users_deactivated),
            "handover_cards": len(self.handovers),
        }

    def lines(self) -> list[str]:
        sections = (
            ("team created", self.teams_created),
            ("team updated", self.teams_updated),
            ("manager set", self.managers_set),
            ("user added", self.users_added),
            ("user updated", self.users_updated),
            ("user deactivated", self.users_deactivated),
            ("handover", self.handovers),
            ("warning", self.warnings),
        )
        return [f"{label}: {item}" for label, items in sections for item in items]


def sales_departments(directory: Directory, roots: Iterable[str]) -> list[Department]:
    """The departments under `roots` (ids or names, the roots included), parents before children; all of them
    when `roots` is empty. Raises InvalidInput for a root that is no department of the directory."""
    by_id = {d.id: d for d in directory.departments}
    children: dict[str | None, list[Department]] = {}
    for dept in directory.departments:
        parent = dept.parent_id if dept.parent_id in by_id and dept.parent_id != dept.id else None
        children.setdefault(parent, []).append(dept)
    every = _below(children, children.get(None, []))  # the whole tree, top down
    wanted = list(roots)
    if not wanted:
        return every
    start = []
    for root in wanted:
        found = [d for d in directory.departments if root in (d.id, d.name)]
        if not found:
            raise InvalidInput(
                f"SALESBOT_ORG_ROOTS: {root!r} is no department id or name in the {directory.platform} directory"
            )
        start.extend(found)
    chosen = {d.id for d in _below(children, start)}
    return [d for d in every if d.id in chosen]


def _below(children: dict[str | None, list[Department]], start: list[Department]) -> list[Department]:
    """`start` and everything under it, breadth first."""
    ordered: list[Department] = []
    seen: set[str] = set()
    todo = list(start)
    while todo:
        dept = todo.pop(0)
        if dept.id not in seen:
            seen.add(dept.id)
            ordered.append(dept)
            todo.extend(children.get(dept.id, ()))
    return ordered


def sync_directory(session: Session, directory: Directory, *, roots: Iterable[str], now: datetime) -> SyncReport:
    """Make teams, managers and people agree with `directory`; returns what changed. Raises InvalidInput (and
    changes nothing) for a directory with nobody in it or an unknown root."""
    if not directory.members:
        raise InvalidInput(
            f"the {directory.platform} directory returned nobody: check the app's visibility scope and contact "
            "permissions (nothing was changed)"
        )
    report = SyncReport(directory.platform)
    sales = sales_departments(directory, roots)
    known = _known(session, directory.platform)
    teams = _sync_teams(session, directory.platform, sales, report, now)
    users = _sync_members(session, directory, known, sales, teams, report, now)
    _sync_managers(sales, teams, users, report)
    _sync_roles(session, directory.platform, teams, users, report)
    _deactivate_leavers(session, directory, known, report, now)
    session.flush()
    return report


def _sync_teams(
    session: Session, platform: str, sales: list[Department], report: SyncReport, now: datetime
) -> dict[str, Team]:
    """One team per sales department (parents first, so each finds its parent's team)."""
    synced = {t.external_id: t for t in session.scalars(select(Team).where(Team.platform == platform))}
    teams: dict[str, Team] = {}
    for dept in sales:
        team = synced.get(dept.id) or session.scalar(
            select(Team).where(Team.name == dept.name, Team.platform.is_(None))
        )
        name = _free_name(session, dept, team)
        if team is None:
            team = Team(name=name, platform=platform, external_id=dept.id, created_at=now)
            session.add(team)
            report.teams_created.append(f"{name} ({platform} department {dept.id})")
        else:
            changes = []
            if team.platform is None:
                team.platform, team.external_id = platform, dept.id
                changes.append(f"linked to {platform} department {dept.id}")
            if team.name != name:
                changes.append(f"renamed from {team.name}")
                team.name = name
            parent = teams.get(dept.parent_id or "")
            if team.parent is not parent:
                changes.append(f"now under {parent.name if parent else 'no team'}")
            if changes:
                report.teams_updated.append(f"{name}: {', '.join(changes)}")
        team.parent = teams.get(dept.parent_id or "")
        session.flush()
        teams[dept.id] = team
    for external_id, team in synced.items():
        if external_id not in teams:
            report.warnings.append(
                f"team {team.name}: {platform} department {external_id} is gone or outside the sales roots "
                "(the team is kept as it is)"
            )
    return teams


def _free_name(session: Session, dept: Department, team: Team | None) -> str:
    """The department's name, or, when another team holds it, the name with the department id."""
    name = dept.name[:TEAM_NAME_LENGTH]
    holder = session.scalar(select(Team).where(Team.name == name))
    if holder is None or holder is team:
        return name
    suffix = f"（{dept.id}）"
    return dept.name[: TEAM_NAME_LENGTH - len(suffix)] + suffix


def _known(session: Session, platform: str) -> dict[str, User]:
    """Everyone the bot knows on `platform`, by their id there (one query, not one per member)."""
    rows = session.execute(
        select(User, Identity.external_id)
        .join(Identity)
        .where(Identity.platform == platform)
        .options(selectinload(User.team))
        .order_by(User.id)
    )
    return {external_id: user for user, external_id in rows}


def _sync_members(
    session: Session,
    directory: Directory,
    known: dict[str, User],
    sales: list[Department],
    teams: dict[str, Team],
    report: SyncReport,
    now: datetime,
) -> dict[str, User]:
    """Sales people (members of a sales department, and leaders of one) are added or updated and put in their
    team; others already known keep their account but leave the synced teams. Returns sales people by id."""
    platform = directory.platform
    led = {leader: dept.id for dept in reversed(sales) for leader in dept.leader_ids}
    users: dict[str, User] = {}
    for member in directory.members:
        home = next((d for d in member.department_ids if d in teams), None) or led.get(member.id)
        user = known.get(member.id)
        if home is None:
            if user is not None and user.team is not None and user.team.platform == platform:
                report.users_updated.append(f"{user.name}: left {user.team.name} (no longer in sales)")
                user.team = None
            if user is not None and user.deactivated_at is not None:
                report.users_updated.append(f"{user.name}: back in the directory: reactivated")
                user.deactivated_at = None
            continue
        team = teams[home]
        if user is None:
            user = User(name=member.name, role=Role.REP, created_at=now, team=team)
            user.identities.append(Identity(platform=platform, external_id=member.id))
            session.add(user)
            report.users_added.append(f"{member.name} ({platform}:{member.id}) in {team.name}")
        else:
            changes = []
            if user.name != member.name:
                changes.append(f"renamed from {user.name}")
                user.name = member.name
            if user.team is not team:
                changes.append(f"moved to {team.name}")
                user.team = team
            if user.deactivated_at is not None:
                changes.append("back in the directory: reactivated")
                user.deactivated_at = None
            if changes:
                report.users_updated.append(f"{member.name}: {', '.join(changes)}")
        users[member.id] = user
    session.flush()
    return users


def _sync_managers(sales: list[Department], teams: dict[str, Team], users: dict[str, User], report: SyncReport) -> None:
    """Each department's first leader manages its team. With no leader in the directory the team keeps the
    manager it has, unless they are gone (then the manager up the chain hears about it)."""
    for dept in sales:
        team = teams[dept.id]
        leader = next((users[i] for i in dept.leader_ids if i in users), None)
        if leader is None and team.manager is not None and team.manager.deactivated_at is None:
            continue
        if team.manager is not leader:
            team.manager = leader
            report.managers_set.append(f"{team.name}: {leader.name if leader else 'none'}")


def _sync_roles(
    session: Session, platform: str, teams: dict[str, Team], users: dict[str, User], report: SyncReport
) -> None:
    """Manager if they manage any team, else rep; roles set by hand and admins are kept."""
    managing = {team.manager_id for team in session.scalars(select(Team)) if team.manager_id is not None}
    for user in users.values():
        if user.role_by_hand or user.role == Role.ADMIN:
            continue
        role = Role.MANAGER if user.id in managing else Role.REP
        if user.role != role:
            report.users_updated.append(f"{user.name}: {user.role} → {role}")
            user.role = role


def _deactivate_leavers(
    session: Session, directory: Directory, known: dict[str, User], report: SyncReport, now: datetime
) -> None:
    """Everyone with an identity on the platform whom the directory no longer lists is deactivated; the teams
    they managed lose them, and the alerts waiting for them go to the manager up the chain."""
    present = {member.id for member in directory.members}
    leavers = [(i, user) for i, user in known.items() if i not in present and user.deactivated_at is None]
    for external_id, user in leavers:
        user.deactivated_at = now
        report.users_deactivated.append(f"{user.name} ({directory.platform}:{external_id})")
        for team in session.scalars(select(Team).where(Team.manager_id == user.id)):
            team.manager = None
            report.managers_set.append(f"{team.name}: none ({user.name} left)")
    report.leavers = [user for _, user in leavers]
    session.flush()
    if leavers:
        _redirect_alerts(session, report.leavers)


def _redirect_alerts(session: Session, leavers: list[User]) -> None:
    waiting = session.scalars(
        select(Alert).where(
            Alert.manager_id.in_([u.id for u in leavers]),
            Alert.status.in_((AlertStatus.OPEN, AlertStatus.SNOOZED)),
        )
    )
    for alert in waiting:
        manager = manager_of(session, alert.lead.owner)
        alert.manager_id = manager.id if manager else None
