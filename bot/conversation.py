"""The platform-neutral conversation: an inbound message becomes storage actions and reply cards.

Platforms, `salesbot chat` and tests call only `handle` and `handle_action`. Nothing here knows a
platform's envelope; business rules live in storage/ and are composed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot import notices
from bot.cards import Button, Card, Field
from bot.format import lead_name, money, when
from bot.platforms.base import CardAction, InboundMessage
from config.rules import Rules
from nlp import ParsedNote, parse_note
from storage.activities import NoteFacts, Undone, last_undoable, lead_tag_ids, log_activity, undo_activity
from storage.alerts import alerts_for_actor, handle_alerts, snooze_alerts
from storage.leads import (
    Refusal,
    add_assigned_lead,
    due_follow_ups,
    find_lead,
    lead_for_actor,
    light,
    match_or_create_lead,
    owned_leads,
    reassign_lead,
    team_members,
)
from storage.models import Activity, Alert, Lead, User
from storage.people import ensure_user
from storage.reminders import reminder_for_actor, reschedule

ACTIVITY_LABELS = {
    "call": "电话",
    "visit": "拜访",
    "wechat": "微信沟通",
    "meeting": "会议",
    "demo": "演示",
    "quote": "报价",
    "sample": "样机/样品",
    "contract": "合同",
    "other": "跟进",
}
LIGHTS = {"green": "🟢", "yellow": "🟡", "red": "🔴"}
MAX_LIST = 15
EXAMPLE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"


def help_card(rules: Rules, title: str = "销售助手 · 使用说明") -> Card:
    return Card(
        title=title,
        lines=(
            "拜访或通话后，直接发一句话（打字或语音都行），我来建线索、记跟进、打标签、定提醒。",
            f"例如：{EXAMPLE}",
            "",
            "常用指令：",
            f"· 我的线索 —— 你名下的线索，🟢正常 🟡{rules.yellow_days}天未跟进 🔴{rules.red_days}天未跟进",
            "· 今日待办 —— 今天该跟进的客户（含已逾期）",
            f"· 撤销 —— 撤回你{rules.undo_minutes}分钟内的上一条记录",
            "· 分配 客户 给 销售 —— 主管把线索交给团队里的销售",
            "· 帮助 —— 显示本说明",
        ),
    )


@dataclass(frozen=True)
class Turn:
    """Everything one handled message needs: who, when (local time), and the rules in force."""

    session: Session
    actor: User
    now: datetime
    rules: Rules
    event_id: int | None
    source: str
    heard: str | None = None
    read: Callable[[str, datetime], ParsedNote] = parse_note

    def when(self, moment: datetime, *, has_time: bool) -> str:
        return when(moment, self.now, self.now.tzinfo, has_time=has_time)  # type: ignore[arg-type]


def handle(
    session: Session,
    message: InboundMessage,
    *,
    now: datetime,
    tz: ZoneInfo,
    rules: Rules,
    event_id: int | None = None,
    read: Callable[[str, datetime], ParsedNote] = parse_note,
) -> list[Card]:
    """Answer one message from a person. Raises only for unexpected failures (the caller apologises).
    `read` reads a note (the local reader by default)."""
    actor = ensure_user(session, message.sender, name=message.sender_name, now=now)
    heard = message.text if message.extra.get("transcript") else None
    turn = Turn(session, actor, now.astimezone(tz), rules, event_id, message.channel, heard, read)
    if message.kind == "unsupported":
        return [Card.text("暂不支持这种消息类型。请发文字或语音，说说这次跟进的情况。")]
    if message.kind == "event":  # the person opened the bot: the platform already limits this to once a day
        return [help_card(rules, title=f"你好，{actor.name}！我是销售助手")]
    if message.kind == "voice":  # the platform could not turn it into text
        return [Card.text("这条语音没能识别出文字。请直接打字，或用手机输入法的语音转文字后发送。")]
    text = message.text.strip()
    command = COMMANDS.get(_command_key(text))
    try:
        if command is not None:
            return [command(turn)]
        if text.startswith("分配"):
            return [_assign(turn, text.removeprefix("分配").strip())]
        if actor.pending:
            answer = _pending(turn, text)
            if answer is not None:
                return [answer]
        return [_note(turn, text)]
    except Refusal as refusal:
        return [Card.text(str(refusal))]


def handle_action(session: Session, click: CardAction, *, tz: ZoneInfo, rules: Rules) -> Card:
    """Carry out a card button for the person who clicked it; the returned card replaces the clicked one
    (unless it is a refusal, which platforms show without touching the card)."""
    actor = ensure_user(session, click.actor, name=None, now=click.received_at)
    turn = Turn(session, actor, click.received_at.astimezone(tz), rules, None, click.actor.partition(":")[0])
    action, value = click.action, click.value
    handler = ACTIONS.get(action)
    if handler is None:
        return Card.refusal("这个按钮已失效，请重新发送指令。")
    try:
        return handler(turn, value)
    except Refusal as refusal:
        return Card.refusal(str(refusal))


def _ids(value: dict, key: str) -> list[int]:
    """Whole-number ids under `key` of a button value (one or a list); a forged or stale value is refused."""
    raw = value.get(key)
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise Refusal("这个按钮已失效，请重新发送指令。")
    return items


def _id(value: dict, key: str) -> int:
    return _ids(value, key)[0]


def _command_key(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text).lower()


# ---------------------------------------------------------------- notes


def _note(turn: Turn, text: str) -> Card:
    if not text:
        return Card.text("没有收到内容。说说这次跟进的情况吧，例如：", EXAMPLE, "发「帮助」查看全部指令。")
    parsed = turn.read(text, turn.now)
    match = match_or_create_lead(
        turn.session,
        turn.actor,
        company=parsed.company,
        contact_name=parsed.contact_name,
        phone=parsed.phone,
        now=turn.now,
        rules=turn.rules,
    )
    if match is None:
        if not (parsed.tags or parsed.follow_up_at or parsed.contact_name or parsed.activity_type != "other"):
            return Card.text(
                "你好，我是销售助手。拜访或通话后发一句话给我，我来建线索、记跟进。例如：",
                EXAMPLE,
                "发「帮助」查看全部指令。",
            )
        return Card.text(
            "没认出是哪家客户：请带上公司名或手机号再发一次，我才能记到对应线索上。例如：",
            EXAMPLE,
        )
    if match.owned_by_other:
        lead = match.lead
        return Card(
            title="这家客户已有负责人",
            lines=(
                f"「{lead_name(lead)}」已由{lead.owner.name}跟进（线索 #{lead.id}），"
                "没有重复创建，也没有记录这条跟进。",
                f"如需协同，请联系{lead.owner.name}或你的主管。",
            ),
            level="warning",
        )
    activity = log_activity(
        turn.session,
        turn.actor,
        match.lead,
        text=text,
        facts=NoteFacts(
            activity_type=parsed.activity_type,
            tags=parsed.tags,
            follow_up_at=parsed.follow_up_at,
            follow_up_has_time=parsed.follow_up_has_time,
            amount=parsed.amount,
            stage_signal=parsed.stage_signal,
        ),
        source=turn.source,
        now=turn.now,
        rules=turn.rules,
        inbound_event_id=turn.event_id,
        created_lead=match.created,
    )
    return _logged_card(turn, match.lead, activity, parsed, created=match.created)


def _logged_card(turn: Turn, lead: Lead, activity: Activity, parsed: ParsedNote, *, created: bool) -> Card:
    fields = [Field("客户", f"{lead_name(lead)}（{'新线索' if created else '已有线索'} #{lead.id}）")]
    if lead.contact_name:
        fields.append(Field("联系人", lead.contact_name))
    if lead.phone:
        fields.append(Field("电话", lead.phone))
    fields.append(Field("类型", ACTIVITY_LABELS.get(activity.type, activity.type)))
    fields.append(Field("阶段", turn.rules.stage(lead.stage).label))
    if parsed.tags:
        fields.append(Field("标签", "、".join(turn.rules.tag_label(t) for t in parsed.tags)))
    if parsed.amount:
        fields.append(Field("金额", money(parsed.amount)))
    if activity.follow_up_at:
        fields.append(Field("下次跟进", turn.when(activity.follow_up_at, has_time=activity.follow_up_has_time)))
    else:
        fields.append(Field("下次跟进", "未设置（可补一句，如「下周三再约」）"))
    return Card(
        title=f"已记录：{lead_name(lead)}",
        lines=(f"🎤 听到：{turn.heard}",) if turn.heard else (),
        fields=tuple(fields),
        buttons=(Button("撤销", "undo", {"activity_id": activity.id}, style="danger"),),
        level="success",
        note=f"识别有误？{turn.rules.undo_minutes}分钟内点「撤销」或回复「撤销」，再重新发送。",
    )


def _pending(turn: Turn, text: str) -> Card | None:
    """Answer what the bot asked for (a new reminder time); None to treat the text as a note instead."""
    pending, turn.actor.pending = turn.actor.pending or {}, None
    if "reschedule" not in pending or datetime.fromisoformat(pending["until"]) < turn.now:
        return None
    parsed = parse_note(text, turn.now)
    if parsed.follow_up_at is None or parsed.company or parsed.phone:
        return None
    reminder = reminder_for_actor(turn.session, turn.actor, int(pending["reschedule"]))
    reschedule(turn.session, reminder, parsed.follow_up_at, has_time=parsed.follow_up_has_time, rules=turn.rules)
    return Card.text(f"好的，改到{turn.when(parsed.follow_up_at, has_time=parsed.follow_up_has_time)}提醒你。")


# ---------------------------------------------------------------- commands


def _help(turn: Turn) -> Card:
    return help_card(turn.rules)


def _my_leads(turn: Turn) -> Card:
    leads = owned_leads(turn.session, turn.actor)
    if not leads:
        return Card(title="我的线索", lines=("你名下还没有线索。拜访或通话后发一句话给我，就会自动建好。",))
    severity = {"red": 0, "yellow": 1, "green": 2}
    far = datetime.max.replace(tzinfo=turn.now.tzinfo)
    lights = {lead.id: light(lead, turn.now, turn.rules) for lead in leads}
    leads.sort(key=lambda ld: (severity[lights[ld.id]], ld.next_follow_up_at or far, ld.id))
    tags = lead_tag_ids(turn.session, [ld.id for ld in leads[:MAX_LIST]])
    lines = []
    for lead in leads[:MAX_LIST]:
        parts = [f"{LIGHTS[lights[lead.id]]} {lead_name(lead)}"]
        if lead.company and lead.contact_name:
            parts.append(lead.contact_name)
        parts.append(turn.rules.stage(lead.stage).label)
        if tags[lead.id]:
            parts.append("/".join(turn.rules.tag_label(t) for t in turn.rules.sort_tags(tags[lead.id])))
        if lead.next_follow_up_at:
            parts.append("下次 " + turn.when(lead.next_follow_up_at, has_time=lead.next_follow_up_has_time))
        lines.append(" · ".join(parts))
    if len(leads) > MAX_LIST:
        lines.append(f"……另有 {len(leads) - MAX_LIST} 条")
    counts = {c: sum(1 for v in lights.values() if v == c) for c in severity}
    return Card(
        title=f"我的线索（{len(leads)}）",
        lines=tuple(lines),
        note=f"🟢{counts['green']} 🟡{counts['yellow']} 🔴{counts['red']}  🟡={turn.rules.yellow_days}天未跟进 "
        f"🔴={turn.rules.red_days}天未跟进",
    )


def _today(turn: Turn) -> Card:
    end_of_day = datetime.combine(turn.now.date() + timedelta(days=1), time(), tzinfo=turn.now.tzinfo)
    leads = due_follow_ups(turn.session, turn.actor, end_of_day, turn.rules)
    if not leads:
        return Card(title="今日待办", lines=("今天没有到期的跟进，可以去开发新客户了 💪",))
    lines = []
    for lead in leads[:MAX_LIST]:
        due = lead.next_follow_up_at
        assert due is not None
        mark = "⚠️ 已逾期" if due.astimezone(turn.now.tzinfo).date() < turn.now.date() else "⏰"
        who = f"{lead_name(lead)} {lead.contact_name or ''}" if lead.company else lead_name(lead)
        lines.append(f"{mark} {turn.when(due, has_time=lead.next_follow_up_has_time)} {who}")
    if len(leads) > MAX_LIST:
        lines.append(f"……另有 {len(leads) - MAX_LIST} 条")
    return Card(title=f"今日待办（{len(leads)}）", lines=tuple(lines), note="跟进后发一句话记录，提醒会自动完成。")


def _undo(turn: Turn) -> Card:
    activity = last_undoable(turn.session, turn.actor, turn.now, turn.rules)
    if activity is None:
        return Card.text(f"{turn.rules.undo_minutes}分钟内没有可撤销的记录。")
    return _undone_card(undo_activity(turn.session, activity))


def _undo_action(turn: Turn, value: dict) -> Card:
    activity = turn.session.get(Activity, _id(value, "activity_id"))
    if activity is None:
        raise Refusal("这条记录已经撤销过了。")
    if activity.author_id != turn.actor.id:
        raise Refusal("只有记录人本人可以撤销这条记录。")
    if turn.now - activity.created_at > timedelta(minutes=turn.rules.undo_minutes):
        raise Refusal(f"这条记录已超过{turn.rules.undo_minutes}分钟，不能撤销了。如需更正，请再发一条说明。")
    return _undone_card(undo_activity(turn.session, activity))


def _undone_card(undone: Undone) -> Card:
    name = undone.company or f"线索 #{undone.lead_id}"
    extra = "，这条记录新建的线索也已删除" if undone.lead_deleted else ""
    return Card.text(f"已撤销对「{name}」的上一条记录{extra}。")


def _assign(turn: Turn, request: str) -> Card:
    """分配 <customer, contact, phone> 给 <rep>: a manager gives a rep a new lead, or moves an existing one."""
    if turn.actor.role not in ("manager", "admin"):
        raise Refusal("只有主管可以分配线索。需要转交客户请联系你的主管。")
    what, sep, who = request.rpartition("给")
    members = team_members(turn.session, turn.actor)
    rep = next((m for m in members if m.name == who.strip()), None)
    if not sep or rep is None:
        names = "、".join(m.name for m in members) or "（团队里还没有销售）"
        return Card.text("用法：分配 客户公司 联系人 电话 给 销售姓名", f"可以分配给：{names}")
    parsed = parse_note(what, turn.now)
    if not parsed.company and not parsed.phone:
        return Card.text("没认出是哪家客户：请写上公司名或手机号，例如「分配 上海申通包装 钱工 给 李四」。")
    lead = find_lead(turn.session, phone=parsed.phone, company=parsed.company)
    if lead is not None:
        lead = lead_for_actor(turn.session, turn.actor, lead.id)
        if lead.owner_id == rep.id:
            return Card.text(f"「{lead_name(lead)}」已经由{rep.name}负责了。")
        _move_lead(turn, lead, rep)
    else:
        lead = add_assigned_lead(
            turn.session,
            rep,
            company=parsed.company or parsed.phone or "",
            contact_name=parsed.contact_name,
            phone=parsed.phone,
            now=turn.now,
            rules=turn.rules,
        )
        card = notices.assigned_card(lead, turn.actor, turn.rules.untouched_hours)
        notices.push(turn.session, rep, card, kind="assign", dedup_key=f"assign:{lead.id}:{rep.id}")
    done = f"已把「{lead_name(lead)}」分配给{rep.name}，已通知对方。"
    if lead.last_activity_at is None:
        done += f"{turn.rules.untouched_hours}小时（工作日）内没人跟进会提醒你。"
    return Card.text(done)


def _move_lead(turn: Turn, lead: Lead, rep: User) -> None:
    """Reassign `lead` to `rep` and tell both reps."""
    previous = reassign_lead(turn.session, lead, rep)
    to_new, to_previous = notices.reassigned_cards(lead, previous, rep, turn.actor)
    stamp = f"{turn.now:%Y%m%dT%H%M%S}"
    for user, card in ((rep, to_new), (previous, to_previous)):
        notices.push(turn.session, user, card, kind="reassign", dedup_key=f"reassign:{lead.id}:{user.id}:{stamp}")


# ---------------------------------------------------------------- reminder buttons


def _reminder_done(turn: Turn, value: dict) -> Card:
    reminder = reminder_for_actor(turn.session, turn.actor, _id(value, "reminder_id"))
    lead = lead_for_actor(turn.session, turn.actor, reminder.lead_id)
    log_activity(
        turn.session,
        turn.actor,
        lead,
        text="已完成跟进（来自提醒）",
        facts=NoteFacts(activity_type="other", tags=(), follow_up_at=None, follow_up_has_time=False, amount=None),
        source=turn.source,
        now=turn.now,
        rules=turn.rules,
    )
    reminder.status = "done"
    return Card(
        title=f"已完成：{lead_name(lead)}",
        lines=("已记为一次跟进。有新情况或下次约好了时间，发一句话告诉我。",),
        level="success",
    )


def _reminder_postpone(turn: Turn, value: dict) -> Card:
    reminder = reminder_for_actor(turn.session, turn.actor, _id(value, "reminder_id"))
    due = reminder.due_at.astimezone(turn.now.tzinfo) + timedelta(days=1)
    while due <= turn.now:
        due += timedelta(days=1)
    reschedule(turn.session, reminder, due, has_time=reminder.has_time, rules=turn.rules)
    return Card.text(f"好的，推迟到{turn.when(due, has_time=reminder.has_time)}再提醒你。")


def _reminder_reschedule(turn: Turn, value: dict) -> Card:
    reminder = reminder_for_actor(turn.session, turn.actor, _id(value, "reminder_id"))
    turn.actor.pending = {"reschedule": reminder.id, "until": (turn.now + timedelta(minutes=30)).isoformat()}
    return Card.text("好的，请直接回复新的跟进时间，例如「周五下午3点」或「下周一上午」。")


# ---------------------------------------------------------------- alert buttons (managers)


def _alerts(turn: Turn, value: dict) -> list[Alert]:
    alerts = alerts_for_actor(turn.session, turn.actor, _ids(value, "alert_ids"))
    if all(a.status in ("handled", "resolved") for a in alerts):
        raise Refusal("这张卡片上的线索已经处理过了。")
    return alerts


def _handled(turn: Turn, alerts: list[Alert], outcome: str) -> Card:
    stamp = f"{turn.now.month}月{turn.now.day}日 {turn.now:%H:%M}"
    return notices.handled_card(alerts, turn.now, turn.now.tzinfo, f"{turn.actor.name}{outcome}（{stamp}）")  # type: ignore[arg-type]


def _alert_take(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    handle_alerts(alerts, actor=turn.actor, action="take", now=turn.now)
    return _handled(turn, alerts, "已认领，亲自跟进")


def _alert_nudge(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    for alert in alerts:
        notices.push(
            turn.session,
            alert.lead.owner,
            notices.nudge_card(alert.lead, turn.actor),
            kind="nudge",
            dedup_key=f"nudge:{alert.id}",
        )
    handle_alerts(alerts, actor=turn.actor, action="nudge", now=turn.now)
    owners = "、".join(dict.fromkeys(a.lead.owner.name for a in alerts))
    return _handled(turn, alerts, f"已提醒{owners}跟进")


def _alert_reassign(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    return notices.reassign_choices(alerts, team_members(turn.session, turn.actor))


def _alert_reassign_to(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    new_owner = next((m for m in team_members(turn.session, turn.actor) if m.id == _id(value, "user_id")), None)
    if new_owner is None:
        raise Refusal("只能改派给你团队里的销售。")
    for alert in alerts:
        if alert.lead.owner_id != new_owner.id:
            _move_lead(turn, alert.lead, new_owner)
    handle_alerts(alerts, actor=turn.actor, action="reassign", now=turn.now)
    return _handled(turn, alerts, f"已改派给{new_owner.name}")


def _alert_snooze(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    until = snooze_alerts(alerts, actor=turn.actor, now=turn.now, rules=turn.rules)
    return _handled(turn, alerts, f"选择暂缓，{turn.when(until, has_time=True)}仍未跟进会再提醒")


COMMANDS = {
    "帮助": _help,
    "help": _help,
    "菜单": _help,
    "我的线索": _my_leads,
    "线索": _my_leads,
    "我的客户": _my_leads,
    "今日待办": _today,
    "今天待办": _today,
    "待办": _today,
    "撤销": _undo,
    "撤回": _undo,
    "undo": _undo,
}
ACTIONS = {
    "undo": _undo_action,
    "reminder_done": _reminder_done,
    "reminder_postpone": _reminder_postpone,
    "reminder_reschedule": _reminder_reschedule,
    "alert_take": _alert_take,
    "alert_nudge": _alert_nudge,
    "alert_reassign": _alert_reassign,
    "alert_reassign_to": _alert_reassign_to,
    "alert_snooze": _alert_snooze,
}
