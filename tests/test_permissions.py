"""Who may do what: every command and every card button, pressed by the owner, another rep, the manager of
another team, the owner's manager and an admin. A refusal changes nothing and says why; a forwarded card
clicked by the wrong person leaves the card as it was.

The world: 王经理 (wecom:boss1) manages 华东一组 with 张伟 (wecom:zhangwei, the owner) and 李四 (wecom:lisi);
赵经理 (wecom:boss2) manages 华南二组 with 王五 (wecom:wangwu); 管理员 (wecom:admin) is an admin. 张伟 has a
lead from a note (with a follow-up reminder) and an assigned lead that nobody touched, alerted to 王经理.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import runtime
from bot.conversation import ACTIONS, COMMANDS, EXAMPLE
from bot.periodic import escalate, reminders
from storage.leads import add_assigned_lead
from storage.models import Activity, Alert, Correction, Lead, Merge, OutboxMessage, Reminder, User, activity_tags
from storage.people import add_team, add_user, find_user
from tests.conftest import NOW, Chat, RecordingSender, make_runtime
from tests.stack import Stack, build_stack

TZ = ZoneInfo("Asia/Shanghai")
NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"
OWNER, OTHER_REP, OTHER_MANAGER, MANAGER, ADMIN = (
    "wecom:zhangwei",
    "wecom:lisi",
    "wecom:boss2",
    "wecom:boss1",
    "wecom:admin",
)
ACTORS = (OWNER, OTHER_REP, OTHER_MANAGER, MANAGER, ADMIN)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class World:
    rt: runtime.Runtime
    sent: RecordingSender
    buttons: dict[str, dict[str, Any]]  # action -> value, as on the cards the bot sent

    def snapshot(self, actor: str) -> tuple[Any, ...]:
        """Everything a button or command could change, except replies to `actor` themselves."""
        with self.rt.transaction() as s:
            return (
                s.execute(select(Activity.id, Activity.lead_id).order_by(Activity.id)).all(),
                s.execute(
                    select(
                        Lead.id,
                        Lead.owner_id,
                        Lead.next_follow_up_at,
                        Lead.company,
                        Lead.contact_name,
                        Lead.phone,
                        Lead.stage,
                        Lead.lost_reason,
                    ).order_by(Lead.id)
                ).all(),
                s.execute(select(activity_tags).order_by(activity_tags.c.activity_id, activity_tags.c.tag_id)).all(),
                s.execute(select(Correction.id)).all(),
                s.execute(select(Merge.id, Merge.undone_at)).all(),
                s.execute(select(Reminder.id, Reminder.status, Reminder.due_at, Reminder.user_id)).all(),
                s.execute(select(Alert.id, Alert.status, Alert.snoozed_until, Alert.handled_by_id)).all(),
                s.execute(select(User.id, User.pending).order_by(User.id)).all(),
                s.execute(select(OutboxMessage.dedup_key).where(OutboxMessage.recipient != actor)).all(),
            )

    def user_id(self, key: str) -> int:
        with self.rt.transaction() as s:
            user = find_user(s, key)
            assert user is not None
            return user.id


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    with runtime.installed(make_runtime(sqlite_url)) as rt:
        sent = rt.senders["chat"]
        assert isinstance(sent, RecordingSender)
        with rt.transaction() as s:
            add_user(s, MANAGER, name="王经理", role="manager", team=None, now=NOW)
            add_team(s, "华东一组", manager_key=MANAGER, now=NOW)
            add_user(s, OWNER, name="张伟", role="rep", team="华东一组", now=NOW)
            add_user(s, OTHER_REP, name="李四", role="rep", team="华东一组", now=NOW)
            add_user(s, OTHER_MANAGER, name="赵经理", role="manager", team=None, now=NOW)
            add_team(s, "华南二组", manager_key=OTHER_MANAGER, now=NOW)
            add_user(s, "wecom:wangwu", name="王五", role="rep", team="华南二组", now=NOW)
            add_user(s, ADMIN, name="管理员", role="admin", team=None, now=NOW)
        Chat(rt, sent, OWNER).say(NOTE)
        with rt.transaction() as s:
            owner = find_user(s, OWNER)
            assert owner is not None
            add_assigned_lead(
                s, owner, company="上海申通包装", contact_name="钱工", phone=None, now=NOW, rules=rt.rules
            )
        escalate(at("2026-12-01T11:00").isoformat())
        reminders(at("2026-12-02T09:05").isoformat())
        rt.queue.drain()
        Chat(rt, sent, OWNER).say("他说要样机", at("2026-12-01T12:00"))  # names no customer: a question card
        buttons = {b.action: b.value for _, card in sent.sent for b in card.buttons}
        buttons["which_lead"] = next(b.value for b in sent.sent[-1][1].buttons if "lead_id" in b.value)
        buttons |= {
            "lead_card": {"lead_id": 1},
            "stage_menu": {"lead_id": 1},
            "note_on": {"lead_id": 1},
            "move_note": {"activity_id": 1},
            "move_note_to": {"activity_id": 1, "lead_id": 2},
        }
        world = World(rt, sent, buttons)
        buttons["alert_reassign_to"] = {**buttons["alert_take"], "user_id": world.user_id(OTHER_REP)}
        buttons["correct"] = {"lead_id": 1, "intent": "remove_tag", "value": "价格敏感"}
        buttons["lead_won"] = buttons["lead_lost"] = {"lead_id": 1}
        with rt.transaction() as s:  # 老刘 of 华东一组 left the directory with an open lead
            leaver = add_user(s, "wecom:liu", name="老刘", role=None, team="华东一组", now=NOW)
            add_assigned_lead(s, leaver, company="宁波东方电子", contact_name=None, phone=None, now=NOW, rules=rt.rules)
            leaver.deactivated_at = NOW
        buttons["handover_to"] = {"leaver_id": world.user_id("wecom:liu"), "user_id": world.user_id(OTHER_REP)}
        yield world


# ---------------------------------------------------------------- card buttons

NOT_AUTHOR = "只有记录人本人可以撤销这条记录。"
NOT_YOUR_REMINDER = "这条提醒不是发给你的，不能替别人处理。"
MANAGERS_CARD = "这张卡片是发给主管的，你没有权限处理。"
NOT_YOUR_LEAD = "这条线索（杭州华力机械）由张伟负责，你没有权限操作。"
NOT_YOURS = NOT_YOUR_LEAD
STALE = "这个按钮已失效，请重新发送指令。"
MANAGERS_ONLY = "只有主管可以分配线索。需要转交客户请联系你的主管。"
ALLOWED = None

# When each button is pressed: undo within its ten minutes, reminders on their day, alerts after the scan.
PRESSED_AT = {
    "undo": NOW + timedelta(minutes=1),
    "move": NOW + timedelta(minutes=1),
    "reminder": at("2026-12-02T09:10"),
    "alert": at("2026-12-01T11:05"),
    "which": at("2026-12-01T12:05"),
    "note": at("2026-12-01T12:05"),
    **dict.fromkeys(("correct", "lead", "lost", "merge", "handover", "stage"), NOW + timedelta(minutes=2)),
}
# Buttons that only a card the owner asked for carries: what the owner says first (a minute after the note).
PREPARED_BY_OWNER = {"lost_reason": "#1 输单", "merge_undo": "合并 #2 到 #1"}
OWNER_ONLY_AND_MANAGERS = (ALLOWED, NOT_YOURS, NOT_YOURS, ALLOWED, ALLOWED)

# action -> the answer for (owner, other rep, other team's manager, owner's manager, admin); None = allowed.
ACTION_MATRIX: dict[str, tuple[str | None, ...]] = {
    "undo": (ALLOWED, NOT_AUTHOR, NOT_AUTHOR, NOT_AUTHOR, NOT_AUTHOR),
    "reminder_done": (ALLOWED, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER),
    "reminder_postpone": (ALLOWED, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER),
    "reminder_reschedule": (ALLOWED, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER, NOT_YOUR_REMINDER),
    "alert_take": (MANAGERS_CARD, MANAGERS_CARD, MANAGERS_CARD, ALLOWED, ALLOWED),
    "alert_nudge": (MANAGERS_CARD, MANAGERS_CARD, MANAGERS_CARD, ALLOWED, ALLOWED),
    "alert_reassign": (MANAGERS_CARD, MANAGERS_CARD, MANAGERS_CARD, ALLOWED, ALLOWED),
    "alert_reassign_to": (MANAGERS_CARD, MANAGERS_CARD, MANAGERS_CARD, ALLOWED, ALLOWED),
    "alert_snooze": (MANAGERS_CARD, MANAGERS_CARD, MANAGERS_CARD, ALLOWED, ALLOWED),
    "which_lead": (ALLOWED, STALE, STALE, STALE, STALE),
    "lead_card": (ALLOWED, NOT_YOUR_LEAD, NOT_YOUR_LEAD, ALLOWED, ALLOWED),
    "stage_menu": (ALLOWED, NOT_YOUR_LEAD, NOT_YOUR_LEAD, ALLOWED, ALLOWED),
    "note_tag": OWNER_ONLY_AND_MANAGERS,
    "note_on": (ALLOWED, NOT_YOUR_LEAD, NOT_YOUR_LEAD, ALLOWED, ALLOWED),
    "move_note": (ALLOWED, NOT_AUTHOR, NOT_AUTHOR, NOT_AUTHOR, NOT_AUTHOR),
    "move_note_to": (ALLOWED, NOT_AUTHOR, NOT_AUTHOR, NOT_AUTHOR, NOT_AUTHOR),
    "correct": OWNER_ONLY_AND_MANAGERS,
    "lead_won": OWNER_ONLY_AND_MANAGERS,
    "lead_lost": OWNER_ONLY_AND_MANAGERS,
    "lost_reason": OWNER_ONLY_AND_MANAGERS,
    "merge_undo": OWNER_ONLY_AND_MANAGERS,
    "handover_to": (
        MANAGERS_ONLY,
        MANAGERS_ONLY,
        "这条线索（宁波东方电子）由老刘负责，你没有权限操作。",
        ALLOWED,
        ALLOWED,
    ),
}
# These only show something (choices, a lead card): they change no row, so "allowed" shows as a card.
CHANGES_NOTHING_WHEN_ALLOWED = {"alert_reassign", "lead_card", "move_note", "stage_menu"}


def test_every_card_action_has_a_row_in_the_permission_matrix() -> None:
    assert sorted(ACTION_MATRIX) == sorted(ACTIONS)


@pytest.mark.parametrize(
    ("action", "actor", "refusal"),
    [
        (action, actor, answer)
        for action, row in ACTION_MATRIX.items()
        for actor, answer in zip(ACTORS, row, strict=True)
    ],
)
def test_each_button_is_honoured_only_for_those_allowed(
    world: World, action: str, actor: str, refusal: str | None
) -> None:
    value = world.buttons.get(action)
    if action in PREPARED_BY_OWNER:
        Chat(world.rt, world.sent, OWNER).say(PREPARED_BY_OWNER[action], NOW + timedelta(minutes=1))
        value = next(b.value for b in world.sent.sent[-1][1].buttons if b.action == action)
    assert value is not None
    press(world, action, value, actor, refusal)


# The 改阶段 card's buttons are `correct` buttons carrying a stage; a lost stage opens the 输单 flow.
STAGE_BUTTONS = ("谈判", "成交", "丢单")


@pytest.mark.parametrize(
    ("stage", "actor", "refusal"),
    [
        (stage, actor, answer)
        for stage in STAGE_BUTTONS
        for actor, answer in zip(ACTORS, OWNER_ONLY_AND_MANAGERS, strict=True)
    ],
)
def test_each_stage_button_is_honoured_only_for_those_allowed(
    world: World, stage: str, actor: str, refusal: str | None
) -> None:
    Chat(world.rt, world.sent, OWNER).click("stage_menu", {"lead_id": 1}, PRESSED_AT["stage"])
    [button] = [b for b in world.sent.sent[-1][1].buttons if b.label == stage]
    press(world, button.action, button.value, actor, refusal)


def press(world: World, action: str, value: dict[str, Any], actor: str, refusal: str | None) -> None:
    """`actor` presses the button: refused (the card stays and nothing changes) or carried out."""
    before = world.snapshot(actor)
    start = len(world.sent.sent)
    when = PRESSED_AT[action.split("_")[0]]
    text = Chat(world.rt, world.sent, actor).click(action, value, when)
    [(recipient, card)] = world.sent.sent[start:][-1:]
    assert recipient == actor
    if refusal is not None:
        assert (text, card.is_refusal) == (refusal, True)
        assert world.snapshot(actor) == before
    else:
        assert card.is_refusal is False
        assert (world.snapshot(actor) == before) is (action in CHANGES_NOTHING_WHEN_ALLOWED)


def test_a_forged_button_naming_an_alert_of_another_team_is_refused(world: World) -> None:
    before = world.snapshot(OTHER_MANAGER)
    value = {"alert_ids": world.buttons["alert_take"]["alert_ids"], "user_id": world.user_id("wecom:wangwu")}
    text = Chat(world.rt, world.sent, OTHER_MANAGER).click("alert_reassign_to", value, PRESSED_AT["alert"])
    assert text == MANAGERS_CARD
    assert world.snapshot(OTHER_MANAGER) == before


def test_the_owners_manager_cannot_reassign_to_a_rep_of_another_team(world: World) -> None:
    before = world.snapshot(MANAGER)
    value = {"alert_ids": world.buttons["alert_take"]["alert_ids"], "user_id": world.user_id("wecom:wangwu")}
    text = Chat(world.rt, world.sent, MANAGER).click("alert_reassign_to", value, PRESSED_AT["alert"])
    assert text == "只能改派给你团队里的销售。"
    assert world.snapshot(MANAGER) == before


def test_another_teams_manager_cannot_assign_the_owners_lead_and_is_told_whose_it_is(world: World) -> None:
    before = world.snapshot(OTHER_MANAGER)
    text = Chat(world.rt, world.sent, OTHER_MANAGER).say("分配 杭州华力机械 给 王五")
    assert text == "这条线索（杭州华力机械）由张伟负责，你没有权限操作。"
    assert world.snapshot(OTHER_MANAGER) == before


# ---------------------------------------------------------------- commands and notes

MY_LEADS = "我的线索"
TODAY = "今日待办"
UNDO = "撤销"
HELP = "帮助"
CONSOLE = "看板"


def first_line(text: str) -> str:
    return text.splitlines()[0]


# command -> (when it is said, the first line of the answer for each actor in ACTORS)
COMMAND_MATRIX: dict[str, tuple[datetime, tuple[str, ...]]] = {
    MY_LEADS: (NOW, ("【我的线索（2）】", *["【我的线索】"] * 4)),
    TODAY: (at("2026-12-02T09:10"), ("【今日待办（1）】", *["【今日待办】"] * 4)),
    UNDO: (
        NOW + timedelta(minutes=1),
        ("已撤销对「杭州华力机械」的上一条记录，这条记录新建的线索也已删除。", *["10分钟内没有可撤销的记录。"] * 4),
    ),
    HELP: (NOW, ("【销售助手 · 使用说明】",) * 5),
    CONSOLE: (NOW, ("【销售看板】",) * 5),  # a link that opens each speaker's own scope (tests/test_console_*.py)
}


def test_every_command_has_a_row_in_the_permission_matrix() -> None:
    assert {COMMANDS[text] for text in COMMAND_MATRIX} == set(COMMANDS.values())


@pytest.mark.parametrize(
    ("command", "actor", "expected"),
    [(c, actor, row[1][i]) for c, row in COMMAND_MATRIX.items() for i, actor in enumerate(ACTORS)],
)
def test_each_command_shows_and_changes_only_the_speakers_own_leads(
    world: World, command: str, actor: str, expected: str
) -> None:
    before = world.snapshot(actor)
    text = Chat(world.rt, world.sent, actor).say(command, COMMAND_MATRIX[command][0])
    assert first_line(text) == expected
    names_a_lead = any(company in text.replace(EXAMPLE, "") for company in ("杭州华力机械", "上海申通包装"))
    assert names_a_lead is (actor == OWNER and command not in (HELP, CONSOLE))
    assert (world.snapshot(actor) == before) is not (actor == OWNER and command == UNDO)


# Corrections, outcomes and merges, said a minute after the note: the first line of the answer for each actor.
# Naming a lead by number reaches it only for those allowed; naming it by company searches one's own leads.
CORRECTION_MATRIX: dict[str, tuple[str | None, ...]] = {
    "#1 去掉 价格敏感": ("已去掉「价格敏感」标签（杭州华力机械）。", NOT_YOURS, NOT_YOURS, None, None),
    "#1 加 竞品对比": ("已加上「竞品对比」标签（杭州华力机械）。", NOT_YOURS, NOT_YOURS, None, None),
    "#1 公司是 杭州华力重工": ("公司名已改为「杭州华力重工」（线索 #1）。", NOT_YOURS, NOT_YOURS, None, None),
    "#1 联系人 王建国": ("联系人已改为王建国（杭州华力机械）。", NOT_YOURS, NOT_YOURS, None, None),
    "#1 电话 13912345679": ("电话已改为13912345679（杭州华力机械）。", NOT_YOURS, NOT_YOURS, None, None),
    "#1 下次跟进 周五下午3点": (
        "好的，下次跟进改到后天 11月27日（周五） 15:00，到时提醒你（杭州华力机械）。",
        NOT_YOURS,
        NOT_YOURS,
        None,
        None,
    ),
    "#1 阶段 报价": ("阶段已改为「方案/报价」（杭州华力机械）。", NOT_YOURS, NOT_YOURS, None, None),
    "#1 赢单": ("【🎉 赢单：杭州华力机械】", NOT_YOURS, NOT_YOURS, None, None),
    "#1 输单 太贵": ("【输单：杭州华力机械】", NOT_YOURS, NOT_YOURS, None, None),
    "合并 #2 到 #1": (
        "【已合并：上海申通包装 → 杭州华力机械】",
        *["这条线索（上海申通包装）由张伟负责，你没有权限操作。"] * 2,
        None,
        None,
    ),
    "华力 去掉 价格敏感": (
        "已去掉「价格敏感」标签（杭州华力机械）。",
        *["你的客户里没有「华力」。发「我的线索」看看编号，再写「#编号 …」更正。"] * 4,
    ),
    "撤销合并": ("10分钟内没有可撤销的合并。",) * 5,
}
CHANGES_NOTHING = {"撤销合并"}


@pytest.mark.parametrize(
    ("command", "actor", "expected"),
    [(c, actor, row[i]) for c, row in CORRECTION_MATRIX.items() for i, actor in enumerate(ACTORS)],
)
def test_each_correction_reaches_only_the_leads_the_speaker_may_change(
    world: World, command: str, actor: str, expected: str | None
) -> None:
    before = world.snapshot(actor)
    text = Chat(world.rt, world.sent, actor).say(command, NOW + timedelta(minutes=1))
    allowed = CORRECTION_MATRIX[command][0]
    assert first_line(text) == (expected or allowed)
    changed = expected is None or (expected == allowed and command not in CHANGES_NOTHING)
    assert (world.snapshot(actor) != before) is changed


@pytest.mark.parametrize(
    ("actor", "logged"),
    [(OWNER, True), (OTHER_REP, False), (OTHER_MANAGER, False), (MANAGER, True), (ADMIN, True)],
)
def test_a_note_on_the_owners_lead_is_logged_only_by_those_allowed_to_act_on_it(
    world: World, actor: str, logged: bool
) -> None:
    before = world.snapshot(actor)
    text = Chat(world.rt, world.sent, actor).say("电话杭州华力机械王总 13912345678 样机已寄出", at("2026-12-03T10:00"))
    if logged:
        assert first_line(text) == "【已记录：杭州华力机械】"
    else:
        assert first_line(text) == "【这家客户已有负责人】"
        assert "已由张伟跟进" in text
        assert world.snapshot(actor) == before
    with world.rt.transaction() as s:
        assert len(s.scalars(select(Activity.id)).all()) == (2 if logged else 1)


# ---------------------------------------------------------------- forwarded cards on the platforms


@pytest.fixture
def platforms(sqlite_url: str) -> Iterator[Stack]:
    yield from build_stack(sqlite_url)


def test_a_forwarded_wecom_card_clicked_by_someone_else_leaves_the_card_and_says_why(platforms: Stack) -> None:
    platforms.wecom_text("7441256903418734592")
    platforms.work()
    click = {"EventKey": 'undo:{"activity_id":1}', "FromUserName": "lisi"}
    assert platforms.wecom_post("event__template_card_event", **click).status_code == 200
    platforms.work()
    assert platforms.wecom.calls("message/update_template_card") == []
    answer = platforms.wecom_sends[-1]
    assert (answer["touser"], answer["text"]) == ("lisi", {"content": NOT_AUTHOR})
    assert platforms.count(Activity) == 1


def test_a_forwarded_feishu_card_clicked_by_someone_else_is_answered_with_a_toast_only(platforms: Stack) -> None:
    from tests import fake_feishu

    platforms.feishu_text("om_5ce6d572455d361153b7cb51da133945")
    platforms.work()
    click = fake_feishu.fixture("card.action.trigger__undo")
    click["event"]["action"]["value"]["value"]["activity_id"] = 1
    click["event"]["operator"]["open_id"] = "ou_0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f"
    response = platforms.feishu_post(click)
    assert response.get_json() == {"toast": {"type": "warning", "content": NOT_AUTHOR}}
    assert platforms.count(Activity) == 1
