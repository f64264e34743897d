"""Merging duplicates: 合并 #2 到 #1 moves everything of #2 onto #1 and deletes #2; 撤销合并 within 10 minutes
restores #2 with exactly what was moved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from storage.leads import add_assigned_lead
from storage.models import Activity, Alert, Correction, Lead, Merge, Reminder, StageChange, activity_tags
from storage.people import add_team, add_user, find_user
from tests.conftest import Chat, RecordingSender
from tests.stack import FEISHU_REP, Stack, build_stack

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday
FIRST = "今天拜访杭州华力机械王总 嫌贵 下周三再约"
# The duplicate: 华力 with its phone, added apart (as `salesbot leads add` or an import would) before the
# resolver could tie the two; the note names it by the phone alone.
DUPLICATE = "电话 13912345678 要样机 周五下午3点再打"
MERGE_AT = NOW + timedelta(hours=1)


def add_duplicate(rt: Runtime, who: str) -> None:
    with rt.transaction() as s:
        owner = find_user(s, who)
        assert owner is not None
        add_assigned_lead(s, owner, company="华力", contact_name="王总", phone="13912345678", now=NOW, rules=rt.rules)


def two_leads(rt: Runtime, sent: RecordingSender, who: str = "wecom:zhangwei") -> Chat:
    """#1 杭州华力机械 (no phone) and its duplicate #2 华力 with the phone, a sample tag and a Friday reminder."""
    chat = Chat(rt, sent, who)
    chat.say(FIRST)
    add_duplicate(rt, who)
    chat.say(DUPLICATE, NOW + timedelta(minutes=5))
    with rt.transaction() as s:
        assert s.scalar(select(func.count(Lead.id))) == 2
    return chat


def world(rt: Runtime) -> dict[str, list[tuple]]:
    """Each moved table as (id, lead id), and the leads' own columns."""
    with rt.transaction() as s:
        rows = {
            model.__tablename__: s.execute(select(model.id, model.lead_id).order_by(model.id)).all()
            for model in (Activity, Reminder, Alert, StageChange, Correction)
        }
        rows["leads"] = s.execute(
            select(
                Lead.id,
                Lead.company,
                Lead.company_key,
                Lead.phone,
                Lead.contact_name,
                Lead.stage,
                Lead.last_activity_at,
                Lead.next_follow_up_at,
            ).order_by(Lead.id)
        ).all()
        rows["tags"] = s.execute(select(activity_tags).order_by(activity_tags.c.activity_id)).all()
        return rows


def test_a_merge_moves_activities_tags_and_reminders_and_deletes_the_duplicate(
    rt: Runtime, sent: RecordingSender
) -> None:
    chat = two_leads(rt, sent)
    reply = chat.say("合并 #2 到 #1", MERGE_AT)
    assert reply == (
        "【已合并：华力 → 杭州华力机械】\n"
        "线索 #2 的1条跟进记录（含标签）、1条提醒、0条预警、1次阶段变化已并入 #1，#2 已删除。\n"
        "[撤销合并]\n"
        "合并错了？10分钟内点「撤销合并」或回复「撤销合并」。"
    )
    after = world(rt)
    assert [lead_id for _, lead_id in after["activities"]] == [1, 1]
    assert {lead_id for _, lead_id in after["reminders"]} == {1}
    [(_, company, _, phone, contact, _, last, follow_up)] = after["leads"]
    assert (company, phone, contact) == ("杭州华力机械", "13912345678", "王总")
    assert last == NOW + timedelta(minutes=5)
    assert follow_up == datetime(2026, 11, 27, 15, 0, tzinfo=TZ)
    assert "需要样机" in chat.say("我的线索", MERGE_AT)


