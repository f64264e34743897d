"""WeCom (企业微信) self-built app, or the AI bot over its long connection, and group robots: the adapter.

The callback endpoint is in wecom_callback.py, sending in wecom_send.py, the API client (media download,
directory) in wecom_client.py; in `SALESBOT_WECOM_MODE=ws` the AI bot's frames and sender are in wecom_bot.py
and its connection in wecom_bot_link.py. Each is imported when first needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platforms.adapter import GroupChannel, PlatformAdapter, imported_when_called
from bot.platforms.base import Preparer, Sender
from config.settings import Settings

if TYPE_CHECKING:
    import redis
    from flask import Blueprint


def wecom_senders(settings: Settings, connection: redis.Redis) -> dict[str, Sender]:
    """`wecom_webhook` (group robots, recipient = URL) always; `wecom` (messages to `wecom:USERID`) from the app
    when it is configured, or over the AI bot's long connection in ws mode."""
    from bot.platforms.wecom_send import AppSender, RobotSender

    senders: dict[str, Sender] = {"wecom_webhook": RobotSender(connection)}
    if settings.wecom_bot is not None:
        from bot.platforms.wecom_bot import BotSender

        senders["wecom"] = BotSender(connection)
    if settings.wecom is not None:
        from bot.platforms.wecom_client import WecomClient

        client = WecomClient(settings.wecom, connection)
        senders["wecom"] = AppSender(client, settings.wecom.agent_id, connection)
    return senders


def wecom_webhook(settings: Settings) -> Blueprint | None:
    """`GET|POST /wecom/callback` for the app; the AI bot in ws mode has no endpoint."""
    if settings.wecom is None:
        return None
    from bot.platforms.wecom_callback import wecom_blueprint

    return wecom_blueprint(settings)


def wecom_preparer(settings: Settings, connection: redis.Redis) -> Preparer | None:
    """The app's (names from the directory, voice downloaded); the AI bot's messages need none (voice arrives
    as text)."""
    if settings.wecom is None:
        return None
    from bot.platforms.wecom_client import wecom_preparer as app_preparer

    return app_preparer(settings, connection)


ADAPTER = PlatformAdapter(
    name="wecom",
    configured=lambda settings: settings.wecom is not None or settings.wecom_bot is not None,
    senders=wecom_senders,
    webhook=wecom_webhook,
    preparer=wecom_preparer,
    group_channels=(GroupChannel("wecom_webhook", "WeCom group robot webhook URL"),),
    directory=imported_when_called("bot.platforms.wecom_directory", "wecom_directory"),
    connects=lambda settings: settings.wecom_bot is not None,
    long_connection=imported_when_called("bot.platforms.wecom_bot_link", "WecomBotLink"),
)
