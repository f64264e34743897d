"""Roles: who manages (managers and admins see and steer their teams) and who sells."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import User
from storage.states import Role

MANAGING_ROLES = (Role.MANAGER, Role.ADMIN)


def is_manager(user: User) -> bool:
    """Managers and admins: they may assign leads and handle alerts."""
    return user.role in MANAGING_ROLES


def is_admin(user: User) -> bool:
    """Admins see and steer every team."""
    return user.role == Role.ADMIN


def first_admin(session: Session) -> User | None:
    """Who hears about a rep that has no team manager (an active admin)."""
    return session.scalar(
        select(User).where(User.role == Role.ADMIN, User.deactivated_at.is_(None)).order_by(User.id).limit(1)
    )


def managers(session: Session) -> list[User]:
    """Every active manager and admin, by id."""
    query = select(User).where(User.role.in_(MANAGING_ROLES), User.deactivated_at.is_(None))
    return list(session.scalars(query.order_by(User.id)))


def reps(session: Session) -> list[User]:
    """Every active rep, by id."""
    query = select(User).where(User.role == Role.REP, User.deactivated_at.is_(None))
    return list(session.scalars(query.order_by(User.id)))
