"""Outbound Feishu: app messages and card updates (im/v1), the preparer's hooks (the sender's name, voice
download) and speech-to-text — all over lark-oapi's `lark.Client`, whose domain comes from settings.

Errors become SendError (or SpeechError for the recognizer): transient ones (network, HTTP 5xx, rate
limits, an expired token) are retried by the outbox or the job; the rest are permanent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import lark_oapi as lark
import redis
import requests
from lark_oapi.api.contact.v3 import GetUserRequest
from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    GetMessageResourceRequest,
    PatchMessageRequest,
    PatchMessageRequestBody,
)
from lark_oapi.api.speech_to_text.v1 import (
    FileConfig,
    FileRecognizeSpeechRequest,
    FileRecognizeSpeechRequestBody,
    Speech,
)
from lark_oapi.core.cache import ICache
from lark_oapi.core.exception import ObtainAccessTokenException

from bot.audio import SAMPLE_RATE
from bot.cards import Card
from bot.platforms.base import InboundMessage, SendError, recipient_on
from bot.platforms.feishu_cards import APP_CARD_BYTES, render_card, render_plain
from bot.platforms.feishu_hook import PREFIX, failure
from bot.platforms.prepare import MessagePreparer
from bot.platforms.rate_limit import RateLimiter, RateLimitItemPerSecond
from bot.speech import SpeechError, build_recognizer
from config.settings import FeishuSettings, Settings

# The cached tenant_access_token was rejected: forget it and fetch a new one.
TOKEN_REJECTED = frozenset({99991661, 99991663, 99991664, 99991677})
# "单租户限流：20QPS … 接口适合 60 秒以内音频识别"
MAX_SPEECH_SECONDS = 60
PER_TARGET_QPS = 5  # "5 QPS per user and per group", shared by every bot there


class RedisTokenCache(ICache):
    """lark-oapi's token cache in the queue's Redis, so every web and worker process shares one
    tenant_access_token instead of fetching its own."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection

    def get(self, key: str) -> str:
        value = self.connection.get(PREFIX + "token:" + key)
        return value.decode() if isinstance(value, bytes) else (value or "")

    def set(self, key: str, value: str, expire: int) -> None:
        ttl = int(expire - time.time())
        if ttl > 0:
            self.connection.set(PREFIX + "token:" + key, value, ex=ttl)

    def clear(self) -> None:
        for key in self.connection.scan_iter(match=PREFIX + "token:*"):
            self.connection.delete(key)


def build_client(settings: FeishuSettings, cache: ICache | None = None, *, user_tokens: bool = False) -> lark.Client:
    """`user_tokens`: calls may carry a user_access_token in their RequestOption (the cockpit's login)."""
    builder = (
        lark.Client.builder()
        .app_id(settings.app_id)
        .app_secret(settings.app_secret)
        .domain(settings.api_base.rstrip("/"))
        .timeout(10)
        .log_level(lark.LogLevel.WARNING)
    )
    if cache is not None:
        builder = builder.cache(cache)
    if user_tokens:
        builder = builder.enable_set_token(True)
    return builder.build()


