"""The conversation core, end to end through the pipeline, with the exact zh-CN replies."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import texts
from bot.runtime import Runtime
from storage.models import Activity, Lead, Reminder
from storage.people import add_user
from storage.refusals import Why
from tests.conftest import Chat, RecordingSender

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday
NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"


def test_a_note_is_confirmed_with_company_contact_tags_and_follow_up(rt: Runtime, sent: RecordingSender) -> None:
    assert Chat(rt, sent).say(NOTE) == (
        "【已记录：杭州华力机械】\n"
        "客户：杭州华力机械（新线索 #1）\n"
        "联系人：王总\n"
        "电话：13912345678\n"
        "类型：拜访\n"
        "阶段：初访\n"
        "标签：价格敏感、需要样机\n"
        "下次跟进：12月2日（周三）\n"
        "[撤销]  [去掉 价格敏感]  [去掉 需要样机]\n"
        "识别有误？直接回复更正，如「去掉 价格敏感」「联系人 王建国」「下次跟进 周五下午3点」「阶段 报价」；"
        "整条记错了，10分钟内点「撤销」。"
    )


def test_a_second_note_on_the_same_customer_is_logged_on_the_existing_lead(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    reply = chat.say("给华力机械王总打电话 13912345678 要报价 明天下午三点再联系", NOW + timedelta(hours=2))
    assert "客户：杭州华力机械（已有线索 #1）" in reply
    assert "下次跟进：明天 11月26日（周四） 15:00" in reply


def test_another_reps_customer_is_not_duplicated_and_the_owner_is_named(rt: Runtime, sent: RecordingSender) -> None:
    with rt.transaction() as s:
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team=None, now=NOW)
    Chat(rt, sent, "wecom:zhangwei").say(NOTE)
    reply = Chat(rt, sent, "wecom:lisi").say(NOTE)
    assert reply == (
        "【这家客户已有负责人】\n"
        "「杭州华力机械」已由张伟跟进（线索 #1），没有重复创建，也没有记录这条跟进。\n"
        "如需协同，请联系张伟或你的主管。"
    )


def test_an_owner_known_only_by_platform_id_is_not_named_by_it(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent, "feishu:ou_7d8a6e6df7621556ce0d21922b676706ccs").say(NOTE)
    reply = Chat(rt, sent, "wecom:lisi").say(NOTE)
    assert "ou_" not in reply
    assert reply.splitlines()[1:] == [
        "「杭州华力机械」已由其他同事跟进（线索 #1），没有重复创建，也没有记录这条跟进。",
        "如需协同，请联系你的主管。",
    ]


def test_my_leads_lists_each_lead_with_its_light(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE, NOW - timedelta(days=8))
    chat.say("电话回访宁波海天塑料机械李工 13800001111 有竞品在比", NOW - timedelta(days=15))
    chat.say("拜访苏州明达医疗器械孙主任 13700002222 要方案", NOW)
    reply = chat.say("我的线索")
    lines = reply.splitlines()
    assert lines[0] == "【我的线索（3）】"
    assert [line[0] for line in lines[1:4]] == ["🔴", "🟡", "🟢"]
    assert "宁波海天塑料机械" in lines[1] and "杭州华力机械" in lines[2] and "苏州明达医疗器械" in lines[3]
    assert lines[-1] == "🟢1 🟡1 🔴1  🟡7天未跟进 🔴14天未跟进（谈判阶段：🟡5天 🔴10天）"


def test_a_negotiation_lead_turns_red_at_its_stage_threshold_and_the_legend_says_so(
    rt: Runtime, sent: RecordingSender
) -> None:
    chat = Chat(rt, sent)
    chat.say("杭州华力机械王总 13912345678 谈账期 合同在走流程", NOW - timedelta(days=10))
    lines = chat.say("我的线索").splitlines()
    assert lines[1].startswith("🔴 杭州华力机械") and "谈判" in lines[1]
    assert lines[-1].endswith("谈判阶段：🟡5天 🔴10天）")
    assert "🔴14天未跟进（谈判阶段：🟡5天 🔴10天）" in chat.say("帮助")


def test_today_lists_due_and_overdue_follow_ups(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("拜访杭州华力机械王总 13912345678 明天下午三点再约", NOW - timedelta(days=2))
    chat.say("电话宁波海天塑料机械李工 13800001111 明天上午再打", NOW - timedelta(days=1))
    reply = chat.say("今日待办")
    assert reply.splitlines()[0] == "【今日待办（2）】"
    assert "⚠️ 已逾期 11月24日（周二） 15:00 杭州华力机械 王总" in reply
    assert "⏰ 今天 11月25日（周三）" in reply and "宁波海天塑料机械 李工" in reply


def test_today_with_nothing_due_says_so(rt: Runtime, sent: RecordingSender) -> None:
    assert Chat(rt, sent).say("今日待办") == "【今日待办】\n今天没有到期的跟进，可以去开发新客户了 💪"


def test_undo_within_ten_minutes_takes_the_note_back(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    assert (
        chat.say("撤销", NOW + timedelta(minutes=9))
        == "已撤销对「杭州华力机械」的上一条记录，这条记录新建的线索也已删除。"
    )
    assert chat.say("我的线索", NOW + timedelta(minutes=9)).startswith("【我的线索】\n你名下还没有线索")


def test_undo_after_ten_minutes_is_refused(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    assert chat.say("撤销", NOW + timedelta(minutes=11)) == "10分钟内没有可撤销的记录。"


def test_the_undo_button_works_for_the_author(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    button = sent.sent[-1][1].buttons[0]
    assert chat.click(button.action, button.value, NOW + timedelta(minutes=1)).startswith("已撤销对「杭州华力机械」")


def test_the_undo_button_refuses_anyone_but_the_author(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent, "wecom:zhangwei").say(NOTE)
    button = sent.sent[-1][1].buttons[0]
    other = Chat(rt, sent, "wecom:lisi")
    assert other.click(button.action, button.value) == "只有记录人本人可以撤销这条记录。"
    assert "杭州华力机械" in Chat(rt, sent, "wecom:zhangwei").say("我的线索")


def test_every_refusal_has_words() -> None:
    assert set(texts.REFUSALS) == set(Why) - {Why.UNDO_EXPIRED}


def test_help_lists_the_commands(rt: Runtime, sent: RecordingSender) -> None:
    reply = Chat(rt, sent).say("帮助")
    assert reply.startswith("【销售助手 · 使用说明】")
    for command in ("我的线索", "今日待办", "撤销", "帮助"):
        assert f"· {command} ——" in reply


def test_help_shows_a_rep_only_the_commands_a_rep_may_use(rt: Runtime, sent: RecordingSender) -> None:
    assert "分配" not in Chat(rt, sent).say("帮助")


def test_help_shows_a_manager_how_to_assign(rt: Runtime, sent: RecordingSender) -> None:
    with rt.transaction() as s:
        add_user(s, "wecom:boss", name="王经理", role="manager", team=None, now=NOW)
    assert "· 分配 客户 给 销售 —— 把线索交给团队里的销售" in Chat(rt, sent, "wecom:boss").say("帮助")


def test_opening_the_chat_greets_once_a_day(rt: Runtime, sent: RecordingSender) -> None:
    with rt.transaction() as s:
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team=None, now=NOW)
    chat = Chat(rt, sent)
    assert chat.say("", kind="chat_opened").startswith("【你好，张伟！我是销售助手】\n拜访或通话后")
    assert chat.say("", NOW + timedelta(hours=3), kind="chat_opened") == ""
    assert chat.say("", NOW + timedelta(days=1), kind="chat_opened").startswith("【你好，张伟！我是销售助手】")


def test_the_legacy_open_event_greets_once_a_day_too(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent, "feishu:ou_7d8a6e6df7621556ce0d21922b676706ccs")
    assert chat.say("", kind="event").startswith("【你好！我是销售助手】")
    assert chat.say("", NOW + timedelta(minutes=5), kind="chat_opened") == ""


def test_a_note_cut_at_the_length_limit_says_what_was_kept(rt: Runtime, sent: RecordingSender) -> None:
    long_note = "拜访杭州华力机械王总 13912345678 嫌贵。" + "聊了很多细节，" * 300 + "最后说下周三再约"
    reply = Chat(rt, sent).say(long_note)
    assert "✂️ 这条记录超过2000字：全文已保存，但我只读了前2000字（到「…" in reply
    assert "后面如有要点，请另发一条。" in reply
    with rt.transaction() as s:
        assert s.scalars(select(Activity.text)).one() == long_note


def test_a_note_within_the_limit_says_nothing_of_cutting(rt: Runtime, sent: RecordingSender) -> None:
    assert "✂️" not in Chat(rt, sent).say(NOTE)


def test_a_vague_follow_up_asks_for_a_day_and_the_answer_sets_the_reminder(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    reply = chat.say("拜访杭州华力机械王总 13912345678 下周再约")
    assert "下次跟进：还没定具体哪天，回复一个日子（如「周三」「12月5日下午」）我来定提醒" in reply
    assert chat.say("周三", NOW + timedelta(minutes=2)) == "好的，12月2日（周三）提醒你跟进。"
    with rt.transaction() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.next_follow_up_at == datetime(2026, 12, 2, 10, 0, tzinfo=TZ)
        assert s.scalars(select(Reminder.kind).where(Reminder.status == "pending")).all() == ["follow_up"]


def test_undoing_a_note_takes_back_the_day_given_afterwards(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("电话宁波海天塑料机械李工 13800001111 过几天再联系")
    chat.say("周五", NOW + timedelta(minutes=1))
    chat.say("撤销", NOW + timedelta(minutes=2))
    with rt.transaction() as s:
        assert s.scalars(select(Reminder)).all() == []


def test_a_day_sent_long_after_a_vague_note_is_read_as_a_note(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("拜访杭州华力机械王总 13912345678 下周再约")
    assert chat.say("周三", NOW + timedelta(hours=2)).startswith("【这条记到哪家客户？】")
    with rt.transaction() as s:
        assert s.scalars(select(Lead.next_follow_up_at)).one() is None


def test_a_greeting_gets_a_short_introduction(rt: Runtime, sent: RecordingSender) -> None:
    assert Chat(rt, sent).say("你好").startswith("你好，我是销售助手。")


def test_a_note_without_a_customer_asks_for_company_or_phone(rt: Runtime, sent: RecordingSender) -> None:
    assert Chat(rt, sent).say("今天拜访了王总 嫌贵").startswith("没认出是哪家客户：请带上公司名或手机号再发一次")


def test_whitespace_only_input_gets_a_helpful_answer(rt: Runtime, sent: RecordingSender) -> None:
    assert Chat(rt, sent).say("   ").startswith("没有收到内容。")


def test_an_unsupported_message_type_is_answered_politely(rt: Runtime, sent: RecordingSender) -> None:
    assert Chat(rt, sent).say("", kind="unsupported") == "暂不支持这种消息类型。请发文字或语音，说说这次跟进的情况。"


def test_a_first_message_registers_the_sender_as_a_rep(rt: Runtime, sent: RecordingSender) -> None:
    from storage.people import find_user

    Chat(rt, sent, "feishu:ou_7d8a6e6df7621556ce0d21922b676706ccs").say("帮助")
    with rt.transaction() as s:
        user = find_user(s, "feishu:ou_7d8a6e6df7621556ce0d21922b676706ccs")
        assert user is not None and user.role == "rep"


def test_today_leaves_out_deals_already_won(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("拜访杭州华力机械王总 13912345678 明天上午再约", NOW - timedelta(days=1))
    chat.say("杭州华力机械王总 13912345678 合同签了 已签约 明天上午去送发票", NOW - timedelta(hours=20))
    assert chat.say("今日待办") == "【今日待办】\n今天没有到期的跟进，可以去开发新客户了 💪"
