"""The WeCom API client (wechatpy, pointed at SALESBOT_WECOM_API_BASE) and the preparer's hooks over it.

The access token lives in the queue's Redis, so every web and worker process shares one. Errors are
sorted once, in `WecomClient.call`: an expired token is refreshed and the call retried once; what may
pass (rate limits, 5xx, timeouts) becomes a transient SendError, the rest a permanent one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import redis
import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from bot.platforms.base import SendError
from bot.platforms.prepare import MessagePreparer
from bot.speech import build_recognizer
from config.settings import Settings, WecomSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

HTTP_TIMEOUT = 10.0
# Refresh the token this long before WeCom says it expires, so no call carries a token about to lapse.
TOKEN_MARGIN_SECONDS = 300
# errcodes meaning "the access token is no good": refresh it and retry once.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# errcodes worth retrying later: system busy, frequency limit, concurrency limit.
TRANSIENT_ERRORS = frozenset({-1, 45009, 45033})


class WecomClient(WeChatClient):
    """wechatpy's enterprise client with every URL (gettoken and media/get too) under `api_base`."""

    def __init__(self, wecom: WecomSettings, connection: redis.Redis, *, timeout: float = HTTP_TIMEOUT) -> None:
        self.API_BASE_URL = wecom.api_base.rstrip("/") + "/"
        super().__init__(
            wecom.corp_id,
            wecom.secret,
            session=RedisStorage(connection, prefix="salesbot:wecom"),
            timeout=timeout,
            auto_retry=False,  # its retry loops for ever on a token WeCom keeps refusing; call() retries once
        )

    def fetch_access_token(self) -> dict[str, Any]:
        """gettoken, with a timeout (wechatpy's own has none) and a TTL shortened by TOKEN_MARGIN_SECONDS."""
        response = self._http.get(
            self.API_BASE_URL + "gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
            timeout=self.timeout,
        )
        result = self._handle_result(response)
        if not isinstance(result, dict) or "access_token" not in result:
            raise WeChatClientException(None, "gettoken answered without access_token", client=self, response=response)
        ttl = max(int(result.get("expires_in", 7200)) - TOKEN_MARGIN_SECONDS, 60)
        self.session.set(self.access_token_key, result["access_token"], ttl)
        return result

    def call(self, request: Callable[[], T]) -> T:
        """Run one API request; raises SendError (transient or permanent)."""
        for attempt in (1, 2):
            try:
                return request()
            except WeChatClientException as exc:
                if exc.errcode in TOKEN_ERRORS and attempt == 1:
                    log.info("wecom: access token refused (%s), fetching a new one", exc.errcode)
                    self.session.delete(self.access_token_key)
                    continue
                raise _send_error(exc) from exc
            except requests.RequestException as exc:
                # Not chained: the request URL (corpsecret, access_token) would reach logs and RQ.
                raise SendError(f"WeCom API unreachable: {type(exc).__name__}") from None
        raise AssertionError("unreachable")

    def download_media(self, media_id: str) -> bytes:
        """A temporary media file (voice: AMR). Raises SendError."""

        def get() -> bytes:
            result = self.get("media/get", params={"media_id": media_id})
            if not isinstance(result, requests.Response):
                raise SendError("media/get answered JSON instead of a file", permanent=True)
            return result.content

        return self.call(get)

    def display_name(self, user_id: str) -> str:
        """The member's name from the directory (user/get); "" when WeCom does not disclose it."""
        result = self.call(lambda: self.user.get(user_id))
        return str(result.get("name") or "")


def _send_error(exc: WeChatClientException) -> SendError:
    if exc.errcode is None:  # an HTTP error status
        status = exc.response.status_code if exc.response is not None else None
        transient = status is None or status >= 500 or status == 429
        return SendError(f"WeCom API answered HTTP {status}", permanent=not transient)
    transient = exc.errcode in TRANSIENT_ERRORS or exc.errcode in TOKEN_ERRORS
    return SendError(f"WeCom errcode {exc.errcode}: {exc.errmsg}", permanent=not transient)


def wecom_preparer(settings: Settings, connection: redis.Redis) -> MessagePreparer:
    """Names from the directory (user/get), voice from media/get (AMR), transcribed by SALESBOT_ASR_URL."""
    assert settings.wecom is not None
    client = WecomClient(settings.wecom, connection)
    return MessagePreparer(
        "wecom",
        connection,
        build_recognizer(settings),
        download=lambda message: client.download_media(str(message.extra["media_id"])),
        display_name=client.display_name,
    )
