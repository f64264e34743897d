"""WeCom (企业微信) self-built app: the callback endpoint.

GET /wecom/callback answers the URL verification; POST verifies, decrypts and translates one message or
event, and `bot.webhook.receive` stores it and answers an empty 200 at once. The worker does the rest
(wecom_client.py: voice download and the directory; wecom_send.py: sending, card updates).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import Blueprint, Response, request
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.platforms.base import CardAction, InboundMessage, MessageKind
from bot.platforms.wecom_send import decode_button_key
from bot.webhook import Delivery, Endpoint, Forbidden, Ignored, Malformed, StaleRequest, receive
from config.settings import Settings, WecomSettings

CHANNEL = "wecom"
# A callback is a few hundred bytes (a text message is at most 2,048 bytes before encryption); anything
# near this is not WeCom. A declared length is checked before the body is read.
MAX_CALLBACK_BYTES = 64 * 1024


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


def _message(fields: Fields, now: datetime, kind: MessageKind, text: str = "", **extra: str) -> InboundMessage:
    return InboundMessage(channel=CHANNEL, sender=_sender(fields), text=text, received_at=now, kind=kind, extra=extra)


def parse_text(fields: Fields, now: datetime) -> Delivery:
    return Delivery(_message(fields, now, MessageKind.TEXT, fields.get("Content", "")), _message_key(fields))


def parse_voice(fields: Fields, now: datetime) -> Delivery:
    if not fields.get("MediaId"):
        raise Malformed("voice without MediaId")
    message = _message(fields, now, MessageKind.VOICE, media_id=fields["MediaId"], format=fields.get("Format", ""))
    return Delivery(message, _message_key(fields))


def parse_chat_opened(fields: Fields, now: datetime) -> Delivery:
    """Entering (or subscribing to) the app, stored under WeCom's event key: the conversation decides whether
    to greet."""
    return Delivery(_message(fields, now, MessageKind.CHAT_OPENED, event=fields["Event"]), _event_key(fields))


def parse_card_click(fields: Fields, now: datetime) -> Delivery:
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


def parse_unsupported(fields: Fields, now: datetime) -> Delivery:
    """Images, files, locations, links…: stored, and answered with a polite 暂不支持."""
    return Delivery(
        _message(fields, now, MessageKind.UNSUPPORTED, type=fields.get("MsgType", "")), _message_key(fields)
    )


Parser = Callable[[Fields, datetime], Delivery]
EVENT_PARSERS: dict[str, Parser] = {
    "text": parse_text,
    "voice": parse_voice,
    "event:enter_agent": parse_chat_opened,
    "event:subscribe": parse_chat_opened,
    "event:template_card_event": parse_card_click,
}
# Events WeCom sends without the user asking anything: acknowledged, logged, not stored, not answered.
# Events missing from both lists are treated the same way.
IGNORED_EVENTS = ("event:LOCATION", "event:unsubscribe")


def event_name(fields: Fields) -> str:
    msg_type = fields.get("MsgType", "")
    return f"event:{fields.get('Event', '')}" if msg_type == "event" else msg_type


def translate(fields: Fields, now: datetime) -> Delivery | Ignored:
    """The delivery for one decrypted callback (kept with its fields but the message text), or Ignored."""
    name = event_name(fields)
    if name in EVENT_PARSERS:
        delivery = EVENT_PARSERS[name](fields, now)
    elif name.startswith("event:"):  # IGNORED_EVENTS, and events WeCom adds later: nobody asked anything
        return Ignored(f"{name} from {fields.get('FromUserName')}")
    else:
        delivery = parse_unsupported(fields, now)
    return replace(delivery, raw={k: v for k, v in fields.items() if k != "Content"})


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
    wecom = settings.wecom
    assert wecom is not None
    envelope = Envelope(wecom)
    blueprint = Blueprint("wecom", __name__)

    @blueprint.get("/wecom/callback")
    def verify_url() -> Response:
        given, timestamp, nonce = _params()
        # Flask has already URL-decoded the query; a proxy that turned "+" into " " is undone here.
        echostr = request.args.get("echostr", "").replace(" ", "+")
        if not echostr:
            raise Malformed("echostr is required")
        return Response(envelope.echo(given, timestamp, nonce, echostr), mimetype="text/plain")

    def verify(body: bytes) -> Fields:
        given, timestamp, nonce = _params()
        if not timestamp.isdigit():
            raise Malformed("timestamp is not a number")
        if abs(time.time() - int(timestamp)) > wecom.max_clock_skew:
            raise StaleRequest(f"timestamp more than {wecom.max_clock_skew}s away from our clock")
        return envelope.open(body, given, timestamp, nonce)

    endpoint = Endpoint(
        platform=CHANNEL,
        max_bytes=MAX_CALLBACK_BYTES,
        verify=verify,
        translate=lambda fields: translate(fields, datetime.now(UTC)),
        acknowledge=lambda ignored: Response("", mimetype="text/plain"),
    )
    blueprint.add_url_rule("/wecom/callback", "receive", lambda: receive(endpoint), methods=["POST"])
    return blueprint
