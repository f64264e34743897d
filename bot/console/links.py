"""One-time links: a signed token carrying a link row's jti, on SALESBOT_PUBLIC_URL.

The signature (itsdangerous, with its own salt) lets a forged or truncated token be refused without a query;
the row (storage.console_links) makes it single-use and holds whom it is for. Tokens name no one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from storage.console_links import LINK_LIFETIME, issue_link, shared_secret, spend_link
from storage.models import User

if TYPE_CHECKING:
    from bot.runtime import Runtime

SALT = "salesbot.console.link"
ENTER_PATH = "/console/enter/"


def console_secret(rt: Runtime, db: Session | None = None) -> str:
    """SALESBOT_SECRET_KEY, or the secret made once and kept in the database, so that every web process,
    restart and `salesbot console link` agree. Inside a transaction, pass its session `db`."""
    if rt.settings.secret_key:
        return rt.settings.secret_key
    if db is not None:
        return shared_secret(db, datetime.now(UTC))
    with rt.transaction() as session:
        return shared_secret(session, datetime.now(UTC))


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def new_link(session: Session, user: User, *, secret: str, public_url: str, now: datetime) -> str:
    """A fresh one-time link for `user`, valid for ten minutes."""
    token = _serializer(secret).dumps(issue_link(session, user, now))
    return f"{public_url.rstrip('/')}{ENTER_PATH}{token}"


def open_link(session: Session, token: str, *, secret: str, now: datetime) -> User | None:
    """The user a valid, unspent, unexpired token was issued to (spending it); None otherwise."""
    try:
        jti = _serializer(secret).loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(jti, str):
        return None
    return spend_link(session, jti, now)
