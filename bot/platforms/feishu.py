"""Feishu (飞书) self-built app with bot capability, and custom group bots: the adapter.

The event endpoint is in feishu_events.py (no SDK: the verified JSON is read as documented), app messages,
speech-to-text and the directory in feishu_client.py (lark-oapi, imported only when the app is configured),
custom group bots in feishu_hook.py (plain HTTP, so they work without the app).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platforms.adapter import GroupChannel, PlatformAdapter, imported_when_called
from bot.platforms.base import Sender
from config.settings import Settings

if TYPE_CHECKING:
    import redis
    from flask import Blueprint


def feishu_senders(settings: Settings, connection: redis.Redis) -> dict[str, Sender]:
    """Custom group bots (`feishu_webhook`: the hook URL) always; with the app configured, app messages
    (`feishu`: `feishu:OPEN_ID` or `feishu_chat:CHAT_ID`; `feishu_chat`: a bare chat_id)."""
    from bot.platforms.feishu_hook import FeishuWebhookSender

    senders: dict[str, Sender] = {"feishu_webhook": FeishuWebhookSender(connection)}
    if settings.feishu is not None:
        from bot.platforms.feishu_client import app_senders

        senders.update(app_senders(settings.feishu, connection))
    return senders


def feishu_webhook(settings: Settings) -> Blueprint | None:
    """`POST /feishu/events`, unless events arrive over the long connection (then nothing listens: an endpoint
    without the verification token to check would take anyone's events)."""
    assert settings.feishu is not None
    if settings.feishu.long_connection:
        return None
    from bot.platforms.feishu_events import feishu_blueprint

    return feishu_blueprint(settings)


ADAPTER = PlatformAdapter(
    name="feishu",
    configured=lambda settings: settings.feishu is not None,
    senders=feishu_senders,
    webhook=feishu_webhook,
    preparer=imported_when_called("bot.platforms.feishu_client", "feishu_preparer"),
    group_channels=(
        GroupChannel("feishu_chat", "Feishu chat_id the app bot is in"),
        GroupChannel("feishu_webhook", "Feishu custom bot webhook URL (its signing secret with --secret)"),
    ),
    directory=imported_when_called("bot.platforms.feishu_directory", "feishu_directory"),
    connects=lambda settings: settings.feishu is not None and settings.feishu.long_connection,
    long_connection=imported_when_called("bot.platforms.feishu_ws", "FeishuLink"),
)
