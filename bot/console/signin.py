"""Who is at the browser: inside WeCom (OAuth2 snsapi_base → auth/getuserinfo) or Feishu (web-app login →
OIDC access token → user_info). Each turns the `code` the platform hands back into an identity, `PLATFORM:ID`.

The SDKs make the calls (wechatpy's client with our API base; lark-oapi's authen.v1), so the same code runs
against the fakes in tests/ and the real platforms.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import redis

from config.settings import Settings

log = logging.getLogger(__name__)

WECOM_AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"
FEISHU_AUTHORIZE_PATH = "/open-apis/authen/v1/authorize"


class SignInFailed(Exception):
    """The platform did not vouch for the code (expired, reused, not a member); the message says why."""


def wecom_authorize_url(settings: Settings, redirect_uri: str, state: str) -> str:
    """The page WeCom opens inside its client to identify the member silently (snsapi_base)."""
    assert settings.wecom is not None
    query = urlencode(
        {
            "appid": settings.wecom.corp_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
            "agentid": settings.wecom.agent_id,
        }
    )
    return f"{WECOM_AUTHORIZE}?{query}#wechat_redirect"


def wecom_identity(settings: Settings, connection: redis.Redis, code: str) -> str:
    """`wecom:USERID` for an OAuth code (GET auth/getuserinfo). Raises SignInFailed."""
    from bot.platforms.base import SendError
    from bot.platforms.wecom_client import WecomClient

    assert settings.wecom is not None
    client = WecomClient(settings.wecom, connection)
    try:
        result = client.call(lambda: client.get("auth/getuserinfo", params={"code": code}))
    except SendError as exc:
        raise SignInFailed(str(exc)) from None
    user_id = result.get("userid") or result.get("UserId")
    if not user_id:  # a non-member (openid only) cannot use the cockpit
        raise SignInFailed("WeCom named no member for this code")
    return f"wecom:{user_id}"


def feishu_authorize_url(settings: Settings, redirect_uri: str, state: str) -> str:
    """Feishu's web-app login page (it signs the user in silently inside the Feishu client)."""
    assert settings.feishu is not None
    query = urlencode({"app_id": settings.feishu.app_id, "redirect_uri": redirect_uri, "state": state})
    return f"{settings.feishu.api_base.rstrip('/')}{FEISHU_AUTHORIZE_PATH}?{query}"


def feishu_identity(settings: Settings, code: str) -> str:
    """`feishu:OPEN_ID` for a login code: POST authen/v1/oidc/access_token, then GET authen/v1/user_info."""
    import lark_oapi as lark
    from lark_oapi.api.authen.v1 import (
        CreateOidcAccessTokenRequest,
        CreateOidcAccessTokenRequestBody,
        GetUserInfoRequest,
    )

    from bot.platforms.feishu_client import build_client

    assert settings.feishu is not None
    client = build_client(settings.feishu, user_tokens=True)
    body = CreateOidcAccessTokenRequestBody.builder().grant_type("authorization_code").code(code).build()
    token = client.authen.v1.oidc_access_token.create(CreateOidcAccessTokenRequest.builder().request_body(body).build())
    if not token.success() or token.data is None or not token.data.access_token:
        raise SignInFailed(f"Feishu refused the code: {token.code} {token.msg}")
    option = lark.RequestOption.builder().user_access_token(token.data.access_token).build()
    info = client.authen.v1.user_info.get(GetUserInfoRequest.builder().build(), option)
    if not info.success() or info.data is None or not info.data.open_id:
        raise SignInFailed(f"Feishu gave no user: {info.code} {info.msg}")
    return f"feishu:{info.data.open_id}"
