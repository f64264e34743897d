"""GET|POST /wecom/callback on SQLite and PostgreSQL: verification, refusals, and each message type end to end.

Callbacks are the plaintext fixtures in tests/fixtures/wecom/, encrypted and signed at request time with the
official test vector's token, key and corp id; replies are observed at the fake WeCom API.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot import runtime
from bot.app import create_app
from bot.platforms.wecom_callback import EVENT_PARSERS, IGNORED_EVENTS, Envelope
from config.settings import AsrSettings, Settings
from storage.models import Activity, InboundEvent, Lead, OutboxMessage, User
from tests.audio_samples import amr_voice
from tests.fake_asr import FakeSpeech
from tests.fake_wecom import FIXTURES, Callbacks, FakeWecom, fixture, running

NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"
MEDIA_ID = "1J03FqvqN_jWX6xe8F-VJr7QHVbPxcS1qWiJOUoSDfaTCj06ep5KrQkgTYGl7ZnRy"


@dataclass
class App:
    rt: runtime.Runtime
    client: FlaskClient
    fake: FakeWecom
    callbacks: Callbacks

    def post(self, name: str, **changes: str) -> tuple[int, str]:
        signed = self.callbacks.sign(fixture(name, **changes))
        response = self.client.post(signed.path, data=signed.body, content_type="text/xml")
        return response.status_code, response.get_data(as_text=True)

    def count(self, model: type) -> int:
        with self.rt.transaction() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0

    def events(self) -> list[tuple[str, str, str, str]]:
        with self.rt.transaction() as s:
            rows = s.scalars(select(InboundEvent).order_by(InboundEvent.id))
            return [(e.platform, e.dedup_key, e.kind, e.sender) for e in rows]

    def sent(self) -> list[dict]:
        return [r.json for r in self.fake.calls("message/send")]


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    yield from running()


@pytest.fixture
def speech() -> Iterator[FakeSpeech]:
    server = FakeSpeech(text=NOTE).start()
    yield server
    server.stop()


@pytest.fixture
def app(db_url: str, fake: FakeWecom, speech: FakeSpeech) -> Iterator[App]:
    settings = Settings(database_url=db_url, wecom=fake.settings(), asr=AsrSettings(url=speech.url))
    with runtime.installed(runtime.build_runtime(settings)) as rt:
        yield App(rt, create_app(settings, rt).test_client(), fake, Callbacks())


# ---------------------------------------------------------------- the official vector (platforms.md §1.4)

OFFICIAL_GET = (
    "/wecom/callback?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780"
    "&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
)
OFFICIAL_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvu"
    "JTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+Ltw"
    "Gc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2"
    "t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDA"
    "Ve0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)


def test_the_official_url_verification_vector_is_answered_with_the_plain_echo(app: App) -> None:
    response = app.client.get(OFFICIAL_GET)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "1616140317555161061")
    assert response.mimetype == "text/plain"


def test_the_official_message_vector_decrypts_to_its_documented_fields(fake: FakeWecom) -> None:
    body = (
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>"
        f"<Encrypt><![CDATA[{OFFICIAL_ENCRYPT}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
    ).encode()
    fields = Envelope(fake.settings()).open(
        body, "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"
    )
    assert fields == {
        "ToUserName": "wx5823bf96d3bd56c7",
        "FromUserName": "mycreate",
        "CreateTime": "1409659813",
        "MsgType": "text",
        "Content": "hello",
        "MsgId": "4561255354251345929",
        "AgentID": "218",
    }


def test_a_url_verification_with_a_forged_signature_is_refused(app: App) -> None:
    response = app.client.get(OFFICIAL_GET.replace("5c45ff5e", "5c45ff5f"))
    assert (response.status_code, response.json) == (403, {"error": "bad msg_signature"})


# ---------------------------------------------------------------- messages end to end


def test_a_text_note_becomes_a_lead_an_activity_and_a_card_sent_to_the_rep(app: App) -> None:
    assert app.post("text__plain") == (200, "")
    assert app.events() == [("wecom", "7441256903418734592", "text", "wecom:zhangwei")]
    assert app.fake.calls("message/send") == []  # nothing happens inside the request

    app.rt.queue.drain()
    with app.rt.transaction() as s:
        lead = s.scalars(select(Lead)).one()
        activity = s.scalars(select(Activity)).one()
        rep = s.scalars(select(User)).one()
        assert (lead.company, lead.phone, activity.text, rep.name) == ("杭州华力机械", "13912345678", NOTE, "张伟")
    [sent] = app.sent()
    card = sent["template_card"]
    assert (sent["touser"], sent["agentid"], sent["msgtype"]) == ("zhangwei", 218, "template_card")
    assert card["main_title"] == {"title": "已记录：杭州华力机械"}
    tag_off = 'note_tag:{{"activity_id":{},"on":false,"tag":"{}"}}'
    assert card["button_list"] == [
        {"type": 0, "text": "撤销", "style": 3, "key": f'undo:{{"activity_id":{activity.id}}}'},
        {"type": 0, "text": "去掉 价格敏感", "style": 2, "key": tag_off.format(activity.id, "price_sensitive")},
        {"type": 0, "text": "去掉 需要样机", "style": 2, "key": tag_off.format(activity.id, "needs_sample")},
    ]
    assert {"keyname": "标签", "value": "价格敏感、需要样机"} in card["horizontal_content_list"]


def test_three_deliveries_of_the_same_msgid_give_one_activity_and_one_reply(app: App) -> None:
    answers = [app.post("text__plain") for _ in range(3)]
    app.rt.queue.drain()
    assert answers == [(200, "")] * 3
    assert (app.count(InboundEvent), app.count(Activity), len(app.sent())) == (1, 1, 1)


def test_a_voice_note_is_downloaded_transcribed_and_answered_with_what_was_heard(app: App, speech: FakeSpeech) -> None:
    app.fake.media[MEDIA_ID] = amr_voice(1.5)
    assert app.post("voice__amr") == (200, "")
    assert app.events() == [("wecom", "7441256903418734593", "voice", "wecom:zhangwei")]

    app.rt.queue.drain()
    [download] = app.fake.calls("media/get")
    [sent] = app.sent()
    assert download.query["media_id"] == MEDIA_ID
    assert speech.uploads[0].file[:4] == b"RIFF"
    assert sent["template_card"]["sub_title_text"].startswith(f"🎤 听到：{NOTE}\n")
    assert app.count(Activity) == 1


def test_a_voice_note_that_can_never_be_downloaded_is_answered_at_once(app: App) -> None:
    assert app.post("voice__amr") == (200, "")  # not in the fake's media: errcode 40007 invalid media_id
    app.rt.queue.drain()
    with app.rt.transaction() as s:
        assert s.scalars(select(InboundEvent.status)).all() == ["done"]
    assert [s["text"]["content"] for s in app.sent()] == [
        "这条语音没能识别出文字。请直接打字，或用手机输入法的语音转文字后发送。"
    ]


def test_a_voice_note_without_a_speech_provider_gets_a_polite_request_to_type(db_url: str, fake: FakeWecom) -> None:
    settings = Settings(database_url=db_url, wecom=fake.settings())
    with runtime.installed(runtime.build_runtime(settings)) as rt:
        app = App(rt, create_app(settings, rt).test_client(), fake, Callbacks())
        assert app.post("voice__amr") == (200, "")
        rt.queue.drain()
        assert fake.calls("media/get") == []
        assert [s["text"]["content"] for s in app.sent()] == [
            "这条语音没能识别出文字。请直接打字，或用手机输入法的语音转文字后发送。"
        ]


def test_each_entry_into_the_app_is_stored_as_chat_opened_under_wecoms_event_key(app: App) -> None:
    """Whether to greet is the conversation's decision (once a day); the platform reports every entry once."""
    first = app.post("event__enter_agent")
    repeat = app.post("event__enter_agent")
    later = app.post("event__enter_agent", CreateTime="1764061200")
    assert (first, repeat, later) == ((200, ""), (200, ""), (200, ""))
    assert app.events() == [
        ("wecom", "zhangwei:1764057600:enter_agent:", "chat_opened", "wecom:zhangwei"),
        ("wecom", "zhangwei:1764061200:enter_agent:", "chat_opened", "wecom:zhangwei"),
    ]


