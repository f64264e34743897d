"""Feishu (飞书) event subscription v2.0 and card callbacks: `POST /feishu/events`.

The request is verified as Feishu documents it (signature, decryption, verification token, app id: a 4xx on
failure, nothing stored), then the verified JSON is read as the documented v2.0 schema into the neutral
types; no SDK is involved, so a malformed event is a clear 400 and never an SDK traceback.

Messages and "chat opened" are stored and queued (the worker downloads and transcribes audio); card clicks are
answered in the request, within Feishu's 3 s, with a toast and the updated card.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from base64 import b64decode
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import Blueprint, Response, jsonify, request

from bot import texts
from bot.cards import Card, render_text
from bot.platforms.base import CardAction, InboundMessage, MessageKind, replaces_card
from bot.platforms.feishu_cards import render_card
from bot.webhook import Delivery, Endpoint, Forbidden, Ignored, Malformed, StaleRequest, receive
from config.settings import FeishuSettings, Settings

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


def _object(container: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = container.get(name)
    if not isinstance(value, dict):
        raise Malformed(f"{where} without {name}")
    return value


def _open_id(ids: dict[str, Any], name: str) -> str:
    """`feishu:OPEN_ID` from a documented `{open_id, union_id, user_id}` object."""
    return "feishu:" + _str(ids.get("open_id"), f"{name}.open_id")


def message_from_event(event: dict[str, Any]) -> InboundMessage | None:
    """The neutral message for an `im.message.receive_v1` event; None for one we do not answer (sent by
    another app, or a group message that does not @ anyone)."""
    message, sender = event.get("message"), event.get("sender")
    if not isinstance(message, dict) or not isinstance(sender, dict):
        raise Malformed("im.message.receive_v1 without event.message or event.sender")
    if sender.get("sender_type") != "user":
        return None
    message_id = _str(message.get("message_id"), "message.message_id")
    group = message.get("chat_type") == "group"
    if group and not message.get("mentions"):
        return None  # the app has all-group-message permission; answer only when @-ed
    try:
        content = json.loads(_str(message.get("content"), "message.content"))
    except json.JSONDecodeError as exc:
        raise Malformed("message.content is not JSON") from exc
    if not isinstance(content, dict):
        raise Malformed("message.content is not an object")
    message_type = _str(message.get("message_type"), "message.message_type")
    extra: dict[str, Any] = {
        "message_id": message_id,
        "chat_id": message.get("chat_id"),
        "chat_type": message.get("chat_type"),
    }
    kind, text = MessageKind.TEXT, ""
    parser = MESSAGE_PARSERS.get(message_type)
    if parser is not None:
        text = MENTION.sub("", parser(content)).strip()
    elif message_type == "audio":
        kind = MessageKind.VOICE
        extra.update(file_key=_str(content.get("file_key"), "audio file_key"), duration_ms=content.get("duration"))
    else:
        kind = MessageKind.UNSUPPORTED
        extra["message_type"] = message_type
    return InboundMessage(
        channel="feishu",
        sender=_open_id(_object(sender, "sender_id", "event.sender"), "sender.sender_id"),
        text=text,
        received_at=_millis(message.get("create_time")),
        kind=kind,
        reply_to=f"feishu_chat:{_str(message.get('chat_id'), 'message.chat_id')}" if group else "",
        extra=extra,
    )


def chat_opened_from_event(event: dict[str, Any], header: dict[str, Any]) -> InboundMessage:
    """The neutral "chat opened" for `im.chat.access_event.bot_p2p_chat_entered_v1` (a person opened their
    one-to-one chat with the bot)."""
    operator = _object(event, "operator_id", "bot_p2p_chat_entered_v1")
    return InboundMessage(
        channel="feishu",
        sender=_open_id(operator, "operator_id"),
        text="",
        received_at=_millis(header.get("create_time")),
        kind=MessageKind.CHAT_OPENED,
        extra={"chat_id": event.get("chat_id")},
    )


def action_from_callback(event: dict[str, Any], header: dict[str, Any]) -> CardAction:
    """The neutral click for a `card.action.trigger` callback on one of our buttons."""
    operator, action = event.get("operator"), event.get("action")
    if not isinstance(operator, dict) or not isinstance(action, dict):
        raise Malformed("card.action.trigger without event.operator or event.action")
    value = action.get("value")
    if not isinstance(value, dict) or not isinstance(value.get("action"), str):
        raise Malformed("card action value is not one of our buttons")
    created = header.get("create_time")
    try:
        received_at = datetime.fromtimestamp(int(created) / 1_000_000, UTC) if created else datetime.now(UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:  # not a number, or out of datetime's range
        raise Malformed("header.create_time is not a microsecond timestamp") from exc
    context = event.get("context")
    message_id = context.get("open_message_id") if isinstance(context, dict) else None
    return CardAction(
        channel="feishu",
        actor=_open_id(operator, "operator"),
        action=value["action"],
        value=value["value"] if isinstance(value.get("value"), dict) else {},
        received_at=received_at,
        update_ref={"message_id": message_id} if isinstance(message_id, str) and message_id else {},
    )


def _stored(payload: dict[str, Any]) -> dict[str, Any]:
    """What is kept with the event: everything but the verification token."""
    header = {k: v for k, v in payload.get("header", {}).items() if k != "token"}
    return {k: v for k, v in payload.items() if k != "token"} | {"header": header}


def _message(payload: dict[str, Any], header: dict[str, Any]) -> Delivery | Ignored:
    message = message_from_event(_object(payload, "event", "im.message.receive_v1"))
    if message is None:
        return Ignored(f"event {header.get('event_id')} (not a user message to the bot)")
    # Feishu re-sends a message with a new event_id for hours: message_id is the key.
    return Delivery(message, message.extra["message_id"], _stored(payload))


def _chat_opened(payload: dict[str, Any], header: dict[str, Any]) -> Delivery:
    event = _object(payload, "event", "bot_p2p_chat_entered_v1")
    return Delivery(chat_opened_from_event(event, header), f"chat_opened:{_event_id(header)}", _stored(payload))


def _card_action(payload: dict[str, Any], header: dict[str, Any]) -> Delivery:
    action = action_from_callback(_object(payload, "event", "card.action.trigger"), header)
    return Delivery(action, f"card:{_event_id(header)}", _stored(payload))


def _event_id(header: dict[str, Any]) -> str:
    return _str(header.get("event_id"), "header.event_id")


def click_answer(card: Card | None) -> dict[str, Any]:
    """The answer to a card callback (over HTTP or the long connection): a toast, and the card that replaces
    the clicked one unless it must stay."""
    if card is None:
        return {"toast": {"type": "info", "content": texts.CLICK_REPEATED}}
    answer: dict[str, Any] = {"toast": _toast(card)}
    if replaces_card(card):
        answer["card"] = {"type": "raw", "data": render_card(card)}
    return answer


def answer_click(card: Card | None) -> Response:
    return jsonify(click_answer(card))


def _toast(card: Card) -> dict[str, str]:
    content = card.title or render_text(card).split("\n", 1)[0]
    return {"type": TOAST_TYPES.get(card.level, "info"), "content": content[:100]}


Translator = Callable[[dict[str, Any], dict[str, Any]], Delivery | Ignored]
EVENT_HANDLERS: dict[str, Translator] = {
    "im.message.receive_v1": _message,
    "im.chat.access_event.bot_p2p_chat_entered_v1": _chat_opened,
    "card.action.trigger": _card_action,
}
# Subscribed or commonly enabled, deliberately dropped with a 200.
IGNORED_EVENTS = ("im.message.message_read_v1",)


# ---------------------------------------------------------------- verification


class EventVerifier:
    """Signature, decryption, verification token and app id, as Feishu documents them."""

    def __init__(self, settings: FeishuSettings) -> None:
        self.settings = settings
        # AES-256-CBC with key = SHA-256(encrypt key); the IV is the first 16 bytes of the decoded blob.
        self.key = hashlib.sha256(settings.encrypt_key.encode()).digest() if settings.encrypt_key else None

    def verify(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        """The plaintext payload of a genuine request. Raises Forbidden or Malformed."""
        outer = _json_object(body)
        signature = headers.get("X-Lark-Signature")
        if self.key is None:
            if "encrypt" in outer:
                raise Malformed("encrypted body, but SALESBOT_FEISHU_ENCRYPT_KEY is not set")
            payload = outer
        else:
            if signature is not None:
                self._check_signature(body, headers, signature)
            if "encrypt" in outer:
                payload = _json_object(self._decrypt(str(outer["encrypt"])))
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

    def _decrypt(self, encrypted: str) -> bytes:
        assert self.key is not None
        try:
            blob = b64decode(encrypted, validate=True)
            decryptor = Cipher(algorithms.AES(self.key), modes.CBC(blob[:16])).decryptor()
            padded = decryptor.update(blob[16:]) + decryptor.finalize()
            unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
            return unpadder.update(padded) + unpadder.finalize()
        except ValueError as exc:  # not base64, an IV or blocks of the wrong length, bad padding
            raise Malformed("cannot decrypt the body") from exc

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


def translate(payload: dict[str, Any]) -> Delivery | Ignored | Response:
    """The delivery for one verified payload; the challenge for a URL verification; Ignored for the rest."""
    if _event_type(payload) == URL_VERIFICATION:
        return jsonify({"challenge": payload.get("challenge")})
    return translate_event(payload)


def translate_event(payload: dict[str, Any]) -> Delivery | Ignored:
    """The delivery for one genuine v2.0 event or card callback (from the webhook or the long connection)."""
    event_type = _event_type(payload)
    handler = EVENT_HANDLERS.get(event_type)
    if handler is None:
        return Ignored(f"event {event_type} ({'ignored' if event_type in IGNORED_EVENTS else 'unknown'})")
    try:
        return handler(payload, payload["header"])
    except (TypeError, AttributeError) as exc:  # a field of a shape the checks above did not foresee
        raise Malformed(f"{event_type} has a field of the wrong type") from exc


def feishu_blueprint(settings: Settings) -> Blueprint:
    """`POST /feishu/events`: URL verification, messages, "chat opened" and card callbacks."""
    assert settings.feishu is not None
    verifier = EventVerifier(settings.feishu)
    endpoint = Endpoint(
        platform="feishu",
        max_bytes=MAX_EVENT_BYTES,
        verify=lambda body: verifier.verify(body, dict(request.headers)),
        translate=translate,
        acknowledge=lambda ignored: jsonify({"msg": "ignored" if ignored else "success"}),
        answer_click=answer_click,
    )
    blueprint = Blueprint("feishu", __name__)
    blueprint.add_url_rule("/feishu/events", "events", lambda: receive(endpoint), methods=["POST"])
    return blueprint
