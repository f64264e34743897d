"""WeCom (企业微信) self-built app: the callback endpoint, and the factories `bot.platforms` calls.

GET /wecom/callback answers the URL verification; POST verifies, decrypts and translates one message or
event, stores it with `bot.inbound.accept` and answers an empty 200 at once. The worker does the rest
(wecom_client.py: voice download and transcription, sending, card updates).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import ParseError

import redis
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import Blueprint, Response, current_app, request
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.inbound import accept
from bot.platforms.base import CardAction, InboundMessage, Preparer, Sender
from bot.platforms.wecom_client import WecomClient, WecomPreparer
from bot.platforms.wecom_send import AppSender, RobotSender, decode_button_key
from bot.webhook import Forbidden, Malformed, StaleRequest, request_body
from config.settings import Settings, WecomSettings

log = logging.getLogger(__name__)

CHANNEL = "wecom"
# A callback is a few hundred bytes (a text message is at most 2,048 bytes before encryption); anything
# near this is not WeCom. A declared length is checked before the body is read.
MAX_CALLBACK_BYTES = 64 * 1024
# WeCom signs each delivery with the time it was sent and retries within seconds; a signed request older
# (or newer) than this is a replay and is refused.
# What a user types to get the usage card; an entered app is answered the same way, once a day.


@dataclass(frozen=True)
class Delivery:
    """One translated callback: what to store, under which dedup key."""

    item: InboundMessage | CardAction
    dedup_key: str


Fields = dict[str, str]


# ---------------------------------------------------------------- one parser per MsgType / Event


def _sender(fields: Fields) -> str:
    user = fields.get("FromUserName", "")
    if not user:
        raise Malformed("FromUserName missing")
    return f"{CHANNEL}:{user}"


def _message_key(fields: Fields) -> str:
    if not fields.get("MsgId"):
        raise Malformed("MsgId missing")
    return fields["MsgId"]


def _event_key(fields: Fields) -> str:
    """FromUserName+CreateTime+Event+EventKey, as WeCom recommends for events; long keys are hashed."""
    event_key = fields.get("EventKey", "")
    if len(event_key) > 64:
        event_key = hashlib.sha1(event_key.encode()).hexdigest()
    return ":".join((fields.get("FromUserName", ""), fields.get("CreateTime", ""), fields["Event"], event_key))


def parse_text(fields: Fields, now: datetime, settings: Settings) -> Delivery:
    message = InboundMessage(channel=CHANNEL, sender=_sender(fields), text=fields.get("Content", ""), received_at=now)
    return Delivery(message, _message_key(fields))


def parse_voice(fields: Fields, now: datetime, settings: Settings) -> Delivery:
    if not fields.get("MediaId"):
        raise Malformed("voice without MediaId")
    message = InboundMessage(
        channel=CHANNEL,
        sender=_sender(fields),
        text="",
        received_at=now,
        kind="voice",
        extra={"media_id": fields["MediaId"], "format": fields.get("Format", "")},
    )
    return Delivery(message, _message_key(fields))


def parse_welcome(fields: Fields, now: datetime, settings: Settings) -> Delivery:
    """Opening (or subscribing to) the app: the usage card, at most once a day per user.

    The dedup key is the user and the local date, so later entries that day are repeats and stored no more.
    """
    sender = _sender(fields)
    message = InboundMessage(
        channel=CHANNEL,
        sender=sender,
        text="",
        received_at=now,
        kind="event",
        extra={"event": fields["Event"]},
    )
    return Delivery(message, f"welcome:{sender}:{now.astimezone(settings.tz).date().isoformat()}")


def parse_card_click(fields: Fields, now: datetime, settings: Settings) -> Delivery:
    action, value = decode_button_key(fields.get("EventKey", ""))
    user = fields.get("FromUserName", "")
    click = CardAction(
        channel=CHANNEL,
        actor=_sender(fields),
        action=action,
        value=value,
        received_at=now,
        update_ref={"response_code": fields.get("ResponseCode", ""), "userid": user, "task_id": fields.get("TaskId")},
    )
    return Delivery(click, _event_key(fields))


def parse_unsupported(fields: Fields, now: datetime, settings: Settings) -> Delivery:
    """Images, files, locations, links…: stored, and answered with a polite 暂不支持."""
    message = InboundMessage(
        channel=CHANNEL,
        sender=_sender(fields),
        text="",
        received_at=now,
        kind="unsupported",
        extra={"type": fields.get("MsgType", "")},
    )
    return Delivery(message, _message_key(fields))


Parser = Callable[[Fields, datetime, Settings], Delivery]
EVENT_PARSERS: dict[str, Parser] = {
    "text": parse_text,
    "voice": parse_voice,
    "event:enter_agent": parse_welcome,
    "event:subscribe": parse_welcome,
    "event:template_card_event": parse_card_click,
}
# Events WeCom sends without the user asking anything: acknowledged, logged, not stored, not answered.
# Events missing from both lists are treated the same way.
IGNORED_EVENTS = ("event:LOCATION", "event:unsubscribe")


def event_name(fields: Fields) -> str:
    msg_type = fields.get("MsgType", "")
    return f"event:{fields.get('Event', '')}" if msg_type == "event" else msg_type


def translate(fields: Fields, now: datetime, settings: Settings) -> Delivery | None:
    """The delivery for one decrypted callback, or None for an ignored event."""
    name = event_name(fields)
    if name in EVENT_PARSERS:
        return EVENT_PARSERS[name](fields, now, settings)
    if name.startswith("event:"):  # IGNORED_EVENTS, and events WeCom adds later: nobody asked anything
        return None
    return parse_unsupported(fields, now, settings)


# ---------------------------------------------------------------- envelope and crypto


def read_xml(data: bytes | str) -> Fields:
    """The children of a flat `<xml>` document as a dict; DTDs and entities are refused (Malformed)."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ParseError) as exc:
        raise Malformed(f"not acceptable XML ({type(exc).__name__})") from exc
    if root.tag != "xml":
        raise Malformed("XML root is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """msg_signature: SHA-1 of the four strings sorted and joined (加解密方案说明)."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypted))).encode()).hexdigest()


class Envelope:
    """Verifies and decrypts what WeCom sends to the callback URL, with the app's token and key."""

    def __init__(self, wecom: WecomSettings) -> None:
        self.wecom = wecom
        self.crypto = WeChatCrypto(wecom.token, wecom.aes_key, wecom.corp_id)

    def _check_signature(self, given: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self.wecom.token, timestamp, nonce, encrypted)
        # Bytes: compare_digest raises TypeError on a str with non-ASCII characters, which anyone can send.
        if not hmac.compare_digest(expected.encode(), given.lower().encode()):
            raise Forbidden("bad msg_signature")

    def _decrypt(self, decrypt: Callable[[], str]) -> str:
        try:
            return decrypt()
        except InvalidSignatureException as exc:
            raise Forbidden("bad msg_signature") from exc
        except InvalidCorpIdException as exc:
            raise Forbidden("encrypted for another corp id") from exc
        except (ValueError, TypeError, IndexError, UnicodeDecodeError) as exc:
            raise Malformed(f"cannot decrypt ({type(exc).__name__})") from exc

    def echo(self, given: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The plaintext of a URL-verification `echostr`."""
        self._check_signature(given, timestamp, nonce, echostr)
        return self._decrypt(lambda: self.crypto.check_signature(given, timestamp, nonce, echostr))

    def open(self, body: bytes, given: str, timestamp: str, nonce: str) -> Fields:
        """The decrypted message's fields. Raises Forbidden (signature, corp or agent) or Malformed."""
        outer = read_xml(body)
        encrypted = outer.get("Encrypt", "")
        if not encrypted:
            raise Malformed("no <Encrypt> element")
        self._check_signature(given, timestamp, nonce, encrypted)
        plain = self._decrypt(lambda: self.crypto.decrypt_message({"Encrypt": encrypted}, given, timestamp, nonce))
        fields = read_xml(plain)
        if fields.get("ToUserName", self.wecom.corp_id) != self.wecom.corp_id:
            raise Forbidden("message for another corp id")
        if fields.get("AgentID", str(self.wecom.agent_id)) != str(self.wecom.agent_id):
            raise Forbidden("message for another agent id")
        return fields


# ---------------------------------------------------------------- the endpoint


def _params() -> tuple[str, str, str]:
    values = tuple(request.args.get(name, "") for name in ("msg_signature", "timestamp", "nonce"))
    if not all(values):
        raise Forbidden("msg_signature, timestamp and nonce are required")
    return values  # type: ignore[return-value]


def wecom_blueprint(settings: Settings) -> Blueprint:
    """GET|POST /wecom/callback for the app in `settings.wecom`."""
    assert settings.wecom is not None
    envelope = Envelope(settings.wecom)
    blueprint = Blueprint("wecom", __name__)

    @blueprint.get("/wecom/callback")
    def verify_url() -> Response:
        given, timestamp, nonce = _params()
        # Flask has already URL-decoded the query; a proxy that turned "+" into " " is undone here.
        echostr = request.args.get("echostr", "").replace(" ", "+")
        if not echostr:
            raise Malformed("echostr is required")
        return Response(envelope.echo(given, timestamp, nonce, echostr), mimetype="text/plain")

    @blueprint.post("/wecom/callback")
    def receive() -> Response:
        body = request_body(MAX_CALLBACK_BYTES)
        given, timestamp, nonce = _params()
        if not timestamp.isdigit():
            raise Malformed("timestamp is not a number")
        if abs(time.time() - int(timestamp)) > settings.wecom.max_clock_skew:
            raise StaleRequest(f"timestamp more than {settings.wecom.max_clock_skew}s away from our clock")
        fields = envelope.open(body, given, timestamp, nonce)
        delivery = translate(fields, datetime.now(UTC), settings)
        if delivery is None:
            log.info("wecom: ignored %s from %s", event_name(fields), fields.get("FromUserName"))
            return Response("", mimetype="text/plain")
        event_id = accept(
            current_app.extensions["salesbot"],
            delivery.item,
            platform=CHANNEL,
            dedup_key=delivery.dedup_key,
            raw=_raw(fields),
        )
        if event_id is None:
            log.info("wecom: repeat delivery %s", delivery.dedup_key)
        return Response("", mimetype="text/plain")

    return blueprint


def _raw(fields: Fields) -> dict[str, Any]:
    """The decrypted fields kept with the event, without message text (it is in the payload already)."""
    return {k: v for k, v in fields.items() if k != "Content"}


# ---------------------------------------------------------------- factories for bot.platforms


def wecom_senders(settings: Settings, connection: redis.Redis) -> dict[str, Sender]:
    """`wecom` (app messages to `wecom:USERID`) and `wecom_webhook` (group robots, recipient = URL)."""
    assert settings.wecom is not None
    client = WecomClient(settings.wecom, connection)
    return {
        "wecom": AppSender(client, settings.wecom.agent_id, connection),
        "wecom_webhook": RobotSender(connection),
    }


def wecom_preparer(settings: Settings, connection: redis.Redis) -> Preparer:
    assert settings.wecom is not None
    return WecomPreparer(WecomClient(settings.wecom, connection), settings, connection)