def test_subscribing_to_the_app_is_stored_like_entering_it(app: App) -> None:
    assert app.post("event__subscribe") == (200, "")
    [(platform, _, kind, sender)] = app.events()
    assert (platform, kind, sender) == ("wecom", "chat_opened", "wecom:lisi")


def test_a_card_click_runs_the_action_and_updates_the_clicked_card(app: App) -> None:
    app.post("text__plain")
    app.rt.queue.drain()
    with app.rt.transaction() as s:
        activity_id = s.scalars(select(Activity.id)).one()

    assert app.post("event__template_card_event", EventKey=f'undo:{{"activity_id":{activity_id}}}') == (200, "")
    assert app.events()[1] == (
        "wecom",
        f'zhangwei:1764057720:template_card_event:undo:{{"activity_id":{activity_id}}}',
        "card_action",
        "wecom:zhangwei",
    )
    app.rt.queue.drain()
    [update] = [r.json for r in app.fake.calls("message/update_template_card")]
    assert (update["userids"], update["agentid"], update["response_code"]) == (
        ["zhangwei"],
        218,
        "RESPONSE_CODE_kR2xVNgUIVbDq0Jv7s8q",
    )
    assert (
        update["template_card"]["main_title"]["title"]
        == "已撤销对「杭州华力机械」的上一条记录，这条记录新建的线索也已删除。"
    )
    assert update["template_card"]["task_id"] == "reply_1_0-4d0b2c7e1f3a9b58"
    assert update["template_card"]["replace_text"] == "已处理"
    assert (app.count(Activity), app.count(Lead), len(app.sent())) == (0, 0, 1)


