"""Sending to WeCom: cards rendered as template cards, markdown or text, to app members and group robots.

Limits (发送应用消息 90236, 群机器人 91770): text and markdown ≤ 2,048 bytes in app messages, robot markdown
≤ 4,096 bytes, a button key ≤ 1,024 bytes, ≤ 6 buttons and ≤ 6 horizontal fields per template card,
30 messages a minute to one member, 20 a minute per robot. Text is trimmed on character boundaries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis
import requests

from bot import texts
from bot.cards import Button, Card
from bot.platforms.base import SendError, recipient_on
from bot.platforms.rate_limit import RateLimiter, RateLimitItemPerMinute
from bot.platforms.wecom_client import HTTP_TIMEOUT, TRANSIENT_ERRORS, WecomClient

log = logging.getLogger(__name__)

TEXT_LIMIT = 2048
ROBOT_MARKDOWN_LIMIT = 4096
KEY_LIMIT = 1024
MAX_BUTTONS = 6
MAX_HORIZONTAL = 6
MEMBER_PER_MINUTE = 30
ROBOT_PER_MINUTE = 20
ELLIPSIS = "…"
SOURCE = texts.BOT_NAME
DONE = texts.HANDLED
# template_card source.desc_color: 0 grey, 1 black, 2 red, 3 green.
LEVEL_COLORS = {"info": 0, "success": 3, "warning": 2, "danger": 2}
# markdown <font color>: info is green, warning orange-red, comment grey.
MARKDOWN_COLORS = {"success": "info", "warning": "warning", "danger": "warning"}
# button_list style takes 1–4 (1 is the default, blue).
BUTTON_STYLES = {"primary": 1, "default": 2, "danger": 3}
# errcode when a template card's task_id was used before: the earlier attempt reached WeCom.
TASK_ID_EXISTS = 42014


def trim(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, never inside a character, marked with an ellipsis."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - len(ELLIPSIS.encode())].decode(errors="ignore") + ELLIPSIS


# ---------------------------------------------------------------- button keys


def button_key(button: Button) -> str:
    """`action:{json value}`, what WeCom hands back as EventKey when the button is clicked."""
    value = json.dumps(button.value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    key = f"{button.action}:{value}"
    if len(key.encode()) > KEY_LIMIT:
        raise SendError(f"button {button.action!r} carries more than {KEY_LIMIT} bytes", permanent=True)
    return key


def decode_button_key(key: str) -> tuple[str, dict[str, Any]]:
    """The (action, value) a key was made from; a key we did not make gives (key, {}), which the card
    handler answers as an expired button."""
    action, sep, raw = key.partition(":")
    try:
        value = json.loads(raw) if sep else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return key, {}
    return action, value


def task_id(dedup_key: str) -> str:
    """A template card's task_id ([0-9A-Za-z_-@], ≤ 128 bytes, unique per app) from the outbox dedup key."""
    readable = re.sub(r"[^0-9A-Za-z_@-]", "_", dedup_key)[:96]
    return f"{readable}-{hashlib.sha1(dedup_key.encode()).hexdigest()[:16]}"


# ---------------------------------------------------------------- rendering


def render_markdown(card: Card, limit: int) -> str:
    """The card as WeCom markdown (title bold and coloured by level, note grey), within `limit` bytes."""
    head: list[str] = []
    if card.title:
        color = MARKDOWN_COLORS.get(card.level)
        title = f"**{card.title}**"
        head.append(f'<font color="{color}">{title}</font>' if color else title)
    head.extend(card.lines)
    head.extend(f"{f.label}：{f.value}" for f in card.fields)
    tail = f'\n<font color="comment">{card.note}</font>' if card.note else ""
    return trim("\n".join(head), limit - len(tail.encode())) + tail


def _button(button: Button) -> dict[str, Any]:
    """A callback button (type 0, its key comes back as EventKey), or one that opens `url` (type 1)."""
    shown = {"text": trim(button.label, 40), "style": BUTTON_STYLES.get(button.style, 1)}
    if button.url:
        return {"type": 1, **shown, "url": button.url}
    return {"type": 0, **shown, "key": button_key(button)}


def render_template_card(card: Card, task: str) -> dict[str, Any]:
    """A `button_interaction` template card: title, lines and overflow fields as the subtitle, up to six
    fields side by side, up to six buttons."""
    lines = list(card.lines)
    title = card.title or (lines.pop(0) if lines else SOURCE)
    fields = list(card.fields)
    lines.extend(f"{f.label}：{f.value}" for f in fields[MAX_HORIZONTAL:])
    if card.note:
        lines.append(card.note)
    template: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": SOURCE, "desc_color": LEVEL_COLORS.get(card.level, 0)},
        "main_title": {"title": trim(title, 128)},
        "task_id": task,
        "button_list": [_button(b) for b in card.buttons[:MAX_BUTTONS]],
    }
    if lines:
        template["sub_title_text"] = trim("\n".join(lines), TEXT_LIMIT)
    if fields:
        template["horizontal_content_list"] = [
            {"keyname": trim(f.label, 40), "value": trim(f.value, 256)} for f in fields[:MAX_HORIZONTAL]
        ]
    return template


