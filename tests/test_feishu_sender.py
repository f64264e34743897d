"""Outbound Feishu against the fake API: app messages and card patches through lark-oapi's real client,
error classes, the shared token, per-target rate limits, and custom group bots."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import fakeredis
import pytest

from bot import runtime
from bot.cards import Button, Card, Field
from bot.platforms.base import Sender, SendError
from bot.platforms.feishu import feishu_senders
from bot.platforms.feishu_client import FeishuSpeechRecognizer
from bot.platforms.feishu_hook import webhook_sign
from bot.speech import SpeechError
from config.settings import FeishuSettings, Settings
from storage.people import add_group_target, add_team, add_user
from tests.fake_feishu import APP_ID, APP_SECRET, ENCRYPT_KEY, VERIFICATION_TOKEN, FakeFeishu, serve

REP = "feishu:ou_84aad35d084aa403a838cf73ee18467"
LOGGED = Card(
    title="已记录：杭州华力机械",
    fields=(Field("客户", "杭州华力机械（新线索 #1）"), Field("标签", "价格敏感、需要样机")),
    buttons=(Button("撤销", "undo", {"activity_id": 1}, style="danger"),),
    level="success",
)
MESSAGES = "/open-apis/im/v1/messages"


@pytest.fixture
def fake() -> Iterator[FakeFeishu]:
    yield from serve()


def settings(fake: FakeFeishu, database_url: str = "sqlite://") -> Settings:
    feishu = FeishuSettings(APP_ID, APP_SECRET, VERIFICATION_TOKEN, ENCRYPT_KEY, api_base=fake.url)
    return Settings(database_url=database_url, feishu=feishu)


@pytest.fixture
def senders(fake: FakeFeishu) -> dict[str, Sender]:
    return feishu_senders(settings(fake), fakeredis.FakeRedis())


def test_a_card_is_created_with_the_dedup_key_as_uuid(fake: FakeFeishu, senders: dict[str, Sender]) -> None:
    message_id = senders["feishu"].send(REP, LOGGED, dedup_key="reply:17:0")
    [request] = fake.calls(MESSAGES, "POST")
    assert request.query == {"receive_id_type": ["open_id"]}
    body = request.json
    assert (body["receive_id"], body["msg_type"], body["uuid"]) == (
        "ou_84aad35d084aa403a838cf73ee18467",
        "interactive",
        "reply:17:0",
    )
    assert json.loads(body["content"])["header"]["title"]["content"] == "已记录：杭州华力机械"
    assert message_id == fake.sent["reply:17:0"]


def test_a_plain_text_card_is_sent_as_a_text_message(fake: FakeFeishu, senders: dict[str, Sender]) -> None:
    senders["feishu"].send(REP, Card.text("今天没有到期的跟进。"), dedup_key="k1")
    body = fake.calls(MESSAGES, "POST")[0].json
    assert (body["msg_type"], json.loads(body["content"])) == ("text", {"text": "今天没有到期的跟进。"})


def test_a_group_chat_is_addressed_by_chat_id_on_either_channel(fake: FakeFeishu, senders: dict[str, Sender]) -> None:
    senders["feishu"].send("feishu_chat:oc_a0553eda9014c201e6969b478895c230", LOGGED, dedup_key="k1")
    senders["feishu_chat"].send("oc_a0553eda9014c201e6969b478895c230", LOGGED, dedup_key="k2")
    targets = [(r.query["receive_id_type"], r.json["receive_id"]) for r in fake.calls(MESSAGES, "POST")]
    assert targets == [(["chat_id"], "oc_a0553eda9014c201e6969b478895c230")] * 2


def test_a_long_dedup_key_is_hashed_to_the_50_character_uuid_limit(
    fake: FakeFeishu, senders: dict[str, Sender]
) -> None:
    senders["feishu"].send(REP, LOGGED, dedup_key="leaderboard:team:3:2026-W48:" + "x" * 40)
    assert len(fake.calls(MESSAGES, "POST")[0].json["uuid"]) == 50


def test_an_update_patches_the_sent_card(fake: FakeFeishu, senders: dict[str, Sender]) -> None:
    message_id = senders["feishu"].send(
        REP, Card.text("已撤销。"), dedup_key="k1", update_ref={"message_id": "om_x100b5b5f1a2c3d4e"}
    )
    [request] = fake.calls(r"/open-apis/im/v1/messages/om_\w+", "PATCH")
    assert message_id == "om_x100b5b5f1a2c3d4e"
    assert json.loads(request.json["content"])["body"]["elements"][0]["text"]["content"] == "已撤销。"


def test_an_unknown_recipient_form_is_a_permanent_error(senders: dict[str, Sender]) -> None:
    with pytest.raises(SendError) as failed:
        senders["feishu"].send("wecom:zhangwei", LOGGED, dedup_key="k1")
    assert failed.value.permanent


@pytest.mark.parametrize(("status", "code"), [(502, 0), (400, 99991400), (400, 230020)])
def test_server_errors_and_rate_limits_are_transient(
    fake: FakeFeishu, senders: dict[str, Sender], status: int, code: int
) -> None:
    fake.fail(MESSAGES, status=status, code=code)
    with pytest.raises(SendError) as failed:
        senders["feishu"].send(REP, LOGGED, dedup_key="k1")
    assert not failed.value.permanent


def test_a_rejected_message_is_a_permanent_error(fake: FakeFeishu, senders: dict[str, Sender]) -> None:
    fake.fail(MESSAGES, status=400, code=230002)  # the bot is not in the chat
    with pytest.raises(SendError) as failed:
        senders["feishu"].send(REP, LOGGED, dedup_key="k1")
    assert failed.value.permanent
    assert "230002" in str(failed.value)


def test_a_revoked_token_is_replaced_and_the_send_succeeds(fake: FakeFeishu, senders: dict[str, Sender]) -> None:
    senders["feishu"].send(REP, LOGGED, dedup_key="k1")
    fake.revoke_tokens()
    senders["feishu"].send(REP, LOGGED, dedup_key="k2")
    assert len(fake.calls("/open-apis/auth/v3/tenant_access_token/internal")) == 2
    assert len(fake.messages) == 3  # k1, k2 refused with the old token, k2 again


def test_processes_sharing_redis_share_one_token(fake: FakeFeishu) -> None:
    connection = fakeredis.FakeRedis()
    for n in range(3):
        feishu_senders(settings(fake), connection)["feishu"].send(REP, LOGGED, dedup_key=f"k{n}")
    assert len(fake.calls("/open-apis/auth/v3/tenant_access_token/internal")) == 1


def test_a_sixth_message_within_a_second_to_one_person_waits_for_the_outbox_retry(
    fake: FakeFeishu, senders: dict[str, Sender]
) -> None:
    for n in range(5):
        senders["feishu"].send(REP, Card.text(f"第{n + 1}条"), dedup_key=f"k{n}")
    with pytest.raises(SendError) as throttled:
        senders["feishu"].send(REP, Card.text("第6条"), dedup_key="k5")
    senders["feishu"].send("feishu:ou_someone_else", Card.text("别人不受影响"), dedup_key="other")
    assert (throttled.value.permanent, throttled.value.retry_after) == (False, 1)
    assert len(fake.calls(MESSAGES, "POST")) == 6


def test_a_speech_service_outage_is_a_transient_speech_error(fake: FakeFeishu) -> None:
    fake.fail("/open-apis/speech_to_text/v1/speech/file_recognize", status=503)
    recognizer = FeishuSpeechRecognizer(settings(fake).feishu)
    with pytest.raises(SpeechError) as failed:
        recognizer.transcribe(b"\x00\x01" * 16000)
    assert failed.value.transient


def test_speech_on_an_edition_without_it_is_a_permanent_speech_error(fake: FakeFeishu) -> None:
    fake.fail("/open-apis/speech_to_text/v1/speech/file_recognize", status=400, code=99991672)
    recognizer = FeishuSpeechRecognizer(settings(fake).feishu)
    with pytest.raises(SpeechError) as failed:
        recognizer.transcribe(b"\x00\x01" * 16000)
    assert not failed.value.transient


# ---------------------------------------------------------------- custom group bots


def test_the_custom_bot_signature_matches_the_documented_example() -> None:
    assert webhook_sign(1599360473, "demo-secret") == "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s="


@pytest.fixture
def rt(db_url: str, fake: FakeFeishu) -> Iterator[runtime.Runtime]:
    with runtime.installed(runtime.build_runtime(settings(fake, db_url))) as built:
        yield built


def hook_target(rt: runtime.Runtime, fake: FakeFeishu, secret: str | None) -> str:
    url = f"{fake.url}/open-apis/bot/v2/hook/2f1c9d6e-8b7a-4c3d-9e0f-1a2b3c4d5e6f"
    now = datetime.now(UTC)
    with rt.transaction() as s:
        manager = "feishu:ou_f00dcafe0000000000000000000000aa"
        add_user(s, manager, name="陈经理", role="manager", team=None, now=now)
        add_team(s, "华东一组", manager_key=manager, now=now)
        add_group_target(s, "华东一组", channel="feishu_webhook", address=url, secret=secret, now=now)
    return url


def test_a_group_bot_post_is_signed_with_the_targets_secret(rt: runtime.Runtime, fake: FakeFeishu) -> None:
    url = hook_target(rt, fake, "SEC6a1f0c3b9e")
    fake.hook_secrets["2f1c9d6e-8b7a-4c3d-9e0f-1a2b3c4d5e6f"] = "SEC6a1f0c3b9e"
    rt.senders["feishu_webhook"].send(
        url, LOGGED, dedup_key="leaderboard:team:1:2026-W48", update_ref={"secret": "SEC6a1f0c3b9e"}
    )
    [request] = fake.calls(r"/open-apis/bot/v2/hook/[\w-]+")
    body = request.json
    assert body["sign"] == webhook_sign(int(body["timestamp"]), "SEC6a1f0c3b9e")
    assert body["msg_type"] == "interactive"
    assert [e["tag"] for e in body["card"]["body"]["elements"]] == ["div"]  # no buttons: custom bots get no clicks


def test_a_group_bot_that_rejects_the_signature_is_a_permanent_error(rt: runtime.Runtime, fake: FakeFeishu) -> None:
    url = hook_target(rt, fake, "old-secret")
    fake.hook_secrets["2f1c9d6e-8b7a-4c3d-9e0f-1a2b3c4d5e6f"] = "rotated-secret"
    with pytest.raises(SendError) as failed:
        rt.senders["feishu_webhook"].send(
            url, Card.text("本周CRM之星"), dedup_key="k1", update_ref={"secret": "old-secret"}
        )
    assert failed.value.permanent
    assert "19021" in str(failed.value)


def test_a_group_bot_gets_no_more_than_five_posts_a_second(rt: runtime.Runtime, fake: FakeFeishu) -> None:
    url = hook_target(rt, fake, None)
    for n in range(5):
        rt.senders["feishu_webhook"].send(url, Card.text(f"第{n + 1}条"), dedup_key=f"k{n}")
    with pytest.raises(SendError) as throttled:
        rt.senders["feishu_webhook"].send(url, Card.text("第6条"), dedup_key="k5")
    assert (throttled.value.permanent, throttled.value.retry_after) == (False, 1)
    assert len(fake.calls(r"/open-apis/bot/v2/hook/[\w-]+")) == 5