class Api:
    """One `lark.Client` with the error handling every call shares."""

    def __init__(self, client: lark.Client, cache: RedisTokenCache | None = None) -> None:
        self.client = client
        self.cache = cache

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one SDK call; retry once with a fresh token if the cached one was rejected.

        Returns the successful response; raises SendError.
        """
        for attempt in (1, 2):
            try:
                response = fn()
            except ObtainAccessTokenException as exc:
                raise SendError(f"{what}: cannot get a tenant_access_token (code {exc.code})") from exc
            except (requests.RequestException, ValueError) as exc:
                # ValueError: a body that is not JSON, as from a proxy's 502 page.
                raise SendError(f"{what}: {type(exc).__name__}") from None
            if response.success():
                return response
            if response.code in TOKEN_REJECTED and attempt == 1 and self.cache is not None:
                self.cache.clear()
                continue
            status = response.raw.status_code if response.raw is not None else None
            raise failure(what, response.code, response.msg, status)
        raise AssertionError("unreachable")


# Where an app message goes, by the recipient's platform: a person, or a group chat.
RECEIVE_ID_TYPES = {"feishu": "open_id", "feishu_chat": "chat_id"}


class FeishuAppSender:
    """App messages through im/v1: text or an interactive card, created once per dedup key (the request
    `uuid`), or a sent card patched in place when `update_ref` names it.

    Channel `feishu` takes `feishu:OPEN_ID` and `feishu_chat:CHAT_ID`; channel `feishu_chat` (a team's
    group target) takes the bare chat_id.
    """

    def __init__(self, channel: str, api: Api, connection: redis.Redis) -> None:
        self.channel = channel
        self.api = api
        self.limiter = RateLimiter(connection, "feishu-target", RateLimitItemPerSecond(PER_TARGET_QPS))

    def send(
        self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None
    ) -> str | None:
        if self.channel == "feishu_chat":
            recipient = f"feishu_chat:{recipient}"
        target = recipient_on(recipient, *RECEIVE_ID_TYPES)
        id_type, receive_id = RECEIVE_ID_TYPES[target.platform], target.external_id
        self.limiter.take(receive_id)
        if update_ref and update_ref.get("message_id"):
            return self._patch(str(update_ref["message_id"]), card)
        if card.is_plain_text:
            msg_type, content = "text", {"text": render_plain(card, limit=APP_CARD_BYTES)}
        else:
            msg_type, content = "interactive", render_card(card)
        # uuid: "≤ 50 characters, dedupes within 1 hour"; longer keys are hashed to fit.
        idem = dedup_key if len(dedup_key) <= 50 else hashlib.sha256(dedup_key.encode()).hexdigest()[:50]
        request = (
            CreateMessageRequest.builder()
            .receive_id_type(id_type)
            .request_body(
                CreateMessageRequestBody.builder()
                .receive_id(receive_id)
                .msg_type(msg_type)
                .content(json.dumps(content, ensure_ascii=False))
                .uuid(idem)
                .build()
            )
            .build()
        )
        response = self.api.call("im.v1.message.create", lambda: self.api.client.im.v1.message.create(request))
        return response.data.message_id

    def _patch(self, message_id: str, card: Card) -> str:
        request = (
            PatchMessageRequest.builder()
            .message_id(message_id)
            .request_body(
                PatchMessageRequestBody.builder().content(json.dumps(render_card(card), ensure_ascii=False)).build()
            )
            .build()
        )
        self.api.call("im.v1.message.patch", lambda: self.api.client.im.v1.message.patch(request))
        return message_id


class FeishuSpeechRecognizer:
    """speech_to_text `file_recognize`: 16 kHz PCM, at most 60 s a request, so longer audio goes in
    consecutive pieces whose texts are joined."""

    name = "feishu"

    def __init__(self, settings: FeishuSettings, api: Api | None = None) -> None:
        self.api = api or Api(build_client(settings))

    def transcribe(self, pcm: bytes) -> str:
        piece = MAX_SPEECH_SECONDS * SAMPLE_RATE * 2
        return "".join(self._recognize(pcm[start : start + piece]) for start in range(0, len(pcm), piece)).strip()

    def _recognize(self, pcm: bytes) -> str:
        request = (
            FileRecognizeSpeechRequest.builder()
            .request_body(
                FileRecognizeSpeechRequestBody.builder()
                .speech(Speech.builder().speech(base64.b64encode(pcm).decode()).build())
                .config(
                    FileConfig.builder()
                    .file_id(uuid.uuid4().hex[:16])  # "16 位字符串", letters, digits and _
                    .format("pcm")
                    .engine_type("16k_auto")
                    .build()
                )
                .build()
            )
            .build()
        )
        try:
            response = self.api.call(
                "speech_to_text.file_recognize",
                lambda: self.api.client.speech_to_text.v1.speech.file_recognize(request),
            )
        except SendError as exc:
            raise SpeechError(str(exc), transient=not exc.permanent) from exc
        return (response.data.recognition_text or "").strip()


def download_audio(api: Api, message: InboundMessage) -> bytes:
    """The audio of a message (`im/v1/messages/:message_id/resources/:file_key?type=file`). Raises SendError."""
    message_id, file_key = str(message.extra["message_id"]), str(message.extra["file_key"])
    request = GetMessageResourceRequest.builder().message_id(message_id).file_key(file_key).type("file").build()
    response = api.call("im.v1.message_resource.get", lambda: api.client.im.v1.message_resource.get(request))
    return response.file.read()


def display_name(api: Api, open_id: str) -> str:
    """The person's name from the contact directory; "" when it is not disclosed. Raises SendError (no contact
    permission is a permanent one)."""
    request = GetUserRequest.builder().user_id(open_id).user_id_type("open_id").build()
    response = api.call("contact.v3.user.get", lambda: api.client.contact.v3.user.get(request))
    return (response.data.user.name or "") if response.data and response.data.user else ""


def shared_api(settings: FeishuSettings, connection: redis.Redis) -> Api:
    """A client whose tenant_access_token lives in the queue's Redis, shared by every process."""
    cache = RedisTokenCache(connection)
    return Api(build_client(settings, cache), cache)


def app_senders(settings: FeishuSettings, connection: redis.Redis) -> dict[str, FeishuAppSender]:
    api = shared_api(settings, connection)
    return {channel: FeishuAppSender(channel, api, connection) for channel in ("feishu", "feishu_chat")}


def feishu_preparer(settings: Settings, connection: redis.Redis) -> MessagePreparer:
    """Names from the contact directory, audio from the message's resources; SALESBOT_ASR_URL transcribes if
    set, else Feishu's own speech-to-text, sharing the client (and its token)."""
    assert settings.feishu is not None
    api = shared_api(settings.feishu, connection)
    return MessagePreparer(
        "feishu",
        connection,
        build_recognizer(settings) or FeishuSpeechRecognizer(settings.feishu, api),
        download=lambda message: download_audio(api, message),
        display_name=lambda open_id: display_name(api, open_id),
    )
