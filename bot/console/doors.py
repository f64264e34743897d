"""The ways into the cockpit from chat: the 看板 button on digest and alert cards, and the 看板 command.

A card can sit in a chat for hours, longer than a one-time link lives, so its button opens the platform's
in-app login (`/console/login/PLATFORM`), which identifies the person inside their client. The 看板 command
answers at once, so it hands out a fresh one-time link (which also works outside the clients).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot import texts
from bot.cards import Button, Card
from bot.console.links import console_secret, new_link
from config.settings import Settings
from storage.identity import IdentityKey
from storage.models import User
from storage.people import primary_identity

LOGIN_PATH = "/console/login/"


def entry_url(settings: Settings, user: User) -> str | None:
    """The in-app login for `user`'s platform, or None where that platform has none configured."""
    platform = IdentityKey.parse(primary_identity(user)).platform
    if platform not in ("wecom", "feishu") or getattr(settings, platform) is None:
        return None
    return f"{settings.public_url}{LOGIN_PATH}{platform}"


def with_console_button(card: Card, settings: Settings, user: User) -> Card:
    """`card` with a 看板 button for `user` where their platform can open it."""
    url = entry_url(settings, user)
    if url is None:
        return card
    return replace(card, buttons=(*card.buttons, Button.link(texts.CONSOLE_BUTTON, url)))


def console_card(session: Session, user: User, now: datetime) -> Card:
    """The answer to 看板: a fresh one-time link, as text and as a button."""
    from bot import runtime

    rt = runtime.current()
    url = new_link(session, user, secret=console_secret(rt, session), public_url=rt.settings.public_url, now=now)
    return Card(
        title=texts.CONSOLE_TITLE,
        lines=(texts.console_link(url),),
        buttons=(Button.link(texts.CONSOLE_OPEN, url),),
    )
