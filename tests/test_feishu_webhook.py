"""POST /feishu/events end to end: encrypted, signed official-format events in; rows, replies at the fake
Feishu API and callback answers out. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot import runtime
from bot.app import create_app
from bot.platforms.feishu_events import EVENT_HANDLERS, IGNORED_EVENTS, EventVerifier
from config.settings import FeishuSettings, Settings
from storage.models import Activity, InboundEvent, Lead, OutboxMessage, User
from tests.audio_samples import opus_voice
from tests.fake_feishu import (
    APP_ID,
    APP_SECRET,
    ENCRYPT_KEY,
    FIXTURES,
    VERIFICATION_TOKEN,
    FakeFeishu,
    event_request,
    fixture,
    serve,
    signature,
)

REP = "ou_84aad35d084aa403a838cf73ee18467"


@pytest.fixture
def fake() -> Iterator[FakeFeishu]:
    yield from serve()


@pytest.fixture
def rt(db_url: str, fake: FakeFeishu) -> Iterator[runtime.Runtime]:
    feishu = FeishuSettings(APP_ID, APP_SECRET, VERIFICATION_TOKEN, ENCRYPT_KEY, api_base=fake.url)
    with runtime.installed(runtime.build_runtime(Settings(database_url=db_url, feishu=feishu))) as built:
        yield built


@pytest.fixture
def client(rt: runtime.Runtime) -> FlaskClient:
    return create_app(rt.settings, rt).test_client()


def post(client: FlaskClient, payload: dict[str, Any], **signing: str) -> Any:
    body, headers = event_request(payload, **signing)
    return client.post("/feishu/events", data=body, headers=headers)


def count(rt: runtime.Runtime, model: type) -> int:
    with rt.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def sent_texts(fake: FakeFeishu) -> list[tuple[str, str, dict[str, Any]]]:
    """(receive_id_type, receive_id, content) of each message the app sent."""
    return [
        (r.query["receive_id_type"][0], r.json["receive_id"], json.loads(r.json["content"]))
        for r in fake.calls("/open-apis/im/v1/messages", "POST")
    ]


def card_text(card: dict[str, Any]) -> str:
    parts = [card.get("header", {}).get("title", {}).get("content", "")]
    parts += [e["text"]["content"] for e in card["body"]["elements"] if e["tag"] == "div"]
    return "\n".join(p for p in parts if p)


def with_message(name: str, **changes: Any) -> dict[str, Any]:
    payload = fixture(name)
    payload["event"]["message"].update(changes)
    return payload


# ---------------------------------------------------------------- verification


def test_the_official_test_key_vector_decrypts_to_hello_world() -> None:
    verifier = EventVerifier(FeishuSettings(APP_ID, APP_SECRET, VERIFICATION_TOKEN, "test key"))
    assert verifier._decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=") == b"hello world"


def test_the_signature_helper_matches_the_documented_algorithm() -> None:
    body = b'{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}'
    assert signature("1700000000", "abc123", "test key", body) == (
        "69c61fa99760d59824d588297c0036194769fb54331682c9cbcd93e85b9a8aad"
    )


def test_plain_url_verification_is_answered_with_the_challenge(client: FlaskClient) -> None:
    response = client.post("/feishu/events", json=fixture("url_verification__plain"))
    assert (response.status_code, response.get_json()) == (200, {"challenge": "ajls384kdjx98XX"})


def test_encrypted_url_verification_is_answered_without_signature_headers(client: FlaskClient) -> None:
    body, _ = event_request(fixture("url_verification__plain"))
    response = client.post("/feishu/events", data=body, content_type="application/json")
    assert (response.status_code, response.get_json()) == (200, {"challenge": "ajls384kdjx98XX"})


def test_url_verification_with_the_wrong_token_is_forbidden(client: FlaskClient) -> None:
    payload = {**fixture("url_verification__plain"), "token": "not-our-token"}
    response = post(client, payload)
    assert (response.status_code, response.get_json()) == (403, {"error": "wrong verification token"})


def test_a_bad_signature_is_forbidden_and_nothing_is_stored(client: FlaskClient, rt: runtime.Runtime) -> None:
    body, headers = event_request(fixture("im.message.receive_v1__text"))
    headers["X-Lark-Signature"] = signature("1700000000", "8f3c1a", "another key", body)
    response = client.post("/feishu/events", data=body, headers=headers)
    assert (response.status_code, response.get_json()) == (403, {"error": "bad X-Lark-Signature"})
    assert count(rt, InboundEvent) == 0


def test_an_event_without_signature_headers_is_forbidden(client: FlaskClient, rt: runtime.Runtime) -> None:
    body, _ = event_request(fixture("im.message.receive_v1__text"))
    response = client.post("/feishu/events", data=body, content_type="application/json")
    assert (response.status_code, response.get_json()) == (403, {"error": "missing X-Lark-Signature"})
    assert count(rt, InboundEvent) == 0


def test_an_event_with_the_wrong_verification_token_is_forbidden(client: FlaskClient, rt: runtime.Runtime) -> None:
    payload = fixture("im.message.receive_v1__text")
    payload["header"]["token"] = "stolen-encrypt-key-but-not-the-token"
    response = post(client, payload)
    assert (response.status_code, response.get_json()) == (403, {"error": "wrong verification token"})
    assert count(rt, InboundEvent) == 0


def test_an_event_for_another_app_is_forbidden(client: FlaskClient, rt: runtime.Runtime) -> None:
    payload = fixture("im.message.receive_v1__text")
    payload["header"]["app_id"] = "cli_someoneelse0000"
    response = post(client, payload)
    assert (response.status_code, response.get_json()) == (403, {"error": "event for another app"})


def test_a_garbage_body_is_a_bad_request(client: FlaskClient, rt: runtime.Runtime) -> None:
    response = client.post("/feishu/events", data=b"\x00not json{", content_type="application/json")
    assert (response.status_code, response.get_json()) == (400, {"error": "body is not JSON"})
    assert count(rt, InboundEvent) == 0


def test_a_correctly_signed_body_that_does_not_decrypt_is_a_bad_request(client: FlaskClient) -> None:
    body = json.dumps({"encrypt": "bm90IGEgY2lwaGVydGV4dCBhdCBhbGwh"}).encode()
    now = str(int(time.time()))
    headers = {
        "X-Lark-Request-Timestamp": now,
        "X-Lark-Request-Nonce": "n1",
        "X-Lark-Signature": signature(now, "n1", ENCRYPT_KEY, body),
    }
    response = client.post("/feishu/events", data=body, headers=headers, content_type="application/json")
    assert (response.status_code, response.get_json()) == (400, {"error": "cannot decrypt the body"})


def test_a_message_event_missing_its_sender_is_a_bad_request(client: FlaskClient, rt: runtime.Runtime) -> None:
    payload = fixture("im.message.receive_v1__text")
    del payload["event"]["sender"]
    response = post(client, payload)
    assert response.status_code == 400
    assert response.get_json() == {"error": "im.message.receive_v1 without event.message or event.sender"}
    assert count(rt, InboundEvent) == 0


@pytest.mark.parametrize("event_type", IGNORED_EVENTS)
def test_ignored_events_are_acknowledged_and_not_stored(
    client: FlaskClient, rt: runtime.Runtime, event_type: str
) -> None:
    name = next(p.stem for p in FIXTURES.glob(f"{event_type}__*.json"))
    response = post(client, fixture(name))
    assert (response.status_code, response.get_json()) == (200, {"msg": "ignored"})
    assert count(rt, InboundEvent) == 0


def test_an_unknown_event_is_acknowledged_and_not_stored(client: FlaskClient, rt: runtime.Runtime) -> None:
    payload = fixture("im.message.message_read_v1__read")
    payload["header"]["event_type"] = "contact.user_group.created_v3"
    response = post(client, payload)
    assert (response.status_code, response.get_json(), count(rt, InboundEvent)) == (200, {"msg": "ignored"}, 0)


def test_every_handled_and_ignored_event_has_a_fixture_and_every_fixture_is_known() -> None:
    fixtures = {p.stem.split("__")[0] for p in FIXTURES.glob("*.json")}
    assert fixtures == {*EVENT_HANDLERS, *IGNORED_EVENTS, "url_verification"}


# ---------------------------------------------------------------- messages


def test_a_text_message_becomes_a_lead_an_activity_and_a_reply_card(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    fake.users[REP] = "张伟"
    response = post(client, fixture("im.message.receive_v1__text"))
    assert (response.status_code, response.get_json()) == (200, {"msg": "success"})
    rt.queue.drain()
    with rt.transaction() as s:
        lead = s.scalars(select(Lead)).one()
        assert (lead.company, lead.phone) == ("杭州华力机械", "13912345678")
        assert s.scalars(select(User.name)).all() == ["张伟"]
    assert count(rt, Activity) == 1
    [(id_type, receive_id, card)] = sent_texts(fake)
    assert (id_type, receive_id) == ("open_id", REP)
    assert card["header"]["title"]["content"] == "已记录：杭州华力机械"
    assert "标签：价格敏感、需要样机" in card_text(card)


def test_the_stored_event_keeps_the_payload_but_not_the_verification_token(
    client: FlaskClient, rt: runtime.Runtime
) -> None:
    post(client, fixture("im.message.receive_v1__text"))
    with rt.transaction() as s:
        [payload] = s.scalars(select(InboundEvent.payload)).all()
    assert payload["raw"]["header"]["event_type"] == "im.message.receive_v1"
    assert VERIFICATION_TOKEN not in json.dumps(payload)


def test_the_same_message_id_with_a_new_event_id_produces_nothing_more(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    post(client, fixture("im.message.receive_v1__text"))
    rt.queue.drain()
    again = fixture("im.message.receive_v1__text")
    again["header"]["event_id"] = "1c7fe0d2a3b4c5d6e7f8091a2b3c4d5e"
    response = post(client, again)
    rt.queue.drain()
    assert response.status_code == 200
    assert (count(rt, InboundEvent), count(rt, Activity), count(rt, OutboxMessage)) == (1, 1, 1)
    assert len(sent_texts(fake)) == 1


def test_a_rich_text_post_is_read_as_plain_text(client: FlaskClient, rt: runtime.Runtime) -> None:
    post(client, fixture("im.message.receive_v1__post"))
    with rt.transaction() as s:
        event = s.scalars(select(InboundEvent)).one()
        assert (
            event.payload["message"]["text"]
            == "拜访记录\n电话联系宁波东海塑业李经理 13857426612\n要报价，报价单周五前发"
        )


def test_a_group_message_at_the_bot_is_answered_in_the_group_without_the_mention(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    post(client, fixture("im.message.receive_v1__group_at_bot"))
    rt.queue.drain()
    [(id_type, receive_id, card)] = sent_texts(fake)
    assert (id_type, receive_id) == ("chat_id", "oc_a0553eda9014c201e6969b478895c230")
    assert card["header"]["title"]["content"] == "我的线索"


def test_a_group_message_that_mentions_nobody_is_not_stored(client: FlaskClient, rt: runtime.Runtime) -> None:
    payload = with_message("im.message.receive_v1__group_at_bot", content='{"text":"大家下午好"}', mentions=[])
    response = post(client, payload)
    assert (response.status_code, count(rt, InboundEvent)) == (200, 0)


def test_an_image_is_stored_and_answered_as_not_supported_yet(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    post(client, fixture("im.message.receive_v1__image"))
    rt.queue.drain()
    with rt.transaction() as s:
        assert s.scalars(select(InboundEvent.kind)).all() == ["unsupported"]
    [(_, _, content)] = sent_texts(fake)
    assert content == {"text": "暂不支持这种消息类型。请发文字或语音，说说这次跟进的情况。"}


def test_an_audio_message_is_downloaded_transcribed_and_logged(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    fake.resources[("om_dc13264520392913993dd051dba21dcf", "75235e0c-4f92-430a-a99b-8446610223cg")] = opus_voice(2)
    fake.transcripts.append("今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约")
    post(client, fixture("im.message.receive_v1__audio"))
    rt.queue.drain()
    [download] = fake.calls(r"/open-apis/im/v1/messages/om_\w+/resources/[\w-]+")
    assert download.query == {"type": ["file"]}
    [recognize] = fake.calls("/open-apis/speech_to_text/v1/speech/file_recognize")
    assert recognize.json["config"]["format"] == "pcm"
    assert count(rt, Activity) == 1
    [(_, _, card)] = sent_texts(fake)
    assert "🎤 听到：今天拜访杭州华力机械王总" in card_text(card)


def test_audio_longer_than_a_minute_is_recognized_in_pieces(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    fake.resources[("om_dc13264520392913993dd051dba21dcf", "75235e0c-4f92-430a-a99b-8446610223cg")] = opus_voice(70)
    fake.transcripts.extend(["今天拜访杭州华力机械王总，", "下周三再约"])
    post(client, fixture("im.message.receive_v1__audio"))
    rt.queue.drain()
    pieces = fake.calls("/open-apis/speech_to_text/v1/speech/file_recognize")
    assert len(pieces) == 2
    [(_, _, card)] = sent_texts(fake)
    assert "🎤 听到：今天拜访杭州华力机械王总，下周三再约" in card_text(card)


def test_audio_that_cannot_be_downloaded_yet_is_retried_by_the_job(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    fake.resources[("om_dc13264520392913993dd051dba21dcf", "75235e0c-4f92-430a-a99b-8446610223cg")] = opus_voice(1)
    fake.fail(r"/open-apis/im/v1/messages/om_\w+/resources/[\w-]+", status=502)
    post(client, fixture("im.message.receive_v1__audio"))
    rt.queue.drain()
    with rt.transaction() as s:
        assert s.scalars(select(InboundEvent.status)).all() == ["pending"]
    assert sent_texts(fake) == []


# ---------------------------------------------------------------- card clicks


def undo_click(activity_id: int, open_id: str = REP) -> dict[str, Any]:
    payload = fixture("card.action.trigger__undo")
    payload["event"]["action"]["value"]["value"]["activity_id"] = activity_id
    payload["event"]["operator"]["open_id"] = open_id
    return payload


def logged_activity(client: FlaskClient, rt: runtime.Runtime) -> int:
    post(client, fixture("im.message.receive_v1__text"))
    rt.queue.drain()
    with rt.transaction() as s:
        return s.scalars(select(Activity.id)).one()


def test_a_card_click_is_answered_in_the_request_with_a_toast_and_the_updated_card(
    client: FlaskClient, rt: runtime.Runtime
) -> None:
    """Answered in the callback's own response, before any queue runs (Feishu allows 3 s; how fast is
    bench/callback.py's business, not a timed test's)."""
    activity_id = logged_activity(client, rt)
    response = post(client, undo_click(activity_id))
    body = response.get_json()
    assert response.status_code == 200
    assert body["toast"] == {
        "type": "info",
        "content": "已撤销对「杭州华力机械」的上一条记录，这条记录新建的线索也已删除。",
    }
    assert body["card"]["type"] == "raw"
    assert body["card"]["data"]["schema"] == "2.0"
    assert card_text(body["card"]["data"]) == "已撤销对「杭州华力机械」的上一条记录，这条记录新建的线索也已删除。"
    assert (count(rt, Activity), count(rt, Lead)) == (0, 0)


def test_a_tag_button_is_answered_with_the_note_card_offering_to_put_the_tag_back(
    client: FlaskClient, rt: runtime.Runtime
) -> None:
    activity_id = logged_activity(client, rt)
    click = undo_click(activity_id)
    click["event"]["action"]["value"] = {
        "action": "note_tag",
        "value": {"activity_id": activity_id, "tag": "price_sensitive", "on": False},
    }
    card = post(client, click).get_json()["card"]["data"]
    [row] = [e for e in card["body"]["elements"] if e["tag"] == "column_set"]
    buttons = [c["elements"][0] for c in row["columns"]]
    assert [b["text"]["content"] for b in buttons] == ["撤销", "加回 价格敏感", "去掉 需要样机"]
    put_back = {"activity_id": activity_id, "tag": "price_sensitive", "on": True}
    assert buttons[1]["behaviors"] == [{"type": "callback", "value": {"action": "note_tag", "value": put_back}}]
    with rt.transaction() as s:
        assert [t.id for t in s.get(Activity, activity_id).tags] == ["needs_sample"]  # type: ignore[union-attr]


def test_a_repeated_card_callback_does_not_act_twice(client: FlaskClient, rt: runtime.Runtime) -> None:
    activity_id = logged_activity(client, rt)
    post(client, undo_click(activity_id))
    response = post(client, undo_click(activity_id))
    rt.queue.drain()
    assert response.get_json() == {"toast": {"type": "info", "content": "已处理过这次点击"}}
    with rt.transaction() as s:
        assert s.scalars(select(InboundEvent.status).where(InboundEvent.kind == "card_action")).all() == ["done"]


def test_a_click_by_someone_else_is_refused(client: FlaskClient, rt: runtime.Runtime) -> None:
    activity_id = logged_activity(client, rt)
    response = post(client, undo_click(activity_id, open_id="ou_0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f"))
    assert response.get_json()["toast"]["content"] == "只有记录人本人可以撤销这条记录。"
    assert count(rt, Activity) == 1


# ---------------------------------------------------------------- read from the verified JSON, without the SDK


@pytest.mark.parametrize(
    ("where", "value"),
    [("content", 42), ("message_id", 7), ("create_time", "soon"), ("message_type", ["text"])],
)
def test_a_message_field_of_the_wrong_type_is_a_bad_request_logged_without_a_traceback(
    client: FlaskClient, rt: runtime.Runtime, caplog: pytest.LogCaptureFixture, where: str, value: Any
) -> None:
    payload = fixture("im.message.receive_v1__text")
    payload["event"]["message"][where] = value
    response = post(client, payload)
    assert response.status_code == 400
    assert count(rt, InboundEvent) == 0
    assert [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info] == []


def test_a_rich_text_title_that_is_not_text_is_a_bad_request(client: FlaskClient, rt: runtime.Runtime) -> None:
    payload = with_message("im.message.receive_v1__post", content=json.dumps({"title": 7, "content": []}))
    response = post(client, payload)
    assert (response.status_code, response.get_json()) == (
        400,
        {"error": "im.message.receive_v1 has a field of the wrong type"},
    )


def test_a_sender_id_that_is_not_an_object_is_a_bad_request(client: FlaskClient, rt: runtime.Runtime) -> None:
    payload = fixture("im.message.receive_v1__text")
    payload["event"]["sender"]["sender_id"] = "ou_84aad35d084aa403a838cf73ee18467"
    response = post(client, payload)
    assert (response.status_code, response.get_json()) == (400, {"error": "event.sender without sender_id"})


def test_opening_the_chat_with_the_bot_is_stored_once_as_chat_opened(client: FlaskClient, rt: runtime.Runtime) -> None:
    entered = fixture("im.chat.access_event.bot_p2p_chat_entered_v1__entered")
    answers = [post(client, entered).get_json() for _ in range(2)]
    assert answers == [{"msg": "success"}] * 2
    with rt.transaction() as s:
        [event] = s.scalars(select(InboundEvent)).all()
        assert (event.dedup_key, event.kind, event.sender) == (
            "chat_opened:d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9",
            "chat_opened",
            f"feishu:{REP}",
        )


def test_audio_that_can_never_be_downloaded_is_answered_at_once(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    post(client, fixture("im.message.receive_v1__audio"))  # no such resource: code 234003 "File not in msg."
    rt.queue.drain()
    with rt.transaction() as s:
        assert s.scalars(select(InboundEvent.status)).all() == ["done"]
    [(_, _, content)] = sent_texts(fake)
    assert content == {"text": "这条语音没能识别出文字。请直接打字，或用手机输入法的语音转文字后发送。"}


def text_message(text: str, n: int) -> dict[str, Any]:
    payload = fixture("im.message.receive_v1__text")
    payload["header"]["event_id"] = f"{payload['header']['event_id']}-{n}"
    payload["event"]["message"]["message_id"] = f"om_question_{n}"
    payload["event"]["message"]["content"] = json.dumps({"text": text}, ensure_ascii=False)
    return payload


def test_a_note_about_one_of_two_close_customers_is_asked_about_and_the_click_logs_it(
    client: FlaskClient, rt: runtime.Runtime, fake: FakeFeishu
) -> None:
    notes = ("拜访宁波永达注塑俞总 要样机", "拜访杭州永达注塑章总 嫌贵", "拜访无锡瑞丰包装周总 要报价", "永达报价发了")
    for n, text in enumerate(notes, 1):
        post(client, text_message(text, n))
        rt.queue.drain()
    question = sent_texts(fake)[-1][2]
    assert question["header"]["title"]["content"] == "这条记到哪家客户？"
    columns = next(e for e in question["body"]["elements"] if e["tag"] == "column_set")["columns"]
    choice = columns[1]["elements"][0]["behaviors"][0]["value"]
    assert count(rt, Activity) == 3

    click = undo_click(0)
    click["event"]["action"]["value"] = choice
    body = post(client, click).get_json()
    assert body["card"]["data"]["header"]["title"]["content"].startswith("已记录：")
    assert count(rt, Activity) == 4
