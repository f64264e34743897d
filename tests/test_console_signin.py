"""Signing in from inside the chat clients: WeCom OAuth2 (snsapi_base → auth/getuserinfo) and Feishu's web-app
login (authen/v1), through the real wechatpy / lark-oapi code against the fakes; and the 看板 doors in chat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import periodic
from storage.people import add_team, add_user
from tests import fake_feishu, fake_wecom
from tests.stack import FEISHU_REP, Stack, build_stack

NOW = "2026-11-25T10:00:00+08:00"  # a working Wednesday morning


@pytest.fixture
def web(sqlite_url: str) -> Iterator[Stack]:
    for stack in build_stack(sqlite_url):
        stack.wecom.users["wangjl"] = "王经理"
        with stack.rt.transaction() as db:
            now = datetime.now(UTC)
            add_user(db, "wecom:wangjl", name="王经理", role="manager", team=None, now=now)
            add_user(db, f"feishu:{FEISHU_REP}", name="飞书经理", role="manager", team=None, now=now)
            add_team(db, "华东一组", manager_key="wecom:wangjl", now=now)
            add_user(db, "wecom:zhangwei", name="张伟", role="rep", team="华东一组", now=now)
        yield stack


def _start(web: Stack, platform: str) -> tuple[str, dict[str, list[str]]]:
    answer = web.client.get(f"/console/login/{platform}")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    return location, parse_qs(urlsplit(location).query)


def test_the_wecom_login_asks_wecom_to_identify_the_member_silently(web: Stack) -> None:
    location, query = _start(web, "wecom")
    assert location.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?")
    assert location.endswith("#wechat_redirect")
    assert query["appid"] == [fake_wecom.CORP_ID]
    assert query["agentid"] == [str(fake_wecom.AGENT_ID)]
    assert query["scope"] == ["snsapi_base"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/console/login/wecom/done"]
    assert len(query["state"][0]) >= 24


def test_the_code_wecom_hands_back_signs_the_member_in(web: Stack) -> None:
    _, query = _start(web, "wecom")
    web.wecom.oauth_codes["CODE_1"] = "wangjl"
    answer = web.client.get(f"/console/login/wecom/done?code=CODE_1&state={query['state'][0]}")
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/"
    assert web.client.get("/console/").status_code == 200
    (call,) = web.wecom.calls("auth/getuserinfo")
    assert call.query["code"] == "CODE_1" and call.query["access_token"].startswith("ACCESS_TOKEN_")


def test_a_wecom_login_with_another_state_is_refused(web: Stack) -> None:
    _start(web, "wecom")
    web.wecom.oauth_codes["CODE_1"] = "wangjl"
    assert web.client.get("/console/login/wecom/done?code=CODE_1&state=forged").status_code == 403
    assert web.wecom.calls("auth/getuserinfo") == []  # the code is never even tried
    assert web.client.get("/console/").status_code == 401


def test_a_wecom_login_that_was_never_started_is_refused(web: Stack) -> None:
    web.wecom.oauth_codes["CODE_1"] = "wangjl"
    assert web.client.get("/console/login/wecom/done?code=CODE_1&state=").status_code == 403


def test_a_code_wecom_does_not_know_is_refused(web: Stack) -> None:
    _, query = _start(web, "wecom")
    assert web.client.get(f"/console/login/wecom/done?code=STALE&state={query['state'][0]}").status_code == 403
    assert web.client.get("/console/").status_code == 401


def test_a_member_the_bot_does_not_know_is_refused(web: Stack) -> None:
    _, query = _start(web, "wecom")
    web.wecom.oauth_codes["CODE_1"] = "stranger"
    assert web.client.get(f"/console/login/wecom/done?code=CODE_1&state={query['state'][0]}").status_code == 403


def test_the_feishu_login_goes_to_feishus_authorize_page(web: Stack) -> None:
    location, query = _start(web, "feishu")
    assert location.startswith(f"{web.feishu.url}/open-apis/authen/v1/authorize?")
    assert query["app_id"] == [fake_feishu.APP_ID]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/console/login/feishu/done"]


def test_the_code_feishu_hands_back_signs_the_user_in(web: Stack) -> None:
    _, query = _start(web, "feishu")
    web.feishu.login_codes["fs-code-1"] = FEISHU_REP
    answer = web.client.get(f"/console/login/feishu/done?code=fs-code-1&state={query['state'][0]}")
    assert answer.status_code == 302
    assert web.client.get("/console/").status_code == 200
    (token_call,) = web.feishu.calls("/open-apis/authen/v1/oidc/access_token", "POST")
    assert token_call.json == {"grant_type": "authorization_code", "code": "fs-code-1"}
    assert len(web.feishu.calls("/open-apis/authen/v1/user_info", "GET")) == 1


def test_a_code_feishu_refuses_signs_no_one_in(web: Stack) -> None:
    _, query = _start(web, "feishu")
    assert web.client.get(f"/console/login/feishu/done?code=nope&state={query['state'][0]}").status_code == 403
    assert web.client.get("/console/").status_code == 401


def test_a_platform_that_is_not_configured_has_no_login(sqlite_url: str) -> None:
    from bot import runtime
    from bot.app import create_app
    from config.settings import Settings

    with runtime.installed(runtime.build_runtime(Settings(database_url=sqlite_url))) as rt:
        client = create_app(rt.settings, rt).test_client()
        assert client.get("/console/login/wecom").status_code == 404
        assert client.get("/console/login/line").status_code == 404


# ---------------------------------------------------------------- the doors in chat


def _buttons(web: Stack) -> list[dict]:
    cards = [m["template_card"] for m in web.wecom_sends if m.get("msgtype") == "template_card"]
    return [b for card in cards for b in card["button_list"]]


def test_the_digest_card_has_a_button_that_opens_the_wecom_login(web: Stack) -> None:
    with web.rt.transaction() as db:
        from storage.leads import add_assigned_lead
        from storage.people import find_user

        lead = add_assigned_lead(
            db,
            find_user(db, "wecom:zhangwei"),  # type: ignore[arg-type]
            company="杭州华力机械",
            contact_name=None,
            phone=None,
            now=datetime.fromisoformat(NOW),
            rules=web.rt.rules,
        )
        lead.next_follow_up_at = datetime.fromisoformat("2026-11-25T15:00:00+08:00")
    periodic.digest(NOW)
    web.work()
    links = [(b["text"], b["url"]) for b in _buttons(web) if b["type"] == 1]
    assert links == [("看板", "http://127.0.0.1:8000/console/login/wecom")]


def test_the_console_command_answers_with_a_one_time_link(web: Stack) -> None:
    assert web.wecom_text("msg-console-1", "看板", user="wangjl").status_code == 200
    web.work()
    (reply,) = [m for m in web.wecom_sends if m.get("msgtype") == "template_card"]
    (button,) = reply["template_card"]["button_list"]
    assert button["type"] == 1 and button["url"].startswith("http://127.0.0.1:8000/console/enter/")
    path = button["url"].removeprefix("http://127.0.0.1:8000")
    assert web.client.get(path).status_code == 302
    assert web.client.get("/console/").status_code == 200


def test_an_alert_card_has_the_console_button_beside_its_actions(web: Stack) -> None:
    with web.rt.transaction() as db:
        from storage.leads import add_assigned_lead
        from storage.people import find_user

        add_assigned_lead(
            db,
            find_user(db, "wecom:zhangwei"),  # type: ignore[arg-type]
            company="上海申通包装",
            contact_name=None,
            phone=None,
            now=datetime.fromisoformat("2026-11-10T10:00:00+08:00"),
            rules=web.rt.rules,
        )
    periodic.escalate(NOW)
    web.work()
    kinds = [(b["type"], b["text"]) for b in _buttons(web)]
    assert (0, "我来跟进") in kinds and kinds[-1] == (1, "看板")
