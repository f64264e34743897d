"""Which customer a message is about, in chat: resolution, questions, context, several customers, look-ups."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.runtime import Runtime
from storage.models import Activity, Correction, CorrectionField, Lead
from storage.people import add_team, add_user
from tests.conftest import Chat, RecordingSender

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
FIRST = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机"


def counts(rt: Runtime) -> tuple[int, int]:
    with rt.transaction() as s:
        return s.scalar(select(func.count()).select_from(Lead)), s.scalar(select(func.count()).select_from(Activity))


def lead_of_last_activity(rt: Runtime) -> int:
    with rt.transaction() as s:
        return s.scalar(select(Activity.lead_id).order_by(Activity.id.desc()).limit(1))


def one_team(rt: Runtime) -> None:
    """张伟 and 李四, reps in 王经理's team."""
    with rt.transaction() as s:
        add_user(s, "wecom:boss", name="王经理", role="manager", team=None, now=NOW)
        add_team(s, "华东", manager_key="wecom:boss", now=NOW)
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team="华东", now=NOW)
        add_user(s, "wecom:lisi", name="李四", role="rep", team="华东", now=NOW)


def buttons(sent: RecordingSender) -> list:
    return list(sent.sent[-1][1].buttons)


def test_the_customer_named_without_its_city_is_logged_on_the_existing_lead(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    reply = chat.say("华力机械王总回电话了，让我周五前把报价发过去", NOW + timedelta(days=1))
    assert "客户：杭州华力机械（已有线索 #1）" in reply
    assert counts(rt) == (1, 2)


def test_a_message_naming_no_customer_right_after_a_note_is_logged_on_that_lead_and_says_so(
    rt: Runtime, sent: RecordingSender
):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    reply = chat.say("明天下午再打给他", NOW + timedelta(minutes=5))
    assert "🔗 没写客户名，接着刚才那条记在「杭州华力机械」上。" in reply
    assert "下次跟进：明天 11月26日（周四） 14:00" in reply
    assert [b.label for b in buttons(sent)] == ["撤销", "不是这家"]
    assert counts(rt) == (1, 2)


def test_a_note_logged_by_context_moves_to_the_customer_the_rep_picks(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say("拜访无锡瑞丰包装周总 要报价", NOW - timedelta(minutes=20))
    chat.say(FIRST, NOW - timedelta(minutes=10))
    chat.say("他说要样机", NOW)
    chat.click("move_note", buttons(sent)[-1].value)
    ruifeng = next(b for b in buttons(sent) if "瑞丰" in b.label)
    reply = chat.click("move_note_to", ruifeng.value)
    assert "已记录：无锡瑞丰包装" in reply
    assert lead_of_last_activity(rt) == 1
    assert counts(rt) == (2, 3)


def test_a_message_naming_no_customer_long_after_a_note_asks_which_and_logs_nothing(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    reply = chat.say("他说要样机", NOW + timedelta(hours=2))
    assert reply.startswith("【这条记到哪家客户？】\n「他说要样机」")
    assert counts(rt) == (1, 1)
    assert "已记录：杭州华力机械" in chat.say("1", NOW + timedelta(hours=2, minutes=1))
    assert counts(rt) == (1, 2)


def two_yongda(rt: Runtime, sent: RecordingSender) -> Chat:
    chat = Chat(rt, sent)
    chat.say("拜访宁波永达注塑俞总 要样机", NOW - timedelta(days=2))
    chat.say("拜访杭州永达注塑章总 嫌贵", NOW - timedelta(days=1))
    return chat


def test_two_close_customers_are_asked_about_with_a_card_and_nothing_is_logged(rt: Runtime, sent: RecordingSender):
    chat = two_yongda(rt, sent)
    reply = chat.say("永达报价发了")
    assert reply.splitlines()[0] == "【这条记到哪家客户？】"
    labels = [b.label for b in buttons(sent)]
    assert sorted(labels[:2]) == ["1. 宁波永达注塑 · 俞总", "2. 杭州永达注塑 · 章总"] or sorted(labels[:2]) == [
        "1. 杭州永达注塑 · 章总",
        "2. 宁波永达注塑 · 俞总",
    ]
    assert labels[-1] == "新客户"
    assert counts(rt) == (2, 2)


def test_the_rep_answers_a_question_by_typing_its_number(rt: Runtime, sent: RecordingSender):
    chat = two_yongda(rt, sent)
    chat.say("永达报价发了")
    second = buttons(sent)[1]
    chat.say("2", NOW + timedelta(minutes=1))
    assert lead_of_last_activity(rt) == second.value["lead_id"]
    assert counts(rt) == (2, 3)


def test_the_rep_answers_a_question_with_a_button_even_after_another_message(rt: Runtime, sent: RecordingSender):
    chat = two_yongda(rt, sent)
    chat.say("永达报价发了")
    first = buttons(sent)[0]
    chat.say("拜访苏州明达医疗器械孙主任 要方案", NOW + timedelta(minutes=1))
    reply = chat.click("which_lead", first.value, NOW + timedelta(minutes=2))
    assert reply.startswith("【已记录：")
    assert lead_of_last_activity(rt) == first.value["lead_id"]


def test_a_question_answered_the_next_morning_reads_the_note_as_of_when_it_was_sent(rt: Runtime, sent: RecordingSender):
    chat = two_yongda(rt, sent)
    assert "这条记到哪家客户" in chat.say("永达那边说明天下午三点再打给他")
    reply = chat.say("1", NOW + timedelta(hours=23))
    assert "下次跟进：今天 11月26日（周四） 15:00" in reply


def test_new_customer_on_a_question_creates_a_lead(rt: Runtime, sent: RecordingSender):
    chat = two_yongda(rt, sent)
    assert "这条记到哪家客户" in chat.say("永达的冯工说要样机")
    assert "新线索 #3" in chat.say("新的")
    assert counts(rt) == (3, 3)


def test_a_forged_choice_of_another_lead_is_refused(rt: Runtime, sent: RecordingSender):
    chat = two_yongda(rt, sent)
    chat.say("永达报价发了")
    token = buttons(sent)[0].value["token"]
    Chat(rt, sent, "wecom:lisi").say("拜访上海申通包装钱工 要报价")
    assert "按钮已失效" in chat.click("which_lead", {"token": token, "lead_id": 3})
    assert counts(rt) == (3, 3)


def test_a_colleagues_customer_in_the_same_team_gets_the_collision_notice(rt: Runtime, sent: RecordingSender):
    one_team(rt)
    Chat(rt, sent, "wecom:zhangwei").say(FIRST)
    reply = Chat(rt, sent, "wecom:lisi").say("华力那边说下周来厂里看样机")
    assert reply.splitlines()[0] == "【这家客户已有负责人】"
    assert counts(rt) == (1, 1)


def test_a_note_about_two_customers_becomes_two_activities_on_two_leads(rt: Runtime, sent: RecordingSender):
    reply = Chat(rt, sent).say("今天跑了两家：上午苏州恒通自动化李工要报价，下午无锡瑞丰包装周总说太贵了")
    lines = reply.splitlines()
    assert lines[0] == "【已记录 2 家客户】"
    assert lines[1].startswith("① 苏州恒通自动化（新线索 #1）：要报价")
    assert lines[2].startswith("② 无锡瑞丰包装（新线索 #2）：价格敏感")
    assert [b.label for b in buttons(sent)] == ["撤销①", "撤销②", "①去掉 要报价", "②去掉 价格敏感"]
    with rt.transaction() as s:
        texts = {a.lead_id: a.text for a in s.scalars(select(Activity))}
    assert "恒通" in texts[1] and "瑞丰" not in texts[1] and "瑞丰" in texts[2]


def test_a_tag_tap_on_a_two_customer_card_corrects_that_customers_note_and_keeps_the_card(
    rt: Runtime, sent: RecordingSender
):
    chat = Chat(rt, sent)
    chat.say("今天跑了两家：上午苏州恒通自动化李工要报价，下午无锡瑞丰包装周总说太贵了")
    off = next(b for b in buttons(sent) if b.label == "②去掉 价格敏感")
    reply = chat.click(off.action, off.value)
    lines = reply.splitlines()
    assert lines[0] == "【已记录 2 家客户】"
    assert lines[1].startswith("① 苏州恒通自动化（新线索 #1）：要报价")
    assert lines[2] == "② 无锡瑞丰包装（新线索 #2）"
    assert [b.label for b in buttons(sent)] == ["撤销①", "撤销②", "①去掉 要报价", "②加回 价格敏感"]
    with rt.transaction() as s:
        tags = {a.lead_id: [t.id for t in a.tags] for a in s.scalars(select(Activity))}
        corrected = s.scalars(select(Correction)).all()
    assert tags == {1: ["wants_quote"], 2: []}
    assert [(c.field, c.before, c.after) for c in corrected] == [(CorrectionField.TAGS, "price_sensitive", "")]


def test_a_tag_tap_on_a_spoken_two_customer_card_keeps_what_was_heard(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    spoken = "今天跑了两家：上午苏州恒通自动化李工要报价，下午无锡瑞丰包装周总说太贵了"
    chat.say(spoken, extra={"transcript": True})
    off = next(b for b in buttons(sent) if b.label == "②去掉 价格敏感")
    assert f"🎤 听到：{spoken}" in chat.click(off.action, off.value).splitlines()


def test_a_look_up_shows_the_lead_card_and_logs_nothing(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    reply = chat.say("查 华力")
    assert reply.splitlines()[0] == "【杭州华力机械（#1）】"
    assert "标签：价格敏感、需要样机" in reply and "负责人：你" in reply
    assert [b.label for b in buttons(sent)] == ["记一笔", "赢单", "输单", "改阶段"]
    assert counts(rt) == (1, 1)


def test_a_win_from_the_lead_card_closes_the_lead(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    chat.say("查 华力")
    won = next(b for b in buttons(sent) if b.label == "赢单")
    chat.click(won.action, won.value)
    assert "阶段：成交" in chat.say("查 华力", NOW + timedelta(minutes=1))


def test_how_is_a_customer_doing_is_a_look_up(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    assert chat.say("华力怎么样了").startswith("【杭州华力机械（#1）】")


def test_a_bare_company_name_is_a_look_up_not_an_empty_activity(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    assert chat.say("杭州华力机械").startswith("【杭州华力机械（#1）】")
    assert counts(rt) == (1, 1)


def test_a_look_up_of_a_colleagues_customer_shows_only_who_owns_it(rt: Runtime, sent: RecordingSender):
    one_team(rt)
    Chat(rt, sent, "wecom:zhangwei").say(FIRST)
    reply = Chat(rt, sent, "wecom:lisi").say("查 华力")
    assert reply == "「杭州华力机械」由张伟负责，详情请找张伟。"


def test_write_one_from_the_lead_card_logs_the_next_message_on_that_lead(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    chat.say("拜访无锡瑞丰包装周总 要报价", NOW + timedelta(minutes=1))
    chat.say("查 华力", NOW + timedelta(hours=3))
    chat.click("note_on", buttons(sent)[0].value, NOW + timedelta(hours=3))
    reply = chat.say("说下周再看样机", NOW + timedelta(hours=3, minutes=1))
    assert "已记录：杭州华力机械" in reply
    assert lead_of_last_activity(rt) == 1


def test_a_win_named_in_the_note_closes_the_lead(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST)
    assert "阶段：成交" in chat.say("签了！华力机械合同额85万", NOW + timedelta(days=3))


def test_my_leads_filters_by_light_and_by_tag(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say(FIRST, NOW - timedelta(days=15))
    chat.say("拜访苏州明达医疗器械孙主任 13700002222 要方案", NOW)
    red = chat.say("我的线索 红灯")
    assert red.splitlines()[0] == "【我的线索 · 🔴红灯（1）】" and "杭州华力机械" in red and "明达" not in red
    quote = chat.say("我的线索 要方案")
    assert quote.splitlines()[0] == "【我的线索 · 要方案（1）】" and "明达" in quote


def test_my_leads_pages_through_a_long_list(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    for i in range(17):
        chat.say(f"拜访客户 1390000{i:04d} 要报价", NOW - timedelta(minutes=40 * (i + 1)))
    first = chat.say("我的线索")
    assert first.splitlines()[0] == "【我的线索（17）】"
    assert "……还有 2 条（第1/2页），回复「我的线索 2」看下一页" in first
    assert len(chat.say("我的线索 2").splitlines()) == 1 + 2 + 1
