"""Outcomes: 赢单 and 输单 原因 close a lead; a lost one keeps its reason for the weekly report; closed leads leave
the lights and escalation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.periodic import escalate
from bot.runtime import Runtime
from storage.leads import light
from storage.models import Alert, Lead, StageChange
from storage.outcomes import lost_reasons
from storage.people import add_team, add_user
from storage.states import LostReason
from tests.conftest import Chat, RecordingSender
from tests.test_corrections import lead

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday
NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"
LATER = NOW + timedelta(minutes=30)


def team(rt: Runtime) -> int:
    """华东一组 of 王经理, with 张伟 (wecom:zhangwei, who says the notes); its id."""
    with rt.transaction() as s:
        add_user(s, "wecom:boss1", name="王经理", role="manager", team=None, now=NOW)
        team_id = add_team(s, "华东一组", manager_key="wecom:boss1", now=NOW).id
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team="华东一组", now=NOW)
        return team_id


def test_won_closes_the_last_notes_lead_as_won(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    assert chat.say("赢单", LATER) == (
        "【🎉 赢单：杭州华力机械】\n恭喜！阶段从「初访」改为成交，这条线索不再计入红黄灯和提醒升级。"
    )
    assert lead(rt).stage == "won"
    with rt.transaction() as s:
        assert s.scalars(select(StageChange.to_stage).order_by(StageChange.id)).all() == ["contacted", "won"]


def test_lost_with_words_keeps_the_reason_they_name(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("拜访苏州恒通自动化李工 要样机")
    reply = chat.say("输单 原因：价格太高了", LATER)
    assert reply.splitlines()[:4] == [
        "【输单：苏州恒通自动化】",
        "阶段从「初访」改为丢单，原因会计入周报。原因不对可以点下面改。",
        "原因：价格",
        "说明：价格太高了",
    ]
    found = lead(rt)
    assert (found.stage, found.lost_reason, found.lost_note) == ("lost", LostReason.PRICE, "价格太高了")


def test_lost_without_words_takes_the_reason_from_the_leads_tags(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("电话回访宁波海天塑料机械李工 13800001111 有竞品在比")
    chat.say("#1 输单", LATER)
    assert (lead(rt).lost_reason, lead(rt).lost_note) == (LostReason.COMPETITOR, None)


def test_lost_for_want_of_budget_is_counted_as_no_budget(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)  # tagged price_sensitive, yet the rep says the budget went
    chat.say("输单 客户今年没预算了", LATER)
    assert lead(rt).lost_reason == LostReason.NO_BUDGET


def test_a_reason_button_sets_the_lost_reason_right(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    chat.say("输单", LATER)
    assert lead(rt).lost_reason == LostReason.PRICE
    [button] = [b for b in sent.sent[-1][1].buttons if b.value.get("reason") == "competitor"]
    reply = chat.click(button.action, button.value, LATER)
    assert reply.splitlines()[1:3] == ["已把「杭州华力机械」的输单原因改为「竞品」。", "原因：竞品"]
    assert lead(rt).lost_reason == LostReason.COMPETITOR


def test_the_stage_command_to_a_closed_stage_is_an_outcome(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    assert chat.say("阶段 成交", LATER).startswith("【🎉 赢单：杭州华力机械】")
    assert lead(rt).stage == "won"


def test_won_and_lost_leads_leave_the_lights_and_escalation(rt: Runtime, sent: RecordingSender) -> None:
    team(rt)
    chat = Chat(rt, sent)
    chat.say(NOTE)
    chat.say("拜访苏州恒通自动化李工 要样机")
    chat.say("电话回访宁波海天塑料机械李工 13800001111 有竞品在比")
    chat.say("#1 赢单", LATER)
    chat.say("#2 输单 定了别家", LATER)
    month_later = NOW + timedelta(days=30)
    escalate(month_later.isoformat())
    rt.queue.drain()
    with rt.transaction() as s:
        assert s.scalars(select(Alert.lead_id)).all() == [3]
        lights = [light(s.get(Lead, i), month_later, rt.rules) for i in (1, 2, 3)]  # type: ignore[arg-type]
    assert lights == ["green", "green", "red"]


def test_lost_reasons_are_counted_for_a_team_and_week(rt: Runtime, sent: RecordingSender) -> None:
    team_id = team(rt)
    chat = Chat(rt, sent)
    chat.say(NOTE)
    chat.say("拜访苏州恒通自动化李工 要样机")
    chat.say("电话回访宁波海天塑料机械李工 13800001111 有竞品在比")
    chat.say("#1 输单 太贵", LATER)
    chat.say("#2 输单 太贵了", LATER)
    chat.say("#3 输单", NOW + timedelta(days=7))  # the next week
    chat.say("拜访无锡瑞丰包装周总 有竞品在比")
    chat.say("无锡瑞丰包装周总说定了别家", LATER)  # closed by the note itself: the reason comes from its tags
    week = datetime(2026, 11, 23, tzinfo=TZ)
    with rt.transaction() as s:
        counts = lost_reasons(s, team_id, week, week + timedelta(days=7), rt.rules)
    assert counts == {LostReason.PRICE: 2, LostReason.COMPETITOR: 1, LostReason.NO_BUDGET: 0, LostReason.OTHER: 0}


def test_a_lost_lead_set_back_to_an_open_stage_forgets_why_it_was_lost(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    chat.say("输单 太贵", LATER)
    assert chat.say("阶段 谈判", LATER) == "阶段已改为「谈判」（杭州华力机械）。"
    found = lead(rt)
    assert (found.stage, found.lost_reason, found.lost_note) == ("negotiation", None, None)
