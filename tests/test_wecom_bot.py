"""The WeCom AI bot in long-connection mode: the real `wecom-aibot-python-sdk` client, kept by a Keeper,
against a fake of WeCom's wss server speaking its JSON frames (tests/fake_wecom_ws.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import runtime
from bot.app import create_app
from bot.cards import Card
from bot.longconn import Backoff, Keeper, start_keepers, stop_keepers
from bot.platforms.base import SendError
from bot.platforms.wecom_bot import BotSender
from bot.platforms.wecom_bot_link import SPOOL, WecomBotLink
from bot.spool import Spool
from config.settings import Settings, WecomBotSettings
from storage.models import Activity, Identity, InboundEvent
from tests.fake_wecom_ws import BOT_ID, BOT_SECRET, FakeWecomWs, fixture, serve_fake
from tests.stack import database_at, unreachable_database
from tests.waiting import wait_until

FAST = Backoff(base=0.05, cap=0.2)
NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"


@pytest.fixture
def ws() -> Iterator[FakeWecomWs]:
    for server in serve_fake():
        server.trust()
        yield server


def bot_settings(ws: FakeWecomWs, secret: str = BOT_SECRET) -> WecomBotSettings:
    return WecomBotSettings(BOT_ID, secret, ws_url=ws.url)


@pytest.fixture
def rt(db_url: str, ws: FakeWecomWs, tmp_path: Path) -> Iterator[runtime.Runtime]:
    settings = Settings(database_url=db_url, wecom_bot=bot_settings(ws), data_dir=tmp_path)
    with runtime.installed(runtime.build_runtime(settings)) as built:
        yield built


@contextmanager
def kept_link(rt: runtime.Runtime, ws: FakeWecomWs, link: WecomBotLink) -> Iterator[Keeper]:
    kept = Keeper(link, rt.queue.connection, backoff=FAST).start()
    try:
        wait_until(lambda: ws.subscribed and json_state(rt)["state"] == "connected", "the bot subscribed")
        yield kept
    finally:
        kept.stop()


@pytest.fixture
def keeper(rt: runtime.Runtime, ws: FakeWecomWs) -> Iterator[Keeper]:
    with kept_link(rt, ws, WecomBotLink(rt)) as kept:
        yield kept


def json_state(rt: runtime.Runtime) -> dict[str, Any]:
    return create_app(rt.settings, rt).test_client().get("/healthz").get_json()["connections"]["wecom"]


def stored(rt: runtime.Runtime) -> list[tuple[str, str, str]]:
    with rt.transaction() as s:
        rows = s.execute(
            select(InboundEvent.dedup_key, InboundEvent.kind, InboundEvent.sender).order_by(InboundEvent.id)
        )
        return [tuple(row) for row in rows]


def count(rt: runtime.Runtime, model: type) -> int:
    with rt.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def text_frame(msgid: str, text: str = NOTE, user: str = "zhangwei") -> dict[str, Any]:
    return fixture("aibot_msg_callback__text", msgid=msgid, text={"content": text}, **{"from": {"userid": user}})


def test_a_note_is_stored_under_the_wecom_identity_and_answered_over_the_connection(
    rt: runtime.Runtime, ws: FakeWecomWs, keeper: Keeper
) -> None:
    ws.push(text_frame("msg-1"))
    wait_until(lambda: stored(rt), "the stored message")
    assert stored(rt) == [("msg-1", "text", "wecom:zhangwei")]  # the same person as through the app
    rt.queue.drain()
    [sent] = ws.sends
    assert sent["chatid"] == "zhangwei" and sent["msgtype"] == "template_card"
    assert "杭州华力机械" in json.dumps(sent, ensure_ascii=False)
    with rt.transaction() as s:
        assert s.execute(select(Identity.platform, Identity.external_id)).all() == [("wecom", "zhangwei")]


def test_voice_arrives_as_text_and_is_logged_as_said(rt: runtime.Runtime, ws: FakeWecomWs, keeper: Keeper) -> None:
    ws.push(fixture("aibot_msg_callback__voice"))
    wait_until(lambda: stored(rt), "the stored message")
    rt.queue.drain()
    with rt.transaction() as s:
        assert s.scalars(select(Activity.text)).all() == ["今天拜访杭州华力机械王总，下周三再约"]


def test_a_card_click_updates_the_clicked_card_through_the_click_s_req_id(
    rt: runtime.Runtime, ws: FakeWecomWs, keeper: Keeper
) -> None:
    ws.push(text_frame("msg-1"))
    wait_until(lambda: stored(rt), "the stored message")
    rt.queue.drain()
    with rt.transaction() as s:
        activity_id = s.scalars(select(Activity.id)).one()
    click = fixture("aibot_event_callback__template_card_event")
    click["body"]["event"]["template_card_event"]["event_key"] = f'undo:{{"activity_id":{activity_id}}}'
    ws.push(click)
    [update] = wait_until(lambda: ws.updates, "the card update")
    assert update["headers"]["req_id"] == "REQID_CLICK_1"
    card = update["body"]["template_card"]
    assert card["task_id"] == "TASKID" and card["replace_text"] == "已处理"
    assert card["main_title"]["title"] == "已撤销对「杭州华力机械」的上一条记录，这条记录新建的线索也已删除。"
    assert count(rt, Activity) == 0


def test_a_dropped_connection_comes_back_and_what_waited_is_stored_and_answered_once(
    rt: runtime.Runtime, ws: FakeWecomWs, keeper: Keeper
) -> None:
    ws.push(text_frame("msg-1"))
    wait_until(lambda: stored(rt), "the first message")
    ws.drop()
    for n in (2, 3):
        ws.push(text_frame(f"msg-{n}", text=f"今天拜访客户{n}号公司 张总 要报价"))
    ws.push(text_frame("msg-1"))  # and a repeat of the first
    wait_until(lambda: len(stored(rt)) == 3, "the messages pushed during the outage")
    wait_until(lambda: json_state(rt)["state"] == "connected", "connected again")
    rt.queue.drain()
    assert ws.subscriptions == 2
    assert [key for key, _, _ in stored(rt)] == ["msg-1", "msg-2", "msg-3"]
    assert len(ws.sends) == 3


def test_a_message_arriving_while_the_database_is_down_is_kept_on_disk_and_stored_once_it_is_back(
    rt: runtime.Runtime, ws: FakeWecomWs, db_url: str, tmp_path: Path
) -> None:
    link = WecomBotLink(rt, store_retries=(0.05,), drain_every=0.1)
    with kept_link(rt, ws, link):
        with database_at(rt, unreachable_database(db_url, tmp_path)):
            ws.push(text_frame("msg-1"))
            wait_until(lambda: len(link.spool) == 1, "the message kept on disk")
            ws.push(text_frame("msg-1"))  # pushed again: kept once
        wait_until(lambda: len(link.spool) == 0 and stored(rt), "the kept message stored")
        rt.queue.drain()
        wait_until(lambda: len(ws.sends) == 1, "the note answered")
    assert [key for key, _, _ in stored(rt)] == ["msg-1"]
    assert count(rt, Activity) == 1


def test_what_an_earlier_process_kept_on_disk_is_stored_when_the_connection_opens(
    rt: runtime.Runtime, ws: FakeWecomWs
) -> None:
    frame = text_frame("msg-7")
    record = {"cmd": frame["cmd"], "req_id": frame["headers"]["req_id"], "body": frame["body"]}
    Spool(rt.settings.data_dir / SPOOL).keep("msg-7", {**record, "received_at": "2026-12-02T09:30:00+08:00"})
    with kept_link(rt, ws, WecomBotLink(rt, drain_every=0.1)) as kept:
        wait_until(lambda: stored(rt), "the kept message stored")
        assert len(kept.link.spool) == 0
    assert [key for key, _, _ in stored(rt)] == ["msg-7"]


def test_sending_while_the_connection_is_down_is_a_transient_error_for_the_outbox(
    rt: runtime.Runtime, ws: FakeWecomWs
) -> None:
    with pytest.raises(SendError) as raised:
        BotSender(rt.queue.connection).send("wecom:zhangwei", Card(lines=("你好",)), dedup_key="reply:1:0")
    assert not raised.value.permanent and ws.sends == []


def test_a_send_the_platform_refuses_is_a_permanent_error(rt: runtime.Runtime, ws: FakeWecomWs, keeper: Keeper) -> None:
    ws.send_errcodes.append(40058)
    with pytest.raises(SendError) as raised:
        BotSender(rt.queue.connection).send("wecom:zhangwei", Card(lines=("你好",)), dedup_key="reply:1:0")
    assert raised.value.permanent and "40058" in str(raised.value)


def test_a_wrong_secret_keeps_the_connection_down_with_the_reason(rt: runtime.Runtime, ws: FakeWecomWs) -> None:
    rt.settings = Settings(database_url=rt.settings.database_url, wecom_bot=bot_settings(ws, "wrong"))
    kept = Keeper(WecomBotLink(rt), rt.queue.connection, backoff=FAST).start()
    try:
        state = wait_until(lambda: (s := json_state(rt))["attempts"] >= 2 and s, "failed attempts")
    finally:
        kept.stop()
    assert state["state"] == "connecting" and "40001" in state["last_error"]
    assert ws.subscriptions == 0


def test_entering_the_chat_is_a_chat_opened_event(rt: runtime.Runtime, ws: FakeWecomWs, keeper: Keeper) -> None:
    ws.push(fixture("aibot_event_callback__enter_chat"))
    wait_until(lambda: stored(rt), "the stored event")
    assert stored(rt) == [("chat_opened:CAIQrcjMjQYY/NGagIOAgAMgh4KM0AI=", "chat_opened", "wecom:zhangwei")]


def test_in_ws_mode_there_is_no_callback_endpoint_and_healthz_shows_the_connection_down(
    rt: runtime.Runtime,
) -> None:
    client = create_app(rt.settings, rt).test_client()
    assert client.get("/wecom/callback").status_code == 404
    body = client.get("/healthz").get_json()
    assert (body["status"], body["platforms"], body["connections"]["wecom"]["state"]) == ("degraded", ["wecom"], "down")


def test_a_group_message_that_ats_the_bot_is_answered_in_the_group(
    rt: runtime.Runtime, ws: FakeWecomWs, keeper: Keeper
) -> None:
    frame = text_frame("msg-group", text=f"@销售助手 {NOTE}")
    frame["body"].update(chattype="group", chatid="wrkSFfCgAAxxxxHS5gchFU0w")
    ws.push(frame)
    wait_until(lambda: stored(rt), "the stored message")
    rt.queue.drain()
    [sent] = ws.sends
    assert sent["chatid"] == "wrkSFfCgAAxxxxHS5gchFU0w"
    with rt.transaction() as s:
        assert s.scalars(select(Activity.text)).all() == [NOTE]


def test_the_process_starts_a_keeper_for_each_platform_in_ws_mode(rt: runtime.Runtime, ws: FakeWecomWs) -> None:
    keepers = start_keepers(rt)
    try:
        assert [keeper.link.platform for keeper in keepers] == ["wecom"]
        wait_until(lambda: ws.subscribed, "the subscription")
    finally:
        stop_keepers(keepers)
    wait_until(lambda: not ws.subscribed, "the connection closed on stop")
