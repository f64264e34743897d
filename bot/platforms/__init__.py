"""The chat platforms, one module each. This file is the explicit list of what each one provides.

A platform's SDK is imported only when its credentials are configured.
"""

from __future__ import annotations

import logging
import re

import redis
from flask import Flask

from bot.platforms.base import Preparer, Sender
from config.settings import Settings

_QUERY_SECRET = re.compile(r"\b((?:corpsecret|access_token|secret|key)=)[^&\s\"']+")


class _RedactQuerySecrets(logging.Filter):
    """urllib3 logs each request line at DEBUG, and WeCom puts corpsecret and access_token (group robots their
    key) in the query string: mask them before any handler sees the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY_SECRET.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactQuerySecrets())


def build_senders(settings: Settings, connection: redis.Redis) -> dict[str, Sender]:
    """Senders for every platform configured in `settings`, keyed by outbox channel.

    `connection` is the queue's Redis (fakeredis when embedded), shared by every process of a deployment:
    platforms keep access tokens and rate-limit counters there.
    """
    from bot.platforms.feishu_hook import FeishuWebhookSender, RateLimit
    from bot.platforms.wecom_send import RobotSender

    # Group bots need only their webhook URL, so they work without the platform's app configured.
    senders: dict[str, Sender] = {
        "wecom_webhook": RobotSender(connection),
        "feishu_webhook": FeishuWebhookSender(RateLimit(connection)),
    }
    if settings.wecom is not None:
        from bot.platforms.wecom import wecom_senders

        senders.update(wecom_senders(settings, connection))
    if settings.feishu is not None:
        from bot.platforms.feishu import feishu_senders

        senders.update(feishu_senders(settings, connection))
    return senders


def build_preparers(settings: Settings, connection: redis.Redis) -> dict[str, Preparer]:
    """Preparers (voice download and transcription, directory look-ups) keyed by inbound channel."""
    preparers: dict[str, Preparer] = {}
    if settings.wecom is not None:
        from bot.platforms.wecom import wecom_preparer

        preparers["wecom"] = wecom_preparer(settings, connection)
    if settings.feishu is not None:
        from bot.platforms.feishu import feishu_preparer

        preparers["feishu"] = feishu_preparer(settings, connection)
    return preparers


def register_webhooks(app: Flask, settings: Settings) -> None:
    """Mount the inbound endpoint of every configured platform (GET|POST /wecom/callback, …)."""
    if settings.wecom is not None:
        from bot.platforms.wecom import wecom_blueprint

        app.register_blueprint(wecom_blueprint(settings))
    if settings.feishu is not None:
        from bot.platforms.feishu import feishu_blueprint

        app.register_blueprint(feishu_blueprint(settings))
