"""The leads a message could be about, as the resolver needs them.

Which one it is, is decided by `nlp.resolve` (the conversation composes the two): storage only says who may be
meant — the rep's own leads first, then those of their team (a colleague's customer gets the collision notice
instead of a duplicate) — and which of their own leads they logged on last.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Activity, Lead, Team, User
from storage.roles import is_admin


def resolution_pool(session: Session, actor: User) -> list[Lead]:
    """The actor's leads, then their team's: the same team, or the teams they manage (admins: every lead)."""
    own = list(session.scalars(select(Lead).where(Lead.owner_id == actor.id).order_by(Lead.id)))
    others = select(Lead).where(Lead.owner_id != actor.id).order_by(Lead.id)
    if not is_admin(actor):
        teams = select(Team.id).where(Team.manager_id == actor.id)
        if actor.team_id is not None:
            teams = teams.union(select(Team.id).where(Team.id == actor.team_id))
        others = others.join(User, Lead.owner_id == User.id).where(User.team_id.in_(teams))
    return own + list(session.scalars(others))


def recent_leads(session: Session, actor: User, limit: int) -> list[Lead]:
    """The actor's own leads they logged on most recently (to offer when a message names no customer)."""
    latest = (
        select(Activity.lead_id, func.max(Activity.id).label("last"))
        .where(Activity.author_id == actor.id)
        .group_by(Activity.lead_id)
        .subquery()
    )
    return list(
        session.scalars(
            select(Lead)
            .join(latest, latest.c.lead_id == Lead.id)
            .where(Lead.owner_id == actor.id)
            .order_by(latest.c.last.desc())
            .limit(limit)
        )
    )