def test_a_click_on_a_button_we_did_not_make_is_answered_as_expired_and_leaves_the_card(app: App) -> None:
    assert app.post("event__template_card_event", EventKey="key111") == (200, "")
    app.rt.queue.drain()
    assert app.fake.calls("message/update_template_card") == []
    [sent] = [r.json for r in app.fake.calls("message/send")]
    assert sent["text"]["content"] == "这个按钮已失效，请重新发送指令。"


def test_an_unsupported_message_type_is_stored_and_answered_politely(app: App) -> None:
    assert app.post("image__photo") == (200, "")
    app.rt.queue.drain()
    assert app.events() == [("wecom", "7441256903418734594", "unsupported", "wecom:zhangwei")]
    assert [s["text"]["content"] for s in app.sent()] == ["暂不支持这种消息类型。请发文字或语音，说说这次跟进的情况。"]


@pytest.mark.parametrize(
    ("name", "changes"),
    [("event__LOCATION", {}), ("event__unsubscribe", {}), ("event__LOCATION", {"Event": "scancode_push"})],
)
def test_background_and_unknown_events_are_acknowledged_and_not_stored(
    app: App, name: str, changes: dict[str, str]
) -> None:
    assert app.post(name, **changes) == (200, "")
    app.rt.queue.drain()
    assert (app.count(InboundEvent), app.count(OutboxMessage)) == (0, 0)


# ---------------------------------------------------------------- refusals: 4xx, a log line, nothing stored


