"""Feishu (飞书) self-built app with bot capability: `POST /feishu/events` for event subscription v2.0
and card callbacks, plus the factories `bot.platforms` calls when Feishu is configured.

Requests go through lark-oapi's EventDispatcherHandler, but only after our own checks: the SDK answers
every failure with HTTP 500, which makes Feishu retry a forged or broken request for hours. So the view
first verifies the signature, decrypts, checks the verification token and app id (4xx on failure,
nothing stored), then lets the dispatcher deserialize and call our handlers. A handler's exception is
re-raised after the dispatcher returns, so our error classes keep their status and no SDK text leaks.

Messages are stored and queued (the worker downloads and transcribes audio); card clicks are answered
in the request, within Feishu's 3 s, with a toast and the updated card.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from base64 import b64decode
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import lark_oapi as lark
import redis
from flask import Blueprint, Response, current_app, g, jsonify, request
from lark_oapi.adapter.flask import parse_req, parse_resp
from lark_oapi.core.utils import AESCipher
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTrigger, P2CardActionTriggerResponse

from bot.cards import Card, render_text
from bot.inbound import accept, answer_click
from bot.platforms.base import CardAction, InboundMessage, Preparer, Sender
from bot.platforms.feishu_cards import render_card
from bot.platforms.feishu_client import (
    Api,
    FeishuAppSender,
    FeishuPreparer,
    FeishuSpeechRecognizer,
    RedisTokenCache,
    build_client,
)
from bot.platforms.feishu_hook import RateLimit
from bot.speech import build_recognizer
from bot.webhook import Forbidden, Malformed, StaleRequest, request_body
from config.settings import FeishuSettings, Settings

__all__ = ["feishu_blueprint", "feishu_preparer", "feishu_senders"]

log = logging.getLogger(__name__)

URL_VERIFICATION = "url_verification"
# Feishu retries an unacknowledged event for about 7.1 hours (15 s, 5 min, 1 h, 6 h) and does not document
# whether a retry is signed anew: a signed X-Lark-Request-Timestamp is accepted as long as a retry could
# carry it. Older (or from the future beyond clock drift) is a replay.
MAX_EVENT_AGE = 8 * 3600
MAX_FUTURE_SKEW = 300
# Events and card callbacks are a few KiB (a post message with its rich text a few tens); more is not Feishu.
MAX_EVENT_BYTES = 1 << 20
# Mentions arrive as placeholders in the text ("@_user_1 今天拜访…"); @所有人 as "@_all".
MENTION = re.compile(r"@_(?:user_\d+|all)\s*")
TOAST_TYPES = {"info": "info", "success": "success", "warning": "warning", "danger": "error", "refusal": "warning"}


# ---------------------------------------------------------------- message content → text


def _text_content(content: dict[str, Any]) -> str:
    return _str(content.get("text"), "content.text")


def _post_content(content: dict[str, Any]) -> str:
    """Rich text (post) as plain text: the title, then one line per paragraph; images and emoji drop out."""
    if "content" not in content:  # the locale-keyed form {"zh_cn": {"title", "content"}}
        content = next((v for v in content.values() if isinstance(v, dict)), {})
    lines = [content["title"]] if content.get("title") else []
    for paragraph in content.get("content") or []:
        if not isinstance(paragraph, list):
            raise Malformed("post paragraph is not a list")
        parts = [
            str(node.get("text", ""))
            for node in paragraph
            if isinstance(node, dict) and node.get("tag") in ("text", "a", "md", "code_block")
        ]
        lines.append("".join(parts))
    return "\n".join(lines)


MESSAGE_PARSERS = {"text": _text_content, "post": _post_content}


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise Malformed(f"missing {name}")
    return value


def _millis(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:  # not a number, or out of datetime's range
        raise Malformed("create_time is not a millisecond timestamp") from exc


def message_from_event(data: lark.im.v1.P2ImMessageReceiveV1) -> InboundMessage | None:
    """The neutral message for an `im.message.receive_v1` event; None for one we do not answer (sent by
    another app, or a group message that does not @ anyone)."""
    event = data.event
    if event is None or event.message is None or event.sender is None or event.sender.sender_id is None:
        raise Malformed("im.message.receive_v1 without event.message or event.sender")
    if event.sender.sender_type != "user":
        return None
    message = event.message
    message_id = _str(message.message_id, "message.message_id")
    group = message.chat_type == "group"
    if group and not message.mentions:
        return None  # the app has all-group-message permission; answer only when @-ed
    try:
        content = json.loads(_str(message.content, "message.content"))
    except json.JSONDecodeError as exc:
        raise Malformed("message.content is not JSON") from exc
    if not isinstance(content, dict):
        raise Malformed("message.content is not an object")
    extra: dict[str, Any] = {"message_id": message_id, "chat_id": message.chat_id, "chat_type": message.chat_type}
    kind, text = "text", ""
    parser = MESSAGE_PARSERS.get(message.message_type or "")
    if parser is not None:
        text = MENTION.sub("", parser(content)).strip()
    elif message.message_type == "audio":
        kind = "voice"
        extra.update(file_key=_str(content.get("file_key"), "audio file_key"), duration_ms=content.get("duration"))
    else:
        kind = "unsupported"
        extra["message_type"] = message.message_type
    return InboundMessage(
        channel="feishu",
        sender="feishu:" + _str(event.sender.sender_id.open_id, "sender.sender_id.open_id"),
        text=text,
        received_at=_millis(message.create_time),
        kind=kind,
        reply_to=f"feishu_chat:{_str(message.chat_id, 'message.chat_id')}" if group else "",
        extra=extra,
    )


def action_from_callback(data: P2CardActionTrigger) -> CardAction:
    """The neutral click for a `card.action.trigger` callback on one of our buttons."""
    event = data.event
    if event is None or event.operator is None or event.action is None:
        raise Malformed("card.action.trigger without event.operator or event.action")
    value = event.action.value
    if not isinstance(value, dict) or not isinstance(value.get("action"), str):
        raise Malformed("card action value is not one of our buttons")
    created = data.header.create_time if data.header is not None else None
    try:
        received_at = datetime.fromtimestamp(int(created) / 1_000_000, UTC) if created else datetime.now(UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:  # not a number, or out of datetime's range
        raise Malformed("header.create_time is not a microsecond timestamp") from exc
    context = event.context
    return CardAction(
        channel="feishu",
        actor="feishu:" + _str(event.operator.open_id, "operator.open_id"),
        action=value["action"],
        value=value.get("value") if isinstance(value.get("value"), dict) else {},
        received_at=received_at,
        update_ref={"message_id": context.open_message_id} if context and context.open_message_id else {},
    )


# ---------------------------------------------------------------- handlers the dispatcher calls


def _translated(translate: Callable[[Any], Any], data: Any) -> Any:
    """`translate(data)`, with a field of the wrong type (lark-oapi checks objects, not strings or lists)
    refused as Malformed rather than crashing into a 500 that Feishu would retry for hours."""
    try:
        return translate(data)
    except (TypeError, AttributeError) as exc:
        raise Malformed(f"{data.header.event_type if data.header else 'event'} has a field of the wrong type") from exc


def _on_message(data: lark.im.v1.P2ImMessageReceiveV1) -> None:
    message = _translated(message_from_event, data)
    if message is None:
        log.info("feishu event %s ignored (not a user message to the bot)", g.feishu_event_id)
        return
    message_id = message.extra["message_id"]
    # Feishu re-sends a message with a new event_id for hours: message_id is the key.
    event_id = accept(
        current_app.extensions["salesbot"], message, platform="feishu", dedup_key=message_id, raw=g.feishu_raw
    )
    if event_id is None:
        log.info("feishu message %s already received", message_id)


def _on_card_action(data: P2CardActionTrigger) -> P2CardActionTriggerResponse:
    action = _translated(action_from_callback, data)
    rt = current_app.extensions["salesbot"]
    card = answer_click(rt, action, platform="feishu", dedup_key=f"card:{g.feishu_event_id}", raw=g.feishu_raw)
    if card is None:
        return P2CardActionTriggerResponse({"toast": {"type": "info", "content": "已处理过这次点击"}})
    if card.is_refusal:
        # The card may be shared in a group: a refused click must not replace it for everyone.
        return P2CardActionTriggerResponse({"toast": _toast(card)})
    return P2CardActionTriggerResponse({"toast": _toast(card), "card": {"type": "raw", "data": render_card(card)}})


def _toast(card: Card) -> dict[str, str]:
    content = card.title or render_text(card).split("\n", 1)[0]
    return {"type": TOAST_TYPES.get(card.level, "info"), "content": content[:100]}


EVENT_HANDLERS = {"im.message.receive_v1": _on_message, "card.action.trigger": _on_card_action}
# Subscribed or commonly enabled, deliberately dropped with a 200.
IGNORED_EVENTS = ("im.message.message_read_v1", "im.chat.access_event.bot_p2p_chat_entered_v1")


# ---------------------------------------------------------------- verification


class EventVerifier:
    """Signature, decryption, verification token and app id, as Feishu documents them."""

    def __init__(self, settings: FeishuSettings) -> None:
        self.settings = settings
        self.cipher = AESCipher(settings.encrypt_key) if settings.encrypt_key else None

    def verify(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        """The plaintext payload of a genuine request. Raises Forbidden or Malformed."""
        outer = _json_object(body)
        signature = headers.get("X-Lark-Signature")
        if self.cipher is None:
            if "encrypt" in outer:
                raise Malformed("encrypted body, but SALESBOT_FEISHU_ENCRYPT_KEY is not set")
            payload = outer
        else:
            if signature is not None:
                self._check_signature(body, headers, signature)
            if "encrypt" in outer:
                try:
                    plaintext = self.cipher.decrypt(b64decode(str(outer["encrypt"]), validate=True))
                except ValueError as exc:
                    raise Malformed("cannot decrypt the body") from exc
                payload = _json_object(plaintext)
            elif outer.get("type") == URL_VERIFICATION:
                payload = outer  # the console's check before the key is saved: harmless, token-checked
            else:
                raise Forbidden("body is not encrypted with the encrypt key")
            if signature is None and payload.get("type") != URL_VERIFICATION:
                raise Forbidden("missing X-Lark-Signature")
        header = payload.get("header") if isinstance(payload.get("header"), dict) else {}
        token = header.get("token", payload.get("token"))
        if not isinstance(token, str) or not hmac.compare_digest(
            token.encode(), self.settings.verification_token.encode()
        ):
            raise Forbidden("wrong verification token")
        if header.get("app_id") not in (None, self.settings.app_id):
            raise Forbidden("event for another app")
        return payload

    def _check_signature(self, body: bytes, headers: dict[str, str], signature: str) -> None:
        timestamp = headers.get("X-Lark-Request-Timestamp", "")
        nonce = headers.get("X-Lark-Request-Nonce", "")
        expected = hashlib.sha256((timestamp + nonce + self.settings.encrypt_key).encode() + body).hexdigest()
        # Bytes: compare_digest raises TypeError on a str with non-ASCII characters, which anyone can send.
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise Forbidden("bad X-Lark-Signature")
        if not timestamp.isdigit():
            raise Malformed("X-Lark-Request-Timestamp is not a number")
        age = time.time() - int(timestamp)
        if not -MAX_FUTURE_SKEW <= age <= MAX_EVENT_AGE:
            raise StaleRequest(f"X-Lark-Request-Timestamp outside the {MAX_EVENT_AGE // 3600} h retry window")


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays or objects nested too deeply
        raise Malformed("body is not JSON") from exc
    if not isinstance(value, dict):
        raise Malformed("body is not a JSON object")
    return value


def _event_type(payload: dict[str, Any]) -> str:
    if payload.get("type") == URL_VERIFICATION:
        return URL_VERIFICATION
    header = payload.get("header")
    if payload.get("schema") != "2.0" or not isinstance(header, dict):
        return str(payload.get("type") or "v1 event")
    return str(header.get("event_type"))


# ---------------------------------------------------------------- factories


def feishu_blueprint(settings: Settings) -> Blueprint:
    """`POST /feishu/events`: URL verification, `im.message.receive_v1` and `card.action.trigger`."""
    assert settings.feishu is not None
    verifier = EventVerifier(settings.feishu)
    builder = lark.EventDispatcherHandler.builder(
        settings.feishu.encrypt_key, settings.feishu.verification_token, lark.LogLevel.ERROR
    )
    dispatcher = (
        builder.register_p2_im_message_receive_v1(_captured(_on_message))
        .register_p2_card_action_trigger(_captured(_on_card_action))
        .build()
    )
    blueprint = Blueprint("feishu", __name__)

    @blueprint.post("/feishu/events")
    def events() -> Response:
        payload = verifier.verify(request_body(MAX_EVENT_BYTES), dict(request.headers))
        event_type = _event_type(payload)
        if event_type != URL_VERIFICATION and event_type not in EVENT_HANDLERS:
            log.info(
                "feishu event %s not handled (%s)", event_type, "ignored" if event_type in IGNORED_EVENTS else "unknown"
            )
            return jsonify({"msg": "ignored"})
        # Stored with the event: everything but the verification token.
        g.feishu_raw = {k: v for k, v in payload.items() if k != "token"} | {
            "header": {k: v for k, v in payload.get("header", {}).items() if k != "token"}
        }
        g.feishu_event_id = payload.get("header", {}).get("event_id", "")
        g.feishu_error = None
        answer = dispatcher.do(parse_req())
        if g.feishu_error is not None:
            raise g.feishu_error
        if answer.status_code != 200:
            log.warning("feishu event %s refused by lark-oapi: %s", event_type, answer.content[:200])
            raise Malformed("event rejected")
        return parse_resp(answer)

    return blueprint


def _captured(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Keep a handler's exception for the view to re-raise: the dispatcher would turn it into a 500."""

    def call(data: Any) -> Any:
        try:
            return handler(data)
        except Exception as exc:
            g.feishu_error = exc
            raise

    return call


def feishu_senders(settings: Settings, connection: redis.Redis) -> dict[str, Sender]:
    """App messages (`feishu`: `feishu:OPEN_ID` or `feishu_chat:CHAT_ID`; `feishu_chat`: a bare chat_id)
    and custom group bots (`feishu_webhook`: the hook URL)."""
    assert settings.feishu is not None
    cache = RedisTokenCache(connection)
    api = Api(build_client(settings.feishu, cache), cache)
    limiter = RateLimit(connection)
    return {
        "feishu": FeishuAppSender("feishu", api, limiter),
        "feishu_chat": FeishuAppSender("feishu_chat", api, limiter),
    }


def feishu_preparer(settings: Settings, connection: redis.Redis) -> Preparer:
    assert settings.feishu is not None
    cache = RedisTokenCache(connection)
    api = Api(build_client(settings.feishu, cache), cache)
    # SALESBOT_ASR_URL takes precedence; else Feishu's own speech-to-text, sharing the client (and its token).
    return FeishuPreparer(api, build_recognizer(settings) or FeishuSpeechRecognizer(settings.feishu, api), connection)