def test_the_merge_is_kept_with_what_moved(rt: Runtime, sent: RecordingSender) -> None:
    two_leads(rt, sent).say("合并 #2 到 #1", MERGE_AT)
    with rt.transaction() as s:
        [merge] = s.scalars(select(Merge)).all()
        assert (merge.from_lead_id, merge.into_lead_id, merge.actor_id) == (2, 1, 1)
        assert merge.moved["ids"]["activities"] == [2]
        assert merge.moved["lead"]["phone"] == "13912345678"
        assert merge.moved["took"] == {"phone": "13912345678"}


def test_undoing_a_merge_restores_the_duplicate_with_exactly_what_moved(rt: Runtime, sent: RecordingSender) -> None:
    chat = two_leads(rt, sent)
    before = world(rt)
    chat.say("合并 #2 到 #1", MERGE_AT)
    reply = chat.say("撤销合并", MERGE_AT + timedelta(minutes=9))
    assert reply == "已撤销合并：线索 #2（华力）已恢复，合并时移入 #1 的记录都已移回。"
    assert world(rt) == before


def test_the_undo_button_on_the_merge_card_restores_the_duplicate(rt: Runtime, sent: RecordingSender) -> None:
    chat = two_leads(rt, sent)
    before = world(rt)
    chat.say("合并 #2 到 #1", MERGE_AT)
    [button] = sent.sent[-1][1].buttons
    assert chat.click(button.action, button.value, MERGE_AT + timedelta(minutes=1)).startswith("已撤销合并")
    assert world(rt) == before
    assert chat.click(button.action, button.value, MERGE_AT + timedelta(minutes=2)) == "这次合并已经撤销过了。"


def test_a_merge_cannot_be_undone_after_ten_minutes(rt: Runtime, sent: RecordingSender) -> None:
    chat = two_leads(rt, sent)
    chat.say("合并 #2 到 #1", MERGE_AT)
    [button] = sent.sent[-1][1].buttons
    assert chat.say("撤销合并", MERGE_AT + timedelta(minutes=11)) == "10分钟内没有可撤销的合并。"
    assert chat.click(button.action, button.value, MERGE_AT + timedelta(minutes=11)) == "合并已超过10分钟，不能撤销了。"
    assert len(world(rt)["leads"]) == 1


def test_a_note_logged_after_the_merge_stays_on_the_surviving_lead_when_it_is_undone(
    rt: Runtime, sent: RecordingSender
) -> None:
    chat = two_leads(rt, sent)
    chat.say("合并 #2 到 #1", MERGE_AT)
    chat.say("电话杭州华力机械王总 13912345678 样机已寄出", MERGE_AT + timedelta(minutes=2))
    chat.say("撤销合并", MERGE_AT + timedelta(minutes=3))
    after = world(rt)
    assert [lead_id for _, lead_id in after["activities"]] == [1, 2, 1]
    assert [(lead[0], lead[3]) for lead in after["leads"]] == [(1, None), (2, "13912345678")]


def test_a_phone_another_lead_took_meanwhile_stays_with_it_when_the_merge_is_undone(
    rt: Runtime, sent: RecordingSender
) -> None:
    chat = Chat(rt, sent)
    chat.say("今天拜访杭州华力机械王总 13912345678 嫌贵")
    chat.say("电话恒通李工 13800001111 要报价")  # #2
    chat.say("合并 #2 到 #1", MERGE_AT)  # the wrong lead; #1 keeps its own phone, #2's is free
    chat.say("拜访苏州恒通自动化李工 13800001111 要样机", MERGE_AT + timedelta(minutes=1))  # #3 takes it
    assert chat.say("撤销合并", MERGE_AT + timedelta(minutes=2)).startswith("已撤销合并")
    with rt.transaction() as s:
        leads = set(s.execute(select(Lead.company, Lead.phone)).all())
        assert leads == {("杭州华力机械", "13912345678"), ("恒通", None), ("苏州恒通自动化", "13800001111")}
        restored = s.scalar(select(Lead).where(Lead.company == "恒通"))
        assert restored is not None
        notes = s.scalars(select(Activity.text).where(Activity.lead_id == restored.id)).all()
    assert notes == ["电话恒通李工 13800001111 要报价"]