def refused(app: App, response_status: int, reason: str, caplog: pytest.LogCaptureFixture, status: int) -> None:
    assert response_status == status
    assert any(reason in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert app.count(InboundEvent) == 0


def test_a_forged_signature_is_refused_and_nothing_stored(app: App, caplog: pytest.LogCaptureFixture) -> None:
    signed = app.callbacks.sign(fixture("text__plain"))
    query = {**signed.query, "msg_signature": "0" * 40}
    response = app.client.post("/wecom/callback", query_string=query, data=signed.body)
    assert response.json == {"error": "bad msg_signature"}
    refused(app, response.status_code, "bad msg_signature", caplog, 403)


def test_a_message_encrypted_for_another_corp_is_refused(app: App, caplog: pytest.LogCaptureFixture) -> None:
    other = Callbacks(corp_id="ww0000000000000001")
    signed = other.sign(fixture("text__plain"))
    response = app.client.post(signed.path, data=signed.body)
    assert response.json == {"error": "encrypted for another corp id"}
    refused(app, response.status_code, "another corp id", caplog, 403)


def test_a_message_for_another_agent_is_refused(app: App, caplog: pytest.LogCaptureFixture) -> None:
    status, _ = app.post("text__plain", AgentID="1000002")
    refused(app, status, "another agent id", caplog, 403)


def test_a_stale_timestamp_is_refused(app: App, caplog: pytest.LogCaptureFixture) -> None:
    signed = app.callbacks.sign(fixture("text__plain"), timestamp=int(time.time()) - 301)
    response = app.client.post(signed.path, data=signed.body)
    refused(app, response.status_code, "timestamp more than 300s away", caplog, 403)


def test_a_body_over_64_kib_is_refused_before_it_is_read(app: App) -> None:
    signed = app.callbacks.sign(fixture("text__plain", Content="嫌贵" * 11000))
    response = app.client.post(signed.path, data=signed.body)
    assert response.status_code == 413
    assert app.count(InboundEvent) == 0


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    "<xml><Encrypt>&d;</Encrypt></xml>"
)


def test_an_xml_bomb_in_the_envelope_is_refused(app: App, caplog: pytest.LogCaptureFixture) -> None:
    signed = app.callbacks.sign(fixture("text__plain"))
    response = app.client.post(signed.path, data=BOMB)
    refused(app, response.status_code, "not acceptable XML (DTDForbidden)", caplog, 400)


def test_an_xml_bomb_inside_a_correctly_signed_message_is_refused(app: App, caplog: pytest.LogCaptureFixture) -> None:
    signed = app.callbacks.sign(BOMB)
    response = app.client.post(signed.path, data=signed.body)
    refused(app, response.status_code, "not acceptable XML (DTDForbidden)", caplog, 400)


def test_a_body_that_is_not_xml_is_refused(app: App, caplog: pytest.LogCaptureFixture) -> None:
    signed = app.callbacks.sign(fixture("text__plain"))
    response = app.client.post(signed.path, data=b'{"encrypt": "json is for the AI bot"}')
    refused(app, response.status_code, "not acceptable XML (ParseError)", caplog, 400)


def test_a_post_without_signature_parameters_is_refused(app: App, caplog: pytest.LogCaptureFixture) -> None:
    response = app.client.post("/wecom/callback", data=fixture("text__plain"))
    refused(app, response.status_code, "msg_signature, timestamp and nonce are required", caplog, 403)


# ---------------------------------------------------------------- the registry is covered by fixtures


def test_every_parsed_or_ignored_event_has_a_fixture_and_every_fixture_is_used() -> None:
    files = {p.stem for p in FIXTURES.glob("*.xml")}
    for name in [*EVENT_PARSERS, *IGNORED_EVENTS]:
        kind, _, event = name.partition(":")
        stem = f"event__{event}" if kind == "event" else kind
        assert any(f == stem or f.startswith(f"{stem}__") for f in files), f"no fixture for {name}"
    sources = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_wecom_*.py"))
    assert [f for f in sorted(files) if f'"{f}"' not in sources] == []


def test_a_note_about_one_of_two_close_customers_is_asked_about_and_the_click_logs_it(app: App) -> None:
    notes = ("拜访宁波永达注塑俞总 要样机", "拜访杭州永达注塑章总 嫌贵", "拜访无锡瑞丰包装周总 要报价", "永达报价发了")
    for n, text in enumerate(notes, 1):
        app.post("text__plain", Content=text, MsgId=f"90000000000000000{n}")
        app.rt.queue.drain()
    question = app.sent()[-1]["template_card"]
    assert question["main_title"] == {"title": "这条记到哪家客户？"}
    assert [b["text"][:2] for b in question["button_list"]] == ["1.", "2.", "新客"]
    assert app.count(Activity) == 3

    assert app.post("event__template_card_event", EventKey=question["button_list"][1]["key"]) == (200, "")
    app.rt.queue.drain()
    [update] = [r.json for r in app.fake.calls("message/update_template_card")]
    assert update["template_card"]["main_title"]["title"].startswith("已记录：")
    assert app.count(Activity) == 4
