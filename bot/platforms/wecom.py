"""WeCom (企业微信) self-built app and group robots: the adapter.

The callback endpoint is in wecom_callback.py, sending in wecom_send.py, the API client (media download,
directory) in wecom_client.py; each is imported when first needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platforms.adapter import GroupChannel, PlatformAdapter, imported_when_called
from bot.platforms.base import Sender
from config.settings import Settings

if TYPE_CHECKING:
    import redis


def wecom_senders(settings: Settings, connection: redis.Redis) -> dict[str, Sender]:
    """`wecom_webhook` (group robots, recipient = URL) always; `wecom` (app messages to `wecom:USERID`) when the
    app is configured."""
    from bot.platforms.wecom_send import AppSender, RobotSender

    senders: dict[str, Sender] = {"wecom_webhook": RobotSender(connection)}
    if settings.wecom is not None:
        from bot.platforms.wecom_client import WecomClient

        client = WecomClient(settings.wecom, connection)
        senders["wecom"] = AppSender(client, settings.wecom.agent_id, connection)
    return senders


ADAPTER = PlatformAdapter(
    name="wecom",
    configured=lambda settings: settings.wecom is not None,
    senders=wecom_senders,
    webhook=imported_when_called("bot.platforms.wecom_callback", "wecom_blueprint"),
    preparer=imported_when_called("bot.platforms.wecom_client", "wecom_preparer"),
    group_channels=(GroupChannel("wecom_webhook", "WeCom group robot webhook URL"),),
    directory=imported_when_called("bot.platforms.wecom_directory", "wecom_directory"),
)
