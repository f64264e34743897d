"""The periodic jobs, with time driven explicitly, on SQLite and PostgreSQL.

The team: 王经理 (wecom:boss) manages 华东一组 with 张伟 (wecom:zhangwei) and 李四 (wecom:lisi). No platform is
configured, so everything lands at the recording `chat` sender, which tells whom it was for.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cards import Card, render_text
from bot.periodic import digest, escalate, leaderboard, reminders
from bot.platforms.feishu_cards import WEBHOOK_BODY_BYTES, render_card
from bot.platforms.wecom_send import ROBOT_MARKDOWN_LIMIT, render_markdown
from bot.runtime import Runtime
from storage.leads import add_assigned_lead
from storage.models import Alert, GroupTarget, Lead, Reminder
from storage.people import add_group_target, add_team, add_user, find_user
from storage.targets import set_target
from tests.conftest import NOW, Chat, RecordingSender

TZ = ZoneInfo("Asia/Shanghai")
NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def team(rt: Runtime) -> None:
    with rt.transaction() as s:
        add_user(s, "wecom:boss", name="王经理", role="manager", team=None, now=NOW)
        add_team(s, "华东一组", manager_key="wecom:boss", now=NOW)
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team="华东一组", now=NOW)
        add_user(s, "wecom:lisi", name="李四", role="rep", team="华东一组", now=NOW)


def run(rt: Runtime, job, when: datetime) -> dict[str, int]:
    result = job(when.isoformat())
    rt.queue.drain()
    return result


def received(sent: RecordingSender, start: int = 0) -> list[tuple[str, str]]:
    """(recipient, first line) of each message sent since `start`."""
    return [(who, render_text(card).splitlines()[0]) for who, card in sent.sent[start:]]


def assign(rt: Runtime, owner: str, company: str, when: datetime = NOW) -> int:
    with rt.transaction() as s:
        user = find_user(s, owner)
        assert user is not None
        return add_assigned_lead(s, user, company=company, contact_name="钱工", phone=None, now=when, rules=rt.rules).id


# ---------------------------------------------------------------- reminders


@pytest.mark.usefixtures("team")
def test_a_follow_up_day_is_reminded_once_on_that_working_morning(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say(NOTE)
    start = len(sent.sent)
    assert run(rt, reminders, at("2026-12-02T08:29"))["sent"] == 0
    assert run(rt, reminders, at("2026-12-02T09:05"))["sent"] == 1
    assert run(rt, reminders, at("2026-12-02T09:06"))["sent"] == 0
    assert received(sent, start) == [("wecom:zhangwei", "【该跟进了：杭州华力机械】")]
    assert sent.texts[-1].splitlines()[1] == "约定的跟进时间：今天 12月2日（周三）"
    assert "[已完成]  [推迟1天]  [改时间]" in sent.texts[-1]


@pytest.mark.usefixtures("team")
def test_a_reminder_due_in_quiet_hours_waits_for_the_next_working_morning(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say("拜访杭州华力机械王总 13912345678 周五晚上10点再电话")  # Friday 11-27 22:00
    assert run(rt, reminders, at("2026-11-27T22:05"))["quiet"] == 1
    assert run(rt, reminders, at("2026-11-28T10:00"))["quiet"] == 1  # Saturday
    assert run(rt, reminders, at("2026-11-30T07:59"))["quiet"] == 1
    assert run(rt, reminders, at("2026-11-30T08:00"))["sent"] == 1


@pytest.mark.usefixtures("team")
def test_a_2026_makeup_working_saturday_is_a_working_day() -> None:
    from config.workdays import default_calendar

    calendar = default_calendar()
    # 2026-10-10 (Saturday) is an official make-up working day; 2026-10-01 is National Day.
    assert (calendar.is_workday(at("2026-10-10T10:00").date()), calendar.is_workday(at("2026-10-01T10:00").date())) == (
        True,
        False,
    )


@pytest.mark.usefixtures("team")
def test_2027_uses_weekdays_and_the_holiday_file(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent, now=at("2026-12-31T10:00"))
    chat.say("拜访杭州华力机械王总 13912345678 明天上午10点再电话")  # 2027-01-01, 元旦
    assert run(rt, reminders, at("2027-01-01T10:05"))["quiet"] == 1
    assert run(rt, reminders, at("2027-01-02T10:05"))["quiet"] == 1  # Saturday
    assert run(rt, reminders, at("2027-01-04T08:00"))["sent"] == 1


@pytest.mark.usefixtures("team")
def test_a_new_note_on_the_lead_settles_its_due_reminder(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    chat.say("电话杭州华力机械王总 13912345678 样机已寄出", at("2026-12-02T09:00"))
    assert run(rt, reminders, at("2026-12-02T09:05"))["sent"] == 0


@pytest.mark.usefixtures("team")
def test_postpone_moves_the_reminder_a_day(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    run(rt, reminders, at("2026-12-02T09:05"))
    postpone = sent.sent[-1][1].buttons[1]
    assert (
        chat.click(postpone.action, postpone.value, at("2026-12-02T09:10"))
        == "好的，推迟到明天 12月3日（周四）再提醒你。"
    )
    assert run(rt, reminders, at("2026-12-02T17:00"))["sent"] == 0
    assert run(rt, reminders, at("2026-12-03T08:31"))["sent"] == 1


@pytest.mark.usefixtures("team")
def test_a_new_time_can_be_given_in_words_after_pressing_change_time(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    run(rt, reminders, at("2026-12-02T09:05"))
    change = sent.sent[-1][1].buttons[2]
    assert chat.click(change.action, change.value, at("2026-12-02T09:10")).startswith("好的，请直接回复新的跟进时间")
    assert chat.say("周五下午3点", at("2026-12-02T09:11")) == "好的，改到后天 12月4日（周五） 15:00提醒你。"
    with rt.transaction() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.next_follow_up_at == at("2026-12-04T15:00")


@pytest.mark.usefixtures("team")
def test_done_logs_a_touch_and_closes_the_reminder(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    run(rt, reminders, at("2026-12-02T09:05"))
    done = sent.sent[-1][1].buttons[0]
    assert chat.click(done.action, done.value, at("2026-12-02T11:00")).startswith("【已完成：杭州华力机械】")
    with rt.transaction() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.last_activity_at == at("2026-12-02T11:00")
        assert s.scalars(select(Reminder.status)).all() == ["done"]


@pytest.mark.usefixtures("team")
def test_someone_elses_reminder_button_does_nothing(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say(NOTE)
    run(rt, reminders, at("2026-12-02T09:05"))
    done = sent.sent[-1][1].buttons[0]
    assert Chat(rt, sent, "wecom:lisi").click(done.action, done.value) == "这条提醒不是发给你的，不能替别人处理。"


@pytest.mark.usefixtures("team")
def test_a_high_value_lead_gets_cadence_nudges_only_when_not_touched(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("拜访杭州华力机械王总 13912345678 预算80万")
    with rt.transaction() as s:
        assert sorted(s.scalars(select(Reminder.kind))) == ["sop_d1", "sop_d14", "sop_d3", "sop_d7"]
    assert run(rt, reminders, at("2026-11-26T10:01"))["skipped"] == 1  # day 1: touched at creation
    start = len(sent.sent)
    assert run(rt, reminders, at("2026-11-30T10:01"))["sent"] == 1  # day 3 fell on a Saturday: Monday
    assert received(sent, start) == [("wecom:zhangwei", "【跟进节奏提醒：杭州华力机械】")]
    chat.say("电话杭州华力机械王总 13912345678 在走流程", at("2026-12-01T15:00"))
    assert run(rt, reminders, at("2026-12-02T10:01"))["skipped"] == 1  # day 7: touched since day 3


# ---------------------------------------------------------------- escalation


@pytest.mark.usefixtures("team")
def test_an_assigned_lead_untouched_for_72_working_hours_alerts_the_manager_once(
    rt: Runtime, sent: RecordingSender
) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")  # Wednesday 10:00: 72 working hours end Monday 10:00
    assert run(rt, escalate, at("2026-11-30T09:59")) == {"new_alerts": 0, "cards": 0}
    assert run(rt, escalate, at("2026-12-01T11:00")) == {"new_alerts": 1, "cards": 1}
    assert run(rt, escalate, at("2026-12-01T11:15")) == {"new_alerts": 0, "cards": 0}
    assert received(sent) == [("wecom:boss", "【高风险待介入】")]
    assert sent.texts[-1].splitlines()[1] == "🆕 上海申通包装（李四负责）：分配于11月25日（周三），至今无人跟进"


@pytest.mark.usefixtures("team")
def test_a_lead_created_by_a_note_is_never_untouched(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say(NOTE)
    assert run(rt, escalate, at("2026-12-01T11:00")) == {"new_alerts": 0, "cards": 0}


@pytest.mark.usefixtures("team")
def test_a_lead_turns_red_after_14_days_and_alerts_once_per_episode(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    assert run(rt, escalate, at("2026-12-09T09:59"))["new_alerts"] == 0
    assert run(rt, escalate, at("2026-12-09T10:00")) == {"new_alerts": 1, "cards": 1}
    assert run(rt, escalate, at("2026-12-10T10:00")) == {"new_alerts": 0, "cards": 0}
    chat.say("电话杭州华力机械王总 13912345678 还在比价", at("2026-12-10T11:00"))
    assert run(rt, escalate, at("2026-12-24T11:00")) == {"new_alerts": 1, "cards": 1}
    assert [line for _, line in received(sent) if line.startswith("【线索转红")] == ["【线索转红：长期未跟进】"] * 2


@pytest.mark.usefixtures("team")
def test_a_red_alert_quotes_the_risk_words_of_the_last_note(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE, at("2026-11-24T10:00"))
    chat.say("电话杭州华力机械王总 13912345678 还在跟别家比价", NOW)
    run(rt, escalate, at("2026-12-09T10:00"))
    card = next(card for who, card in sent.sent if who == "wecom:boss")
    assert card.lines == ("🔴 杭州华力机械（张伟负责）：已14天没有跟进，上次提到「别家、比价」",)


@pytest.mark.usefixtures("team")
def test_a_red_alert_on_a_note_without_risk_words_quotes_nothing(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say("拜访杭州华力机械王总 13912345678 要样机")
    run(rt, escalate, at("2026-12-09T10:00"))
    card = next(card for who, card in sent.sent if who == "wecom:boss")
    assert card.lines == ("🔴 杭州华力机械（张伟负责）：已14天没有跟进",)


@pytest.mark.usefixtures("team")
def test_deals_in_negotiation_go_red_sooner(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say("拜访杭州华力机械王总 13912345678 谈账期 月结60天")
    with rt.transaction() as s:
        assert s.scalars(select(Lead.stage)).one() == "negotiation"
    assert run(rt, escalate, at("2026-12-05T10:00"))["new_alerts"] == 1  # 10 days


@pytest.mark.usefixtures("team")
def test_won_and_lost_leads_are_never_escalated(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say("杭州华力机械王总 13912345678 合同签了 已签约")
    with rt.transaction() as s:
        assert s.scalars(select(Lead.stage)).one() == "won"
    assert run(rt, escalate, at("2027-03-01T10:00"))["new_alerts"] == 0


@pytest.mark.usefixtures("team")
def test_several_alerts_reach_the_manager_as_one_card(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")
    assign(rt, "wecom:zhangwei", "苏州明达医疗器械")
    assert run(rt, escalate, at("2026-12-01T11:00")) == {"new_alerts": 2, "cards": 1}
    assert received(sent) == [("wecom:boss", "【高风险待介入（2条）】")]


@pytest.mark.usefixtures("team")
def test_a_lead_alerted_today_waits_until_tomorrow_for_its_next_alert(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装", at("2026-11-25T10:00"))
    run(rt, escalate, at("2026-11-30T10:00"))  # untouched: alerted Monday
    with rt.transaction() as s:
        lead = s.scalars(select(Lead)).one()
        lead.created_at = at("2026-11-16T10:00")  # pretend it was older: red today as well
    assert run(rt, escalate, at("2026-11-30T15:00")) == {"new_alerts": 2, "cards": 0}
    assert run(rt, escalate, at("2026-12-01T08:15")) == {"new_alerts": 0, "cards": 1}


@pytest.mark.usefixtures("team")
def test_new_activity_resolves_open_alerts(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")
    run(rt, escalate, at("2026-12-01T11:00"))
    Chat(rt, sent, "wecom:lisi").say("电话上海申通包装钱工 下周再聊", at("2026-12-01T14:00"))
    with rt.transaction() as s:
        assert s.scalars(select(Alert.status)).all() == ["resolved"]


def alert_buttons(sent: RecordingSender) -> dict[str, tuple[str, dict]]:
    card = next(card for who, card in reversed(sent.sent) if who == "wecom:boss" and card.buttons)
    return {b.label: (b.action, b.value) for b in card.buttons}


@pytest.mark.usefixtures("team")
def test_take_over_updates_the_card_with_who_did_what(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")
    run(rt, escalate, at("2026-12-01T11:00"))
    reply = Chat(rt, sent, "wecom:boss").click(*alert_buttons(sent)["我来跟进"], at("2026-12-01T11:05"))
    assert reply.splitlines()[-1] == "✅ 王经理已认领，亲自跟进（12月1日 11:05）"


@pytest.mark.usefixtures("team")
def test_nudge_reminds_the_owner(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")
    run(rt, escalate, at("2026-12-01T11:00"))
    start = len(sent.sent)
    Chat(rt, sent, "wecom:boss").click(*alert_buttons(sent)["提醒销售"], at("2026-12-01T11:05"))
    assert sorted(received(sent, start)) == [
        ("wecom:boss", "【高风险待介入】"),
        ("wecom:lisi", "【主管提醒：请尽快跟进「上海申通包装」】"),
    ]
    assert sent.texts[-1].endswith("✅ 王经理已提醒李四跟进（12月1日 11:05）") or "王经理已提醒李四跟进" in "".join(
        sent.texts[start:]
    )


@pytest.mark.usefixtures("team")
def test_reassign_moves_the_lead_and_tells_both_reps(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")
    run(rt, escalate, at("2026-12-01T11:00"))
    boss = Chat(rt, sent, "wecom:boss")
    choices = boss.click(*alert_buttons(sent)["改派…"], at("2026-12-01T11:05"))
    assert choices.splitlines()[0] == "【改派给谁？】" and choices.splitlines()[-1] == "[张伟]"
    start = len(sent.sent)
    boss.click(*alert_buttons(sent)["张伟"], at("2026-12-01T11:06"))
    assert sorted(received(sent, start)) == [
        ("wecom:boss", "【高风险待介入】"),
        ("wecom:lisi", "王经理已把「上海申通包装」改派给张伟，你无需再跟进。"),
        ("wecom:zhangwei", "【新线索分配给你：上海申通包装】"),
    ]
    with rt.transaction() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.owner.name == "张伟"


@pytest.mark.usefixtures("team")
def test_snooze_holds_the_alert_for_24_hours(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")
    run(rt, escalate, at("2026-12-01T11:00"))
    Chat(rt, sent, "wecom:boss").click(*alert_buttons(sent)["暂缓24小时"], at("2026-12-01T11:05"))
    assert run(rt, escalate, at("2026-12-02T11:00"))["cards"] == 0
    assert run(rt, escalate, at("2026-12-02T11:15"))["cards"] == 1


@pytest.mark.usefixtures("team")
def test_the_snooze_button_names_the_snooze_in_force(rt: Runtime, sent: RecordingSender) -> None:
    rt.rules = replace(rt.rules, snooze_hours=48)
    assign(rt, "wecom:lisi", "上海申通包装")
    run(rt, escalate, at("2026-12-01T11:00"))
    reply = Chat(rt, sent, "wecom:boss").click(*alert_buttons(sent)["暂缓48小时"], at("2026-12-01T11:05"))
    assert reply.splitlines()[-1] == "✅ 王经理选择暂缓，后天 12月3日（周四） 11:05仍未跟进会再提醒（12月1日 11:05）"


@pytest.mark.usefixtures("team")
def test_a_rep_pressing_a_managers_alert_button_is_refused(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")
    run(rt, escalate, at("2026-12-01T11:00"))
    reply = Chat(rt, sent, "wecom:lisi").click(*alert_buttons(sent)["我来跟进"], at("2026-12-01T11:05"))
    assert reply == "这张卡片是发给主管的，你没有权限处理。"
    with rt.transaction() as s:
        assert s.scalars(select(Alert.status)).all() == ["open"]


# ---------------------------------------------------------------- digest and leaderboard


@pytest.mark.usefixtures("team")
def test_the_morning_digest_goes_once_per_working_day(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say("拜访杭州华力机械王总 13912345678 后天再约")  # due Friday
    assign(rt, "wecom:lisi", "上海申通包装")
    start = len(sent.sent)
    assert run(rt, digest, at("2026-11-27T08:30")) == {"digests": 1, "rep_cards": 2}
    assert run(rt, digest, at("2026-11-27T08:31")) == {"digests": 0, "rep_cards": 0}
    assert run(rt, digest, at("2026-11-28T08:30")) == {"digests": 0, "rep_cards": 0}  # Saturday
    texts = dict(zip([who for who, _ in sent.sent[start:]], sent.texts[start:], strict=True))
    assert "📅 今日待跟进 1 条：" in texts["wecom:boss"]
    assert "📈 本周已记录跟进 1 条，比上周同期多1条。" in texts["wecom:boss"]
    assert texts["wecom:zhangwei"].splitlines()[1] == "1. 杭州华力机械 王总（今天到期，今天 11月27日（周五））"
    assert texts["wecom:lisi"].splitlines()[1] == "1. 上海申通包装 钱工（分配后还没联系）"


@pytest.mark.usefixtures("team")
def test_the_leaderboard_posts_last_week_to_each_group_once(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say(NOTE)
    Chat(rt, sent).say("电话宁波海天塑料机械李工 13800001111 要报价", at("2026-11-26T10:00"))
    assign(rt, "wecom:lisi", "上海申通包装")
    with rt.transaction() as s:
        add_group_target(
            s, "华东一组", channel="wecom_webhook", address="http://127.0.0.1:9/hook?key=x", secret=None, now=NOW
        )
        rt.senders["wecom_webhook"] = rt.senders["chat"]  # record the group post too
    start = len(sent.sent)
    assert run(rt, leaderboard, at("2026-11-30T09:24"))["posts"] == 0
    assert run(rt, leaderboard, at("2026-11-30T09:30")) == {"posts": 1, "private": 1}
    assert run(rt, leaderboard, at("2026-11-30T09:31")) == {"posts": 0, "private": 0}
    group = sent.texts[start]
    assert group.splitlines()[:3] == [
        "【华东一组 · 第48周（11月23日–11月29日） 排行榜】",
        "🏆 上周CRM之星：张伟",
        "🥇 张伟：跟进2条，新线索2个，推进2次，72小时首次跟进率100%",
    ]
    # 李四 logged nothing last week: not ranked, and no card telling him he is anywhere.
    assert received(sent, start + 1) == [("wecom:zhangwei", "【你的第48周（11月23日–11月29日）战绩】")]
    assert "团队排名：第1名 / 共1人" in sent.texts[start + 1]
    with rt.transaction() as s:
        assert s.scalars(select(GroupTarget.id)).all() == [1]


def group_post(rt: Runtime, sent: RecordingSender) -> Card:
    """Last week's leaderboard as posted to 华东一组's group (recorded), run on Monday 11-30."""
    with rt.transaction() as s:
        add_group_target(
            s, "华东一组", channel="wecom_webhook", address="http://127.0.0.1:9/hook?key=x", secret=None, now=NOW
        )
        rt.senders["wecom_webhook"] = rt.senders["chat"]
    start = len(sent.sent)
    run(rt, leaderboard, at("2026-11-30T09:30"))
    return sent.sent[start][1]


@pytest.mark.usefixtures("team")
def test_the_leaderboard_counts_last_weeks_lost_deals_by_reason(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    chat.say("拜访苏州恒通自动化李工 要样机")
    chat.say("电话回访宁波海天塑料机械李工 13800001111 有竞品在比")
    chat.say("#1 输单 太贵", at("2026-11-26T10:00"))
    chat.say("#2 输单 价格没谈拢", at("2026-11-26T10:00"))
    chat.say("#3 输单", at("2026-11-26T10:00"))
    assert render_text(group_post(rt, sent)).splitlines()[3] == "📉 上周丢单 3 单：价格 2、竞品 1"


@pytest.mark.usefixtures("team")
def test_a_week_without_lost_deals_says_nothing_of_them(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say(NOTE)
    assert "丢单" not in render_text(group_post(rt, sent))


@pytest.mark.usefixtures("team")
def test_the_lost_deals_line_is_in_the_wecom_and_feishu_group_posts(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    chat.say("#1 输单 客户今年没预算了", at("2026-11-26T10:00"))
    card = group_post(rt, sent)
    assert "📉 上周丢单 1 单：没预算 1" in render_markdown(card, ROBOT_MARKDOWN_LIMIT).splitlines()
    [lines, *_] = render_card(card, buttons=False, limit=WEBHOOK_BODY_BYTES)["body"]["elements"]
    assert lines["text"]["content"].splitlines()[-1] == "📉 上周丢单 1 单：没预算 1"


@pytest.mark.usefixtures("team")
def test_reps_with_the_same_score_share_a_rank(rt: Runtime, sent: RecordingSender) -> None:
    with rt.transaction() as s:
        add_user(s, "wecom:wangwu", name="王五", role="rep", team="华东一组", now=NOW)
    Chat(rt, sent, "wecom:zhangwei").say("电话杭州华力机械王总 13912345678")
    Chat(rt, sent, "wecom:lisi").say("电话宁波海天塑料机械李工 13800001111")
    Chat(rt, sent, "wecom:wangwu").say("电话苏州明达医疗器械孙主任 13700002222")
    Chat(rt, sent, "wecom:wangwu").say("微信苏州明达医疗器械孙主任 13700002222", at("2026-11-26T10:00"))
    with rt.transaction() as s:
        add_group_target(
            s, "华东一组", channel="wecom_webhook", address="http://127.0.0.1:9/hook?key=x", secret=None, now=NOW
        )
        rt.senders["wecom_webhook"] = rt.senders["chat"]
    start = len(sent.sent)
    assert run(rt, leaderboard, at("2026-11-30T09:30")) == {"posts": 1, "private": 3}
    lines = sent.texts[start].splitlines()
    assert lines[1] == "🏆 上周CRM之星：王五"
    assert [line.split("：")[0] for line in lines[2:5]] == ["🥇 王五", "🥈 张伟", "🥈 李四"]
    ranks = {
        who: text.split("团队排名：")[1].splitlines()[0]
        for who, text in zip([who for who, _ in sent.sent[start + 1 :]], sent.texts[start + 1 :], strict=True)
    }
    assert ranks == {"wecom:wangwu": "第1名 / 共3人", "wecom:zhangwei": "第2名 / 共3人", "wecom:lisi": "第2名 / 共3人"}


@pytest.mark.usefixtures("team")
def test_the_leaderboard_names_the_touch_window_in_force(rt: Runtime, sent: RecordingSender) -> None:
    rt.rules = replace(rt.rules, untouched_hours=48)
    Chat(rt, sent).say(NOTE)
    start = len(sent.sent)
    run(rt, leaderboard, at("2026-11-30T09:30"))
    assert "48小时首次跟进率：" in sent.texts[start]


@pytest.mark.usefixtures("team")
def test_a_holiday_monday_moves_the_leaderboard_to_the_next_working_day(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent, now=at("2026-09-30T10:00")).say(NOTE)
    # 2026-10-05 (Monday) is in the National Day holiday; the next working day is Thursday 10-08.
    assert run(rt, leaderboard, at("2026-10-05T09:30"))["private"] == 0
    assert run(rt, leaderboard, at("2026-10-08T09:30"))["private"] == 1
    assert run(rt, leaderboard, at("2026-10-09T09:30"))["private"] == 0


@pytest.mark.usefixtures("team")
def test_a_manager_assigns_a_new_lead_in_chat_and_it_escalates_if_untouched(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent, "wecom:boss").say("分配 上海申通包装 钱工 13800001111 给 李四")
    assert sorted(received(sent)) == [
        ("wecom:boss", "已把「上海申通包装」分配给李四，已通知对方。72小时（工作日）内没人跟进会提醒你。"),
        ("wecom:lisi", "【新线索分配给你：上海申通包装】"),
    ]
    assert run(rt, escalate, at("2026-11-30T10:00")) == {"new_alerts": 1, "cards": 1}


@pytest.mark.usefixtures("team")
def test_a_manager_moves_an_existing_lead_with_assign(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say(NOTE)
    start = len(sent.sent)
    Chat(rt, sent, "wecom:boss").say("分配 杭州华力机械 给 李四")
    assert sorted(received(sent, start)) == [
        ("wecom:boss", "已把「杭州华力机械」分配给李四，已通知对方。"),
        ("wecom:lisi", "【新线索分配给你：杭州华力机械】"),
        ("wecom:zhangwei", "王经理已把「杭州华力机械」改派给李四，你无需再跟进。"),
    ]


@pytest.mark.usefixtures("team")
def test_a_rep_cannot_assign_leads(rt: Runtime, sent: RecordingSender) -> None:
    assert Chat(rt, sent).say("分配 上海申通包装 给 李四") == "只有主管可以分配线索。需要转交客户请联系你的主管。"


@pytest.mark.usefixtures("team")
def test_a_follow_up_note_keeps_the_high_value_cadence(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say("拜访杭州华力机械王总 13912345678 预算80万")
    chat.say("电话杭州华力机械王总 13912345678 周五再打", at("2026-11-26T10:00"))
    with rt.transaction() as s:
        pending = sorted(s.scalars(select(Reminder.kind).where(Reminder.status == "pending")))
    assert pending == ["follow_up", "sop_d14", "sop_d3", "sop_d7"]


@pytest.mark.usefixtures("team")
def test_postponing_onto_an_existing_reminder_keeps_one(rt: Runtime, sent: RecordingSender) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    run(rt, reminders, at("2026-12-02T09:05"))
    postpone = sent.sent[-1][1].buttons[1]
    chat.say("电话杭州华力机械王总 13912345678 明天再联系", at("2026-12-02T09:08"))
    assert chat.click(postpone.action, postpone.value, at("2026-12-02T09:10")) == "这条提醒已经处理过了。"
    with rt.transaction() as s:
        assert s.scalars(select(Reminder.status).order_by(Reminder.id)).all() == ["done", "pending"]


@pytest.mark.usefixtures("team")
def test_the_previous_owner_cannot_use_old_reminder_buttons_after_reassignment(
    rt: Runtime, sent: RecordingSender
) -> None:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    run(rt, reminders, at("2026-12-02T09:05"))
    postpone = sent.sent[-1][1].buttons[1]
    Chat(rt, sent, "wecom:boss").say("分配 杭州华力机械 给 李四", at("2026-12-02T09:06"))
    assert (
        chat.click(postpone.action, postpone.value, at("2026-12-02T09:10")) == "这条提醒不是发给你的，不能替别人处理。"
    )


@pytest.mark.usefixtures("team")
def test_undoing_the_note_that_answered_an_alert_reopens_it(rt: Runtime, sent: RecordingSender) -> None:
    assign(rt, "wecom:lisi", "上海申通包装")
    run(rt, escalate, at("2026-12-01T11:00"))
    lisi = Chat(rt, sent, "wecom:lisi")
    lisi.say("电话上海申通包装钱工 下周再聊", at("2026-12-01T14:00"))
    lisi.say("撤销", at("2026-12-01T14:02"))
    with rt.transaction() as s:
        assert s.scalars(select(Alert.status)).all() == ["open"]


@pytest.mark.usefixtures("team")
def test_a_forged_button_value_is_refused(rt: Runtime, sent: RecordingSender) -> None:
    assert (
        Chat(rt, sent, "wecom:boss").click("alert_take", {"alert_ids": "1 OR 1=1"})
        == "这个按钮已失效，请重新发送指令。"
    )


@pytest.mark.usefixtures("team")
def test_a_flood_of_alerts_is_pushed_as_at_most_three_cards_of_ten(rt: Runtime, sent: RecordingSender) -> None:
    for n in range(35):
        assign(rt, "wecom:lisi", f"宁波第{n + 1}号模具厂")
    assert run(rt, escalate, at("2026-12-01T11:00")) == {"new_alerts": 35, "cards": 3}
    cards = [card for who, card in sent.sent if who == "wecom:boss"]
    assert [len(card.buttons[0].value["alert_ids"]) for card in cards] == [10, 10, 10]
    assert cards[-1].lines[-1] == "……另有 5 条线索需要关注，明早的主管早报里有汇总。"
    assert run(rt, escalate, at("2026-12-01T11:15")) == {"new_alerts": 0, "cards": 0}


@pytest.mark.usefixtures("team")
def test_the_morning_digest_shows_the_cockpits_three_numbers(rt: Runtime, sent: RecordingSender) -> None:
    Chat(rt, sent).say("拜访杭州华力机械王总 13912345678 后天再约 预算20万")  # 需求确认 (35%), due Friday
    assign(rt, "wecom:lisi", "上海申通包装", at("2026-11-20T09:00"))  # untouched for a week: 高风险待介入
    run(rt, escalate, at("2026-11-27T08:00"))
    with rt.transaction() as s:
        set_target(s, team="华东一组", month="2026-11", amount=500_000, now=NOW)
    start = len(sent.sent)
    run(rt, digest, at("2026-11-27T08:30"))
    boss = dict(zip([who for who, _ in sent.sent[start:]], sent.texts[start:], strict=True))["wecom:boss"]
    assert "📅 今日待跟进 1 条：" in boss
    assert "⚠️ 高风险待介入 1 条" in boss
    assert "🎯 本月预测 7万元 / 目标 50万元，缺口 43万元" in boss  # 20万 × 35%
