"""Cards the bot pushes on its own: reminders, alerts, digests and leaderboards (zh-CN, platform-neutral)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.orm import Session

from bot.cards import Button, Card, Field
from bot.format import lead_name, money, when
from config.rules import Rules
from storage.models import Alert, Lead, Reminder, User
from storage.outbox import notify_user
from storage.reports import Digest, Pressing, RepWeek

MEDALS = ("🥇", "🥈", "🥉")


def push(session: Session, user: User, card: Card, *, kind: str, dedup_key: str) -> bool:
    """Queue `card` for `user` on their platform; False if this dedup key was queued before."""
    payload = {"card": card.to_dict(), "update_ref": None}
    return notify_user(session, user, kind=kind, payload=payload, dedup_key=dedup_key)


def reminder_card(reminder: Reminder, lead: Lead, now: datetime, tz: tzinfo) -> Card:
    if reminder.kind.startswith("sop_d"):
        day = reminder.kind.removeprefix("sop_d")
        title = f"跟进节奏提醒：{lead_name(lead)}"
        first = f"这是重点客户（{money(lead.amount or 0)}），按跟进节奏第{day}天需要再联系一次。"
    else:
        title = f"该跟进了：{lead_name(lead)}"
        first = f"约定的跟进时间：{when(reminder.due_at, now, tz, has_time=reminder.has_time)}"
    fields = (Field("客户", lead_name(lead)), *_contact_fields(lead))
    value = {"reminder_id": reminder.id}
    return Card(
        title=title,
        lines=(first,),
        fields=fields,
        buttons=(
            Button("已完成", "reminder_done", value, style="primary"),
            Button("推迟1天", "reminder_postpone", value),
            Button("改时间", "reminder_reschedule", value),
        ),
        level="warning",
        note="跟进后发一句话记录情况，提醒会自动完成。",
    )


def _alert_line(alert: Alert, now: datetime, tz: tzinfo) -> str:
    lead = alert.lead
    who = f"{lead_name(lead)}（{lead.owner.name}负责）"
    if alert.rule == "untouched":
        return f"🆕 {who}：分配于{when(lead.created_at, now, tz, has_time=False)}，至今无人跟进"
    days = (now - alert.basis_at).days
    return f"🔴 {who}：已{days}天没有跟进"


def alert_card(alerts: list[Alert], now: datetime, tz: tzinfo, *, more: int = 0) -> Card:
    """One card for a batch of a manager's new alerts; its buttons act on all of them. `more` counts the
    alerts of this run that are not pushed as cards."""
    untouched = any(a.rule == "untouched" for a in alerts)
    title = "高风险待介入" if untouched else "线索转红：长期未跟进"
    if len(alerts) > 1:
        title += f"（{len(alerts)}条）"
    value = {"alert_ids": [a.id for a in alerts]}
    return Card(
        title=title,
        lines=tuple(_alert_line(a, now, tz) for a in alerts)
        + ((f"……另有 {more} 条线索需要关注，明早的主管早报里有汇总。",) if more else ()),
        buttons=(
            Button("我来跟进", "alert_take", value, style="primary"),
            Button("提醒销售", "alert_nudge", value),
            Button("改派…", "alert_reassign", value),
            Button("暂缓24小时", "alert_snooze", value),
        ),
        level="danger",
    )


def handled_card(alerts: list[Alert], now: datetime, tz: tzinfo, outcome: str) -> Card:
    """The alert card after a manager acted: same lines, no buttons, who did what."""
    card = alert_card(alerts, now, tz)
    return Card(title=card.title, lines=(*card.lines, f"✅ {outcome}"), level="success")


def nudge_card(lead: Lead, manager: User) -> Card:
    return Card(
        title=f"主管提醒：请尽快跟进「{lead_name(lead)}」",
        lines=(f"{manager.name}提醒你跟进这条线索。跟进后发一句话记录即可。",),
        fields=_contact_fields(lead),
        level="warning",
    )


def reassigned_cards(lead: Lead, previous: User, new_owner: User, manager: User) -> tuple[Card, Card]:
    """(to the new owner, to the previous owner)."""
    name = lead_name(lead)
    return (
        Card(
            title=f"新线索分配给你：{name}",
            lines=(f"{manager.name}把「{name}」从{previous.name}改派给你，请尽快联系。",),
            fields=_contact_fields(lead),
            level="info",
        ),
        Card.text(f"{manager.name}已把「{name}」改派给{new_owner.name}，你无需再跟进。"),
    )


def assigned_card(lead: Lead, manager: User, hours: int) -> Card:
    return Card(
        title=f"新线索分配给你：{lead_name(lead)}",
        lines=(
            f"{manager.name}把「{lead_name(lead)}」交给你，请在{hours}小时（工作日）内首次联系，联系后发一句话记录。",
        ),
        fields=_contact_fields(lead),
        level="info",
    )


def _contact_fields(lead: Lead) -> tuple[Field, ...]:
    return tuple(f for f in (Field("联系人", lead.contact_name or ""), Field("电话", lead.phone or "")) if f.value)


def reassign_choices(alerts: list[Alert], members: list[User]) -> Card:
    owners = {a.lead.owner_id for a in alerts}
    choices = [m for m in members if m.id not in owners][:8]
    if not choices:
        return Card.refusal("团队里没有其他销售可以改派。请联系管理员把成员加入团队。")
    ids = [a.id for a in alerts]
    return Card(
        title="改派给谁？",
        lines=tuple(f"· {lead_name(a.lead)}（现由{a.lead.owner.name}负责）" for a in alerts),
        buttons=tuple(Button(m.name, "alert_reassign_to", {"alert_ids": ids, "user_id": m.id}) for m in choices),
    )


_REASONS = {"overdue": "已逾期", "today": "今天到期", "red": "很久没跟进", "untouched": "分配后还没联系"}


def rep_morning_card(pressing: list[Pressing], now: datetime, tz: tzinfo) -> Card:
    lines = []
    for i, item in enumerate(pressing, 1):
        lead = item.lead
        extra = ""
        if item.reason in ("overdue", "today") and lead.next_follow_up_at:
            extra = "，" + when(lead.next_follow_up_at, now, tz, has_time=lead.next_follow_up_has_time)
        lines.append(
            f"{i}. {lead_name(lead)} {lead.contact_name or ''}".rstrip() + f"（{_REASONS[item.reason]}{extra}）"
        )
    return Card(title="今日必做", lines=tuple(lines), note="跟进后发一句话记录，我会帮你更新。", level="info")


def digest_card(manager: User, digest: Digest, now: datetime, tz: tzinfo) -> Card:
    lines = [f"早上好，{manager.name}。团队今天的情况："]
    if digest.follow_ups_today:
        lines.append(f"📅 今日待跟进 {len(digest.follow_ups_today)} 条：")
        lines.extend(
            f"  · {lead_name(lead)}（{lead.owner.name}）"
            f"{when(lead.next_follow_up_at, now, tz, has_time=lead.next_follow_up_has_time)}"
            for lead in digest.follow_ups_today[:5]
            if lead.next_follow_up_at
        )
    else:
        lines.append("📅 今日没有到期的跟进")
    lines.append(f"⚠️ 高风险待介入 {digest.high_risk} 条 · 🔴 {digest.red} 条 · 🟡 {digest.yellow} 条")
    if digest.worst:
        lines.append("最久未跟进：")
        lines.extend(
            f"  · {lead_name(lead)}（{lead.owner.name}，{(now - (lead.last_activity_at or lead.created_at)).days}天）"
            for lead in digest.worst
        )
    change = digest.activities_this_week - digest.activities_last_week
    trend = f"比上周同期{'多' if change > 0 else '少'}{abs(change)}条" if change else "与上周同期持平"
    lines.append(f"📈 本周已记录跟进 {digest.activities_this_week} 条，{trend}。")
    return Card(title="主管早报", lines=tuple(lines), level="info")


def _rate(row: RepWeek) -> str:
    return "—" if row.touch_rate is None else f"{row.touch_rate:.0%}"


def leaderboard_card(team_name: str, week_label: str, rows: list[RepWeek], rules: Rules) -> Card:
    top = [r for r in rows if r.score > 0][: rules.leaderboard_top]
    if not top:
        return Card(title=f"{team_name} · {week_label} 排行榜", lines=("上周还没有人记录跟进，这周加油！",))
    lines = [f"🏆 本周CRM之星：{top[0].rep.name}"]
    for i, row in enumerate(top):
        medal = MEDALS[i] if i < len(MEDALS) else f"{i + 1}."
        won = f"，成交{row.won}单 {money(row.won_amount)}" if row.won else ""
        lines.append(
            f"{medal} {row.rep.name}：跟进{row.activities}条，新线索{row.new_leads}个，推进{row.advances}次{won}，"
            f"72小时首次跟进率{_rate(row)}"
        )
    total = sum(r.activities for r in rows)
    return Card(
        title=f"{team_name} · {week_label} 排行榜",
        lines=tuple(lines),
        note=f"全组上周共记录跟进 {total} 条。积分 = 跟进 + 新线索×2 + 推进×3 + 成交×10。",
        level="success",
    )


def private_rank_card(week_label: str, rank: int, total: int, row: RepWeek) -> Card:
    return Card(
        title=f"你的{week_label}战绩",
        fields=(
            Field("团队排名", f"第{rank}名 / 共{total}人"),
            Field("跟进记录", f"{row.activities}条"),
            Field("新线索", f"{row.new_leads}个"),
            Field("阶段推进", f"{row.advances}次"),
            Field("成交", f"{row.won}单 {money(row.won_amount)}" if row.won else "0单"),
            Field("72小时首次跟进率", _rate(row)),
        ),
        level="info",
    )
