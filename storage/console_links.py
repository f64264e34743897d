"""One-time links into the cockpit, and the secret the web processes share. No Flask: the bot signs.

A link is a row with a random `jti`; opening it spends the row in one UPDATE that also checks it is unspent
and unexpired, so two requests racing with the same link open one session between them.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.db import insert_ignoring_duplicates
from storage.models import ConsoleLink, ConsoleSecret, User

LINK_LIFETIME = timedelta(minutes=10)
SIGNING_SECRET = "signing"


def issue_link(session: Session, user: User, now: datetime) -> str:
    """A new unspent link for `user`, valid for LINK_LIFETIME; returns its jti."""
    jti = secrets.token_hex(16)
    session.add(ConsoleLink(jti=jti, user_id=user.id, created_at=now, expires_at=now + LINK_LIFETIME))
    session.flush()
    return jti


def spend_link(session: Session, jti: str, now: datetime) -> User | None:
    """The user a link was issued to, marking it spent; None when it is unknown, spent or expired."""
    user_id = session.scalar(
        update(ConsoleLink)
        .where(ConsoleLink.jti == jti, ConsoleLink.used_at.is_(None), ConsoleLink.expires_at > now)
        .values(used_at=now)
        .returning(ConsoleLink.user_id)
    )
    return None if user_id is None else session.get(User, user_id)


def shared_secret(session: Session, now: datetime, name: str = SIGNING_SECRET) -> str:
    """The secret called `name`, made on first use; concurrent first uses agree on the one that was stored."""
    insert_ignoring_duplicates(
        session, ConsoleSecret, [{"name": name, "value": secrets.token_urlsafe(48), "created_at": now}]
    )
    value = session.scalar(select(ConsoleSecret.value).where(ConsoleSecret.name == name))
    assert value is not None
    return value