def render_message(card: Card, task: str) -> dict[str, Any]:
    """The `msg` part of message/send: text for plain cards, a template card when there are buttons,
    markdown otherwise."""
    if card.is_plain_text:
        return {"msgtype": "text", "text": {"content": trim("\n".join(card.lines), TEXT_LIMIT)}}
    if card.buttons:
        return {"msgtype": "template_card", "template_card": render_template_card(card, task)}
    return {"msgtype": "markdown", "markdown": {"content": render_markdown(card, TEXT_LIMIT)}}


def render_update(card: Card, task: str) -> dict[str, Any]:
    """The whole-card replacement shown to the person who clicked. A result without buttons keeps one
    greyed-out 已处理 button (`replace_text`), since a button card cannot lose all its buttons."""
    if card.buttons:
        return render_template_card(card, task)
    template = render_template_card(replace(card, buttons=(Button(DONE, "done"),)), task)
    template["replace_text"] = DONE
    return template


# ---------------------------------------------------------------- senders


class AppSender:
    """Messages from the self-built app to one member; card clicks update the clicked card."""

    channel = "wecom"

    def __init__(self, client: WecomClient, agent_id: int, connection: redis.Redis) -> None:
        self.client = client
        self.agent_id = agent_id
        self.throttle = RateLimiter(connection, "wecom-member", RateLimitItemPerMinute(MEMBER_PER_MINUTE))

    def send(
        self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None
    ) -> str | None:
        user_id = recipient_on(recipient, "wecom").external_id
        if update_ref and update_ref.get("response_code"):
            try:
                return self._update(user_id, card, update_ref, dedup_key)
            except SendError as exc:
                if not exc.permanent:
                    raise
                # response_code used up or older than 72 h: the result still reaches the person.
                log.warning("wecom: cannot update the clicked card (%s); sending the result instead", exc)
        self.throttle.take(user_id)
        msg = render_message(card, task_id(dedup_key))
        try:
            result = self.client.call(lambda: self.client.message.send(self.agent_id, user_id, msg=msg))
        except SendError as exc:
            if msg["msgtype"] == "template_card" and f"errcode {TASK_ID_EXISTS}:" in str(exc):
                log.info("wecom: card %s was delivered by an earlier attempt", dedup_key)
                return None
            raise
        if user_id in str(result.get("invaliduser") or "").split("|"):
            raise SendError(f"{user_id} is not in the app's visible range", permanent=True)
        return str(result.get("msgid") or "") or None

    def _update(self, user_id: str, card: Card, update_ref: dict[str, Any], dedup_key: str) -> None:
        data = {
            "userids": [user_id],
            "agentid": self.agent_id,
            "response_code": update_ref["response_code"],
            "template_card": render_update(card, update_ref.get("task_id") or task_id(dedup_key)),
        }
        self.client.call(lambda: self.client.post("message/update_template_card", data=data))


class RobotSender:
    """Markdown to a group robot; the recipient is the robot's webhook URL (…/webhook/send?key=KEY)."""

    channel = "wecom_webhook"

    def __init__(self, connection: redis.Redis, *, timeout: float = HTTP_TIMEOUT) -> None:
        self.throttle = RateLimiter(connection, "wecom-robot", RateLimitItemPerMinute(ROBOT_PER_MINUTE))
        self.timeout = timeout

    def send(
        self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None
    ) -> str | None:
        robot = parse_qs(urlsplit(recipient).query).get("key", [recipient])[0]
        self.throttle.take(hashlib.sha1(robot.encode()).hexdigest()[:16])
        body = {"msgtype": "markdown", "markdown": {"content": render_markdown(card, ROBOT_MARKDOWN_LIMIT)}}
        try:
            response = requests.post(recipient, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendError(f"group robot unreachable: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise SendError(f"group robot answered HTTP {response.status_code}")
        try:
            result = response.json()
        except ValueError as exc:
            raise SendError(f"group robot answered HTTP {response.status_code} without JSON", permanent=True) from exc
        errcode = result.get("errcode", -1)
        if errcode != 0:
            raise SendError(
                f"group robot errcode {errcode}: {result.get('errmsg')}", permanent=errcode not in TRANSIENT_ERRORS
            )
        return None
