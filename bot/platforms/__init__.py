"""The chat platforms: `ADAPTERS` is the one list of them, and every platform-wide loop goes over it.

Each adapter module is light; a platform's SDK is imported only when its credentials are configured.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from bot.platforms import chat, feishu, wecom
from bot.platforms.adapter import GroupChannel, PlatformAdapter
from bot.platforms.base import Preparer, Sender
from config.settings import Settings
from storage.identity import IdentityKey, InvalidIdentity

if TYPE_CHECKING:
    import redis
    from flask import Flask

    from bot.longconn import Link
    from bot.runtime import Runtime

_QUERY_SECRET = re.compile(r"\b((?:corpsecret|access_token|secret|key)=)[^&\s\"']+")


class _RedactQuerySecrets(logging.Filter):
    """urllib3 logs each request line at DEBUG, and WeCom puts corpsecret and access_token (group robots their
    key) in the query string: mask them before any handler sees the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY_SECRET.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactQuerySecrets())


# The platforms this bot speaks. A new platform is one adapter module and one line here.
ADAPTERS: tuple[PlatformAdapter, ...] = (wecom.ADAPTER, feishu.ADAPTER, chat.ADAPTER)


def group_channels() -> tuple[GroupChannel, ...]:
    """Every channel that reaches a group chat, in registry order."""
    return tuple(channel for adapter in ADAPTERS for channel in adapter.group_channels)


def known_identity(text: str) -> IdentityKey:
    """`text` as an identity on a registered platform; raises InvalidIdentity."""
    names = [adapter.identity_prefix for adapter in ADAPTERS]
    try:
        identity = IdentityKey.parse(text)
    except InvalidIdentity:
        identity = None
    if identity is None or identity.platform not in names:
        raise InvalidIdentity(f"{text!r} is not an identity like wecom:zhangwei ({', '.join(names)})")
    return identity


def build_senders(settings: Settings, connection: redis.Redis) -> dict[str, Sender]:
    """Senders for every platform, keyed by outbox channel: what each platform can send with `settings`.

    `connection` is the queue's Redis (fakeredis when embedded), shared by every process of a deployment:
    platforms keep access tokens and rate-limit windows there.
    """
    return {
        channel: sender for adapter in ADAPTERS for channel, sender in adapter.senders(settings, connection).items()
    }


def build_preparers(settings: Settings, connection: redis.Redis) -> dict[str, Preparer]:
    """Preparers (voice download and transcription, directory look-ups) keyed by inbound channel."""
    preparers = {
        adapter.name: adapter.preparer(settings, connection)
        for adapter in ADAPTERS
        if adapter.preparer is not None and adapter.configured(settings)
    }
    return {name: preparer for name, preparer in preparers.items() if preparer is not None}


def register_webhooks(app: Flask, settings: Settings) -> None:
    """Mount the inbound endpoint of every configured platform (GET|POST /wecom/callback, …)."""
    for adapter in ADAPTERS:
        if adapter.webhook is not None and adapter.configured(settings):
            blueprint = adapter.webhook(settings)
            if blueprint is not None:
                app.register_blueprint(blueprint)


def connecting_platforms(settings: Settings) -> list[str]:
    """Platforms that receive over a long connection out rather than a webhook."""
    return [adapter.name for adapter in ADAPTERS if adapter.configured(settings) and adapter.connects(settings)]


def build_links(rt: Runtime) -> list[Link]:
    """The long connection of every platform configured to receive over one."""
    return [
        adapter.long_connection(rt)
        for adapter in ADAPTERS
        if adapter.long_connection is not None and adapter.name in connecting_platforms(rt.settings)
    ]
