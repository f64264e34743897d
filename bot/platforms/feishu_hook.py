"""Feishu custom group bots (自定义机器人), and how every Feishu call's failure is sorted.

No lark-oapi here: a custom bot needs only its webhook URL (and secret), so group posts work without the
Feishu app being configured, and without the SDK's import cost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import redis
import requests

from bot.cards import Card
from bot.platforms.base import SendError
from bot.platforms.feishu_cards import WEBHOOK_BODY_BYTES, render_card, render_plain
from bot.platforms.rate_limit import RateLimiter, RateLimitItemPerMinute, RateLimitItemPerSecond

PREFIX = "salesbot:feishu:"
# Codes worth retrying: request-rate limits (app-wide, per message target, custom bot) and internal errors.
RATE_LIMITED = frozenset({99991400, 230020, 11232, 9499})
INTERNAL = frozenset({1000004, 1000005, 99991401, 99991500, 230099})
WEBHOOK_PER_SECOND, WEBHOOK_PER_MINUTE = 5, 100


def failure(what: str, code: int | None, msg: str | None, status: int | None) -> SendError:
    transient = code in RATE_LIMITED or code in INTERNAL or (status is not None and status >= 500)
    return SendError(f"{what}: code {code} {msg or ''} (HTTP {status})".strip(), permanent=not transient)


def webhook_sign(timestamp: int, secret: str) -> str:
    """The custom bot signature: HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, digestmod=hashlib.sha256).digest()).decode()


class FeishuWebhookSender:
    """Custom group bots (自定义机器人): the recipient is the hook URL; the group target's signing secret, if
    the bot checks signatures, comes with the message as `update_ref={"secret": …}`.

    Custom bots cannot receive callbacks, so cards go out without buttons.
    """

    channel = "feishu_webhook"

    def __init__(self, connection: redis.Redis, *, timeout: float = 10.0) -> None:
        self.limiter = RateLimiter(
            connection,
            "feishu-hook",
            RateLimitItemPerSecond(WEBHOOK_PER_SECOND),
            RateLimitItemPerMinute(WEBHOOK_PER_MINUTE),
        )
        self.timeout = timeout

    def send(
        self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None
    ) -> str | None:
        if not recipient.startswith(("https://", "http://")):
            raise SendError(f"not a webhook URL: {recipient!r}", permanent=True)
        body: dict[str, Any]
        if card.is_plain_text:
            body = {"msg_type": "text", "content": {"text": render_plain(card, limit=WEBHOOK_BODY_BYTES - 500)}}
        else:
            body = {"msg_type": "interactive", "card": render_card(card, buttons=False, limit=WEBHOOK_BODY_BYTES - 500)}
        secret = (update_ref or {}).get("secret")
        if secret:
            timestamp = int(time.time())
            body.update(timestamp=str(timestamp), sign=webhook_sign(timestamp, secret))
        hook = hashlib.sha256(recipient.encode()).hexdigest()[:16]
        self.limiter.take(hook)
        try:
            response = requests.post(recipient, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendError(f"custom bot {hook}: {type(exc).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = answer.get("code", answer.get("StatusCode"))
        if response.status_code == 200 and code == 0:
            return None
        raise failure(f"custom bot {hook}", code, answer.get("msg"), response.status_code)
