"""Sending to WeCom: wechatpy's real client against the fake API, the token shared through a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from bot.cards import Button, Card, Field
from bot.platforms.base import SendError
from bot.platforms.wecom import wecom_senders
from bot.platforms.wecom_client import WecomClient
from bot.platforms.wecom_send import AppSender, RobotSender, decode_button_key, render_markdown, task_id, trim
from config.settings import Settings
from tests.fake_wecom import AGENT_ID, Failure, FakeWecom, running

LOGGED = Card(
    title="已记录：杭州华力机械",
    lines=("🎤 听到：今天拜访杭州华力机械王总",),
    fields=(Field("客户", "杭州华力机械（新线索 #1）"), Field("标签", "价格敏感、需要样机")),
    buttons=(Button("撤销", "undo", {"activity_id": 7}, style="danger"),),
    level="success",
    note="识别有误？10分钟内点「撤销」。",
)


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    yield from running()


@pytest.fixture
def connection(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def sender(fake: FakeWecom, connection: redis.Redis) -> AppSender:
    return AppSender(WecomClient(fake.settings(), connection, timeout=0.5), AGENT_ID, connection)


def test_a_card_with_buttons_is_sent_as_a_button_interaction_template_card(fake: FakeWecom, sender: AppSender) -> None:
    msgid = sender.send("wecom:zhangwei", LOGGED, dedup_key="reply:12:0")
    [call] = fake.calls("message/send")
    assert msgid == "MSGID_2"
    assert call.json == {
        "touser": "zhangwei",
        "toparty": "",
        "totag": "",
        "agentid": AGENT_ID,
        "msgtype": "template_card",
        "template_card": {
            "card_type": "button_interaction",
            "source": {"desc": "销售助手", "desc_color": 3},
            "main_title": {"title": "已记录：杭州华力机械"},
            "task_id": task_id("reply:12:0"),
            "button_list": [{"type": 0, "text": "撤销", "style": 3, "key": 'undo:{"activity_id":7}'}],
            "sub_title_text": "🎤 听到：今天拜访杭州华力机械王总\n识别有误？10分钟内点「撤销」。",
            "horizontal_content_list": [
                {"keyname": "客户", "value": "杭州华力机械（新线索 #1）"},
                {"keyname": "标签", "value": "价格敏感、需要样机"},
            ],
        },
    }


def test_task_ids_are_unique_per_dedup_key_and_use_only_allowed_characters() -> None:
    ids = {task_id(k) for k in ("reply:12:0", "reply:12:1", "reply_12_0", "alert:lead:42:untouched72h")}
    assert len(ids) == 4
    assert all(len(i) <= 128 and i.replace("_", "").replace("-", "").replace("@", "").isalnum() for i in ids)


def test_a_button_key_decodes_back_to_its_action_and_value() -> None:
    assert decode_button_key('reassign:{"lead_id":42,"to":"wecom:lisi"}') == (
        "reassign",
        {"lead_id": 42, "to": "wecom:lisi"},
    )


def test_the_access_token_is_fetched_once_and_shared_through_redis(fake: FakeWecom, connection: redis.Redis) -> None:
    first = AppSender(WecomClient(fake.settings(), connection), AGENT_ID, connection)
    other_process = AppSender(WecomClient(fake.settings(), connection), AGENT_ID, connection)
    first.send("wecom:zhangwei", Card.text("一"), dedup_key="a")
    other_process.send("wecom:zhangwei", Card.text("二"), dedup_key="b")
    assert len(fake.calls("gettoken")) == 1
    assert [c.query["access_token"] for c in fake.calls("message/send")] == ["ACCESS_TOKEN_1"] * 2


def test_an_expired_token_is_refreshed_and_the_send_retried_once(fake: FakeWecom, sender: AppSender) -> None:
    sender.send("wecom:zhangwei", Card.text("一"), dedup_key="a")
    fake.expire_token()
    assert sender.send("wecom:zhangwei", Card.text("二"), dedup_key="b") == "MSGID_4"
    tokens = [c.query["access_token"] for c in fake.calls("message/send")]
    assert tokens == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_1", "ACCESS_TOKEN_3"]
    assert len(fake.calls("gettoken")) == 2


def test_a_token_refused_twice_is_a_transient_failure_not_a_loop(fake: FakeWecom, sender: AppSender) -> None:
    fake.fail("message/send", Failure(errcode=42001), Failure(errcode=42001))
    with pytest.raises(SendError) as failed:
        sender.send("wecom:zhangwei", Card.text("一"), dedup_key="a")
    assert (str(failed.value), failed.value.permanent) == ("WeCom errcode 42001: fake error 42001", False)
    assert len(fake.calls("message/send")) == 2


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (Failure(errcode=45009), "WeCom errcode 45009: fake error 45009"),
        (Failure(errcode=45033), "WeCom errcode 45033: fake error 45033"),
        (Failure(errcode=-1), "WeCom errcode -1: fake error -1"),
        (Failure(status=502), "WeCom API answered HTTP 502"),
        (Failure(drop=True), "WeCom API unreachable: ConnectionError"),
        (Failure(delay=1.0), "WeCom API unreachable: ReadTimeout"),
    ],
)
def test_rate_limits_server_errors_and_timeouts_are_transient(
    fake: FakeWecom, sender: AppSender, failure: Failure, message: str
) -> None:
    fake.fail("message/send", failure)
    with pytest.raises(SendError) as failed:
        sender.send("wecom:zhangwei", Card.text("一"), dedup_key="a")
    assert (str(failed.value), failed.value.permanent) == (message, False)


def test_a_rejected_message_is_a_permanent_failure(fake: FakeWecom, sender: AppSender) -> None:
    fake.fail("message/send", Failure(errcode=40003))
    with pytest.raises(SendError) as failed:
        sender.send("wecom:zhangwei", Card.text("一"), dedup_key="a")
    assert (str(failed.value), failed.value.permanent) == ("WeCom errcode 40003: fake error 40003", True)


def test_a_member_outside_the_apps_visible_range_is_a_permanent_failure(sender: AppSender) -> None:
    with pytest.raises(SendError) as failed:
        sender.send("wecom:wangwu", Card.text("一"), dedup_key="a")
    assert (str(failed.value), failed.value.permanent) == ("wangwu is not in the app's visible range", True)


def test_the_31st_message_in_a_minute_to_one_member_waits_for_the_outbox_retry(
    fake: FakeWecom, sender: AppSender
) -> None:
    for n in range(30):
        sender.send("wecom:zhangwei", Card.text(f"第{n}条"), dedup_key=f"m{n}")
    with pytest.raises(SendError) as throttled:
        sender.send("wecom:zhangwei", Card.text("第31条"), dedup_key="m30")
    sender.send("wecom:lisi", Card.text("别人不受影响"), dedup_key="other")
    assert throttled.value.permanent is False
    assert 0 < throttled.value.retry_after <= 60
    assert len(fake.calls("message/send")) == 31


def test_long_text_is_trimmed_to_2048_bytes_without_cutting_a_character(fake: FakeWecom, sender: AppSender) -> None:
    sender.send("wecom:zhangwei", Card.text("价" * 1000), dedup_key="long")
    content = fake.calls("message/send")[0].json["text"]["content"]
    assert len(content.encode()) == 2046  # 681 characters of 3 bytes and the ellipsis; a 682nd would not fit
    assert content == "价" * 681 + "…"


def test_trimming_never_splits_a_multibyte_character() -> None:
    assert [trim("销售助手", n) for n in (12, 11, 9, 6, 5)] == ["销售助手", "销售…", "销售…", "销…", "…"]


def test_a_card_without_buttons_is_sent_as_markdown(fake: FakeWecom, sender: AppSender) -> None:
    card = Card(title="我的线索（1）", lines=("🔴 杭州华力机械 · 王总",), level="danger", note="🔴=14天未跟进")
    sender.send("wecom:zhangwei", card, dedup_key="list")
    assert fake.calls("message/send")[0].json["markdown"] == {
        "content": '<font color="warning">**我的线索（1）**</font>\n🔴 杭州华力机械 · 王总\n'
        '<font color="comment">🔴=14天未跟进</font>'
    }


def test_a_card_update_whose_code_has_expired_is_sent_as_a_new_message(fake: FakeWecom, sender: AppSender) -> None:
    fake.fail("message/update_template_card", Failure(errcode=40099))
    result = Card.text("已撤销对「杭州华力机械」的上一条记录。")
    sender.send("wecom:zhangwei", result, dedup_key="reply:9:0", update_ref={"response_code": "RC", "task_id": "t"})
    assert len(fake.calls("message/update_template_card")) == 1
    assert fake.calls("message/send")[0].json["text"] == {"content": "已撤销对「杭州华力机械」的上一条记录。"}


def test_the_sender_reads_the_voice_file_by_media_id(fake: FakeWecom, connection: redis.Redis) -> None:
    fake.media["MEDIA"] = b"#!AMR\n\x3c"
    assert WecomClient(fake.settings(), connection).download_media("MEDIA") == b"#!AMR\n\x3c"
    with pytest.raises(SendError) as missing:
        WecomClient(fake.settings(), connection).download_media("GONE")
    assert (str(missing.value), missing.value.permanent) == ("WeCom errcode 40007: invalid media_id", True)


# ---------------------------------------------------------------- group robots


def test_the_robot_sender_posts_markdown_to_the_webhook_url(fake: FakeWecom, connection: redis.Redis) -> None:
    senders = wecom_senders(Settings(wecom=fake.settings()), connection)
    board = Card(title="本周CRM之星", fields=(Field("🥇 张伟", "跟进 23 次"),))
    senders["wecom_webhook"].send(fake.robot_url("693a91f6-7xxx"), board, dedup_key="leaderboard:team:3:2026-W48")
    [call] = fake.calls("webhook/send")
    assert call.query == {"key": "693a91f6-7xxx"}
    assert call.json == {"msgtype": "markdown", "markdown": {"content": "**本周CRM之星**\n🥇 张伟：跟进 23 次"}}


def test_robot_markdown_is_kept_within_4096_bytes() -> None:
    card = Card(title="周报", lines=tuple(f"{n}. 杭州华力机械 跟进 3 次" for n in range(400)), note="数据截至周一 9:00")
    content = render_markdown(card, 4096)
    assert len(content.encode()) <= 4096
    assert content.endswith('…\n<font color="comment">数据截至周一 9:00</font>')


def test_the_21st_message_in_a_minute_to_one_robot_waits(fake: FakeWecom, connection: redis.Redis) -> None:
    robot = RobotSender(connection)
    for n in range(20):
        robot.send(fake.robot_url("k1"), Card.text(f"{n}"), dedup_key=f"r{n}")
    with pytest.raises(SendError) as throttled:
        robot.send(fake.robot_url("k1"), Card.text("20"), dedup_key="r20")
    assert throttled.value.permanent is False
    assert len(fake.calls("webhook/send")) == 20


@pytest.mark.parametrize(("failure", "permanent"), [(Failure(errcode=45009), False), (Failure(errcode=93000), True)])
def test_robot_errors_are_sorted_into_transient_and_permanent(
    fake: FakeWecom, connection: redis.Redis, failure: Failure, permanent: bool
) -> None:
    fake.fail("webhook/send", failure)
    with pytest.raises(SendError) as failed:
        RobotSender(connection).send(fake.robot_url("k1"), Card.text("hi"), dedup_key="r")
    assert failed.value.permanent is permanent