def test_a_lead_cannot_be_merged_into_itself(rt: Runtime, sent: RecordingSender) -> None:
    assert two_leads(rt, sent).say("合并 #1 到 #1", MERGE_AT) == "要合并的是同一条线索。"


def test_a_rep_cannot_merge_another_reps_lead_but_their_manager_can(rt: Runtime, sent: RecordingSender) -> None:
    with rt.transaction() as s:
        add_user(s, "wecom:boss1", name="王经理", role="manager", team=None, now=NOW)
        add_team(s, "华东一组", manager_key="wecom:boss1", now=NOW)
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team="华东一组", now=NOW)
        add_user(s, "wecom:lisi", name="李四", role="rep", team="华东一组", now=NOW)
    two_leads(rt, sent)
    Chat(rt, sent, "wecom:lisi").say("拜访苏州恒通自动化李工 要样机")  # #3, 李四's
    refused = Chat(rt, sent, "wecom:lisi").say("合并 #1 到 #3", MERGE_AT)
    assert refused == "这条线索（杭州华力机械）由张伟负责，你没有权限操作。"
    assert len(world(rt)["leads"]) == 3
    merged = Chat(rt, sent, "wecom:boss1").say("合并 #2 到 #1", MERGE_AT)
    assert merged.startswith("【已合并：华力 → 杭州华力机械】")


# ---------------------------------------------------------------- on the platforms


@pytest.fixture
def platforms(sqlite_url: str) -> Iterator[Stack]:
    yield from build_stack(sqlite_url)


def test_the_merge_card_and_its_undo_button_work_on_wecom(platforms: Stack) -> None:
    platforms.wecom_text("7441256903418734592", FIRST)
    platforms.work()
    add_duplicate(platforms.rt, "wecom:zhangwei")
    platforms.wecom_text("7441256903418734593", DUPLICATE)
    platforms.wecom_text("7441256903418734594", "合并 #2 到 #1")
    platforms.work()
    card = platforms.wecom_sends[-1]["template_card"]
    assert card["main_title"]["title"] == "已合并：华力 → 杭州华力机械"
    [button] = card["button_list"]
    assert (button["text"], button["key"]) == ("撤销合并", 'merge_undo:{"merge_id":1}')
    assert platforms.wecom_post("event__template_card_event", EventKey=button["key"]).status_code == 200
    platforms.work()
    [update] = [r.json for r in platforms.wecom.calls("message/update_template_card")]
    assert update["template_card"]["main_title"]["title"].startswith("已撤销合并：线索 #2（华力）已恢复")
    assert platforms.count(Lead) == 2


def test_the_merge_card_and_its_undo_button_work_on_feishu(platforms: Stack) -> None:
    from tests import fake_feishu

    platforms.feishu_text("om_5ce6d572455d361153b7cb51da133941", FIRST)
    platforms.work()
    add_duplicate(platforms.rt, f"feishu:{FEISHU_REP}")
    platforms.feishu_text("om_5ce6d572455d361153b7cb51da133942", DUPLICATE)
    platforms.feishu_text("om_5ce6d572455d361153b7cb51da133943", "合并 #2 到 #1")
    platforms.work()
    sent = [json.loads(r.json["content"]) for r in platforms.feishu.calls("/open-apis/im/v1/messages", "POST")]
    assert sent[-1]["header"]["title"]["content"] == "已合并：华力 → 杭州华力机械"
    assert '"action": "merge_undo", "value": {"merge_id": 1}' in json.dumps(sent[-1], ensure_ascii=False)
    click = fake_feishu.fixture("card.action.trigger__undo")
    click["event"]["action"]["value"] = {"action": "merge_undo", "value": {"merge_id": 1}}
    body = platforms.feishu_post(click).get_json()
    assert body["toast"]["content"].startswith("已撤销合并：线索 #2（华力）已恢复")
    assert platforms.count(Lead) == 2
