"""WeCom 智能机器人 (AI bot) over its WebSocket long connection (`SALESBOT_WECOM_MODE=ws`): frames in, cards out.

The connection (wss://openws.work.weixin.qq.com, Bot ID + Secret, JSON frames) is held by one worker
(wecom_bot_link.py, through bot.longconn). This module has no SDK in it:

- **Inbound** `translate(body, now)`: the body of an `aibot_msg_callback` or `aibot_event_callback` frame
  (docs 100719) into the neutral types, under the same keys as the app's callback would use for the same
  person: identities are `wecom:USERID` in both modes. Voice arrives already as text (`voice.content`).
- **Outbound** `BotSender`, the `wecom` channel in this mode: any process's outbox job hands the message to
  the worker holding the connection through the queue's Redis (a request list, an answer per request) and
  waits for the platform's ack frame. With no connection up, or no answer in time, it raises a transient
  SendError and the outbox retries, so a message goes out once the connection is back.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import redis

from bot.cards import Card
from bot.longconn import LinkState, read_state
from bot.platforms.base import CardAction, InboundMessage, MessageKind, SendError, recipient_on
from bot.platforms.wecom_send import decode_button_key, render_markdown, render_template_card, task_id
from bot.webhook import Delivery, Ignored, Malformed

PLATFORM = "wecom"
REQUESTS = "salesbot:wecom_bot:send"
ANSWER = "salesbot:wecom_bot:answer:{id}"
# The sender waits this long for the holder's answer; the holder sends only a request with more than
# SEND_MARGIN seconds of it left (the SDK waits up to 5 s for the ack), so a request given up is never sent.
ANSWER_TIMEOUT = 12
SEND_MARGIN = 6
MARKDOWN_LIMIT = 4096
# @mentions of the bot in a group message ("@销售助手 今天拜访…").
MENTION = re.compile(r"^@\S+\s*")
# errcodes worth retrying: system busy (and our own -1: a timeout, a lost socket), frequency limits.
TRANSIENT = frozenset({-1, 45009, 45033})


# ---------------------------------------------------------------- inbound


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise Malformed(f"missing {name}")
    return value


def _sender(body: dict[str, Any]) -> str:
    author = body.get("from")
    if not isinstance(author, dict):
        raise Malformed("frame body without from")
    return f"{PLATFORM}:{_str(author.get('userid'), 'from.userid')}"


def _when(body: dict[str, Any], now: datetime) -> datetime:
    created = body.get("create_time")
    try:
        return datetime.fromtimestamp(int(created), UTC) if created else now
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise Malformed("create_time is not a timestamp") from exc


def _message(body: dict[str, Any], now: datetime) -> Delivery:
    msgid = _str(body.get("msgid"), "msgid")
    msgtype = _str(body.get("msgtype"), "msgtype")
    group = body.get("chattype") == "group"
    extra: dict[str, Any] = {"msgid": msgid, "chattype": body.get("chattype") or "single"}
    kind, text = MessageKind.TEXT, ""
    content = body.get(msgtype) if isinstance(body.get(msgtype), dict) else {}
    if msgtype == "text":
        text = MENTION.sub("", _str(content.get("content"), "text.content")).strip()
    elif msgtype == "voice":
        text, extra["transcript"] = _str(content.get("content"), "voice.content").strip(), True
    else:
        kind, extra["msgtype"] = MessageKind.UNSUPPORTED, msgtype
    message = InboundMessage(
        channel=PLATFORM,
        sender=_sender(body),
        text=text,
        received_at=_when(body, now),
        kind=kind,
        reply_to=f"wecom_chat:{_str(body.get('chatid'), 'chatid')}" if group else "",
        extra=extra,
    )
    return Delivery(message, msgid, {"frame": body})


def _event(body: dict[str, Any], now: datetime, req_id: str) -> Delivery | Ignored:
    event = body.get("event")
    if not isinstance(event, dict):
        raise Malformed("event callback without event")
    msgid = _str(body.get("msgid"), "msgid")
    kind = event.get("eventtype")
    if kind == "enter_chat":
        opened = InboundMessage(
            channel=PLATFORM, sender=_sender(body), text="", received_at=_when(body, now), kind=MessageKind.CHAT_OPENED
        )
        return Delivery(opened, f"chat_opened:{msgid}", {"frame": body})
    if kind == "template_card_event":
        clicked = event.get("template_card_event")
        if not isinstance(clicked, dict):
            raise Malformed("template_card_event without its details")
        action, value = decode_button_key(_str(clicked.get("event_key"), "event_key"))
        click = CardAction(
            channel=PLATFORM,
            actor=_sender(body),
            action=action,
            value=value,
            received_at=_when(body, now),
            update_ref={"task_id": str(clicked.get("task_id") or ""), "req_id": req_id},
        )
        return Delivery(click, f"card:{msgid}", {"frame": body})
    return Ignored(f"event {kind}")


def translate(cmd: str, req_id: str, body: Any, now: datetime) -> Delivery | Ignored:
    """The delivery for one callback frame (`cmd`, its headers' `req_id`, its `body`)."""
    if not isinstance(body, dict):
        raise Malformed("frame without a body")
    if cmd == "aibot_msg_callback":
        return _message(body, now)
    if cmd == "aibot_event_callback":
        return _event(body, now, req_id)
    return Ignored(f"frame {cmd}")


# ---------------------------------------------------------------- outbound


def render_body(card: Card, dedup_key: str) -> dict[str, Any]:
    """What `aibot_send_msg` carries: a template card when there are buttons, markdown otherwise."""
    if card.buttons:
        return {"msgtype": "template_card", "template_card": render_template_card(card, task_id(dedup_key))}
    return {"msgtype": "markdown", "markdown": {"content": render_markdown(card, MARKDOWN_LIMIT)}}


def chat_of(recipient: str) -> str:
    """The `chatid` of `aibot_send_msg`: the member's userid, or a group's chatid."""
    if recipient.startswith("wecom_chat:"):
        return recipient.removeprefix("wecom_chat:")
    return recipient_on(recipient, PLATFORM).external_id


def failure(errcode: Any, errmsg: Any) -> SendError:
    return SendError(f"wecom ai bot errcode {errcode}: {errmsg}", permanent=errcode not in TRANSIENT)


class BotSender:
    """The `wecom` channel over the AI bot's long connection, wherever in the deployment it is held."""

    channel = PLATFORM

    def __init__(self, connection: redis.Redis, *, timeout: float = ANSWER_TIMEOUT) -> None:
        self.connection = connection
        self.timeout = timeout

    def send(
        self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None
    ) -> str | None:
        chat = chat_of(recipient)
        if read_state(self.connection, PLATFORM)["state"] != LinkState.CONNECTED:
            raise SendError("wecom ai bot: the long connection is not up; retrying later", retry_after=30)
        request = {
            "id": uuid.uuid4().hex,
            "chatid": chat,
            "body": render_body(card, dedup_key),
            "deadline": time.time() + self.timeout,
        }
        try:
            self.connection.rpush(REQUESTS, json.dumps(request, ensure_ascii=False))
            answered = self.connection.blpop([ANSWER.format(id=request["id"])], timeout=self.timeout)
        except redis.RedisError as exc:
            raise SendError(f"wecom ai bot: queue unreachable ({type(exc).__name__})") from None
        if answered is None:
            raise SendError("wecom ai bot: no answer from the worker holding the connection", retry_after=30)
        answer = json.loads(answered[1])
        if answer.get("errcode") != 0:
            raise failure(answer.get("errcode"), answer.get("errmsg"))
        return None
