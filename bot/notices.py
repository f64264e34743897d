"""Cards the bot pushes on its own: reminders, alerts, digests and leaderboards (platform-neutral; the words
are in bot/texts.py)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.orm import Session

from bot import texts
from bot.cards import Button, Card, Field
from bot.format import lead_name, money, person_name, when
from config.rules import Rules
from nlp import parse_note
from storage.activities import latest_notes
from storage.forecast import Forecast
from storage.models import Alert, Lead, Reminder, User
from storage.outbox import notify_user
from storage.reports import Digest, Pressing, Ranked, RepWeek
from storage.states import LostReason


def push(session: Session, user: User, card: Card, *, kind: str, dedup_key: str) -> bool:
    """Queue `card` for `user` on their platform; False if this dedup key was queued before."""
    payload = {"card": card.to_dict(), "update_ref": None}
    return notify_user(session, user, kind=kind, payload=payload, dedup_key=dedup_key)


def reminder_card(reminder: Reminder, lead: Lead, now: datetime, tz: tzinfo) -> Card:
    if reminder.kind.startswith("sop_d"):
        title, first = texts.sop_reminder(lead_name(lead), money(lead.amount or 0), reminder.kind.removeprefix("sop_d"))
    else:
        title, first = texts.follow_up_reminder(
            lead_name(lead), when(reminder.due_at, now, tz, has_time=reminder.has_time)
        )
    value = {"reminder_id": reminder.id}
    done, postpone, reschedule = texts.REMINDER_BUTTONS
    return Card(
        title=title,
        lines=(first,),
        fields=(Field(texts.CUSTOMER, lead_name(lead)), *_contact_fields(lead)),
        buttons=(
            Button(done, "reminder_done", value, style="primary"),
            Button(postpone, "reminder_postpone", value),
            Button(reschedule, "reminder_reschedule", value),
        ),
        level="warning",
        note=texts.REMINDER_NOTE,
    )


def _alert_line(alert: Alert, now: datetime, tz: tzinfo, risk_words: tuple[str, ...]) -> str:
    lead = alert.lead
    who = texts.owned_by(lead_name(lead), person_name(lead.owner))
    if alert.rule == "untouched":
        return texts.alert_untouched(who, when(lead.created_at, now, tz, has_time=False))
    return texts.alert_red(who, (now - alert.basis_at).days, risk_words)


def _risk_words(session: Session, alerts: list[Alert], now: datetime) -> dict[int, tuple[str, ...]]:
    """Per lead, the risk words (嫌贵, 在比价) of its last note, so a manager sees what the neglect may cost."""
    last_notes = latest_notes(session, [a.lead_id for a in alerts], per_lead=1)
    return {lead_id: parse_note(notes[0], now).risk_words for lead_id, notes in last_notes.items()}


def alert_card(
    session: Session, alerts: list[Alert], now: datetime, tz: tzinfo, rules: Rules, *, more: int = 0
) -> Card:
    """One card for a batch of a manager's new alerts; its buttons act on all of them. `more` counts the
    alerts of this run that are not pushed as cards."""
    untouched = any(a.rule == "untouched" for a in alerts)
    title = texts.ALERT_UNTOUCHED_TITLE if untouched else texts.ALERT_RED_TITLE
    if len(alerts) > 1:
        title = texts.alerts_counted(title, len(alerts))
    value = {"alert_ids": [a.id for a in alerts]}
    risks = _risk_words(session, alerts, now)
    lines = tuple(_alert_line(a, now, tz, risks.get(a.lead_id, ())) for a in alerts)
    return Card(
        title=title,
        lines=lines + ((texts.alert_more(more),) if more else ()),
        buttons=(
            Button(texts.ALERT_TAKE, "alert_take", value, style="primary"),
            Button(texts.ALERT_NUDGE, "alert_nudge", value),
            Button(texts.ALERT_REASSIGN, "alert_reassign", value),
            Button(texts.snooze_button(rules), "alert_snooze", value),
        ),
        level="danger",
    )


def handled_card(session: Session, alerts: list[Alert], now: datetime, tz: tzinfo, rules: Rules, outcome: str) -> Card:
    """The alert card after a manager acted: same lines, no buttons, who did what."""
    card = alert_card(session, alerts, now, tz, rules)
    return Card(title=card.title, lines=(*card.lines, f"✅ {outcome}"), level="success")


def nudge_card(lead: Lead, manager: User) -> Card:
    title, line = texts.nudge(lead_name(lead), person_name(manager))
    return Card(title=title, lines=(line,), fields=_contact_fields(lead), level="warning")


def reassigned_cards(lead: Lead, previous: User, new_owner: User, manager: User) -> tuple[Card, Card]:
    """(to the new owner, to the previous owner)."""
    name, by = lead_name(lead), person_name(manager)
    title, line = texts.reassigned_to_you(name, person_name(previous), by)
    return (
        Card(title=title, lines=(line,), fields=_contact_fields(lead), level="info"),
        Card.text(texts.reassigned_away(name, person_name(new_owner), by)),
    )


def assigned_card(lead: Lead, manager: User, rules: Rules) -> Card:
    title, line = texts.assigned_to_you(lead_name(lead), person_name(manager), rules)
    return Card(title=title, lines=(line,), fields=_contact_fields(lead), level="info")


def _contact_fields(lead: Lead) -> tuple[Field, ...]:
    fields = (Field(texts.CONTACT, lead.contact_name or ""), Field(texts.PHONE, lead.phone or ""))
    return tuple(f for f in fields if f.value)


def reassign_choices(alerts: list[Alert], members: list[User]) -> Card:
    owners = {a.lead.owner_id for a in alerts}
    choices = [m for m in members if m.id not in owners][:8]
    if not choices:
        return Card.refusal(texts.NO_ONE_TO_REASSIGN)
    ids = [a.id for a in alerts]
    return Card(
        title=texts.REASSIGN_TITLE,
        lines=tuple(texts.reassign_choice(lead_name(a.lead), person_name(a.lead.owner)) for a in alerts),
        buttons=tuple(
            Button(person_name(m), "alert_reassign_to", {"alert_ids": ids, "user_id": m.id}) for m in choices
        ),
    )


HANDOVER_LINES = 10
HANDOVER_CHOICES = 8


def handover_card(leaver: User, leads: list[Lead], members: list[User], rules: Rules) -> Card:
    """To the manager of someone who left: their open leads, and one 改派 button per rep who may take them all."""
    lines = [texts.handover_line(lead_name(lead), rules.stage(lead.stage).label) for lead in leads[:HANDOVER_LINES]]
    if len(leads) > HANDOVER_LINES:
        lines.append(texts.handover_more(len(leads) - HANDOVER_LINES))
    choices = [m for m in members if m.id != leaver.id][:HANDOVER_CHOICES]
    lines.append(texts.HANDOVER_CHOOSE if choices else texts.NO_ONE_TO_HAND_OVER_TO)
    return Card(
        title=texts.handover_title(person_name(leaver), len(leads)),
        lines=tuple(lines),
        buttons=tuple(
            Button(texts.handover_button(person_name(m)), "handover_to", {"leaver_id": leaver.id, "user_id": m.id})
            for m in choices
        ),
        level="warning",
    )


def rep_morning_card(pressing: list[Pressing], now: datetime, tz: tzinfo) -> Card:
    lines = []
    for i, item in enumerate(pressing, 1):
        lead = item.lead
        extra = ""
        if item.reason in ("overdue", "today") and lead.next_follow_up_at:
            extra = "，" + when(lead.next_follow_up_at, now, tz, has_time=lead.next_follow_up_has_time)
        lines.append(
            f"{i}. {lead_name(lead)} {lead.contact_name or ''}".rstrip()
            + f"（{texts.PRESSING_REASONS[item.reason]}{extra}）"
        )
    return Card(title=texts.MORNING_TITLE, lines=tuple(lines), note=texts.MORNING_NOTE, level="info")


def _forecast_line(forecast: Forecast) -> str:
    if forecast.target is None or forecast.gap is None:
        return texts.digest_forecast_no_target(money(forecast.forecast))
    return texts.digest_forecast(money(forecast.forecast), money(forecast.target), money(forecast.gap))


def digest_card(manager: User, digest: Digest, now: datetime, tz: tzinfo) -> Card:
    lines = [texts.digest_hello(person_name(manager))]
    if digest.follow_ups_today:
        lines.append(texts.digest_due(len(digest.follow_ups_today)))
        lines.extend(
            texts.digest_due_line(
                lead_name(lead),
                person_name(lead.owner),
                when(lead.next_follow_up_at, now, tz, has_time=lead.next_follow_up_has_time),
            )
            for lead in digest.follow_ups_today[:5]
            if lead.next_follow_up_at
        )
    else:
        lines.append(texts.DIGEST_NOTHING_DUE)
    lines.append(texts.digest_counts(digest.high_risk, digest.red, digest.yellow))
    lines.append(_forecast_line(digest.forecast))
    if digest.worst:
        lines.append(texts.DIGEST_WORST)
        lines.extend(
            texts.digest_worst_line(
                lead_name(lead), person_name(lead.owner), (now - (lead.last_activity_at or lead.created_at)).days
            )
            for lead in digest.worst
        )
    if digest.left_behind:
        lines.append(texts.digest_left_behind(len(digest.left_behind)))
        lines.extend(
            texts.digest_left_behind_line(lead_name(lead), person_name(lead.owner)) for lead in digest.left_behind[:5]
        )
    change = digest.activities_this_week - digest.activities_last_week
    lines.append(texts.digest_trend(digest.activities_this_week, change))
    return Card(title=texts.DIGEST_TITLE, lines=tuple(lines), level="info")


def _rate(row: RepWeek) -> str:
    return "—" if row.touch_rate is None else f"{row.touch_rate:.0%}"


def _won(row: RepWeek) -> str:
    return texts.won_count(row.won, money(row.won_amount) if row.won else None)


def _lost_line(lost: dict[LostReason, int]) -> tuple[str, ...]:
    """上周丢单 3 单：价格 2、竞品 1 (most frequent reason first), or nothing for a week without losses."""
    counted = sorted(((n, reason) for reason, n in lost.items() if n), key=lambda pair: -pair[0])
    if not counted:
        return ()
    reasons = "、".join(f"{texts.LOST_REASONS[reason]} {n}" for n, reason in counted)
    return (texts.lost_last_week(sum(lost.values()), reasons),)


def leaderboard_card(
    team_name: str, week_label: str, ranked: list[Ranked], total: int, lost: dict[LostReason, int], rules: Rules
) -> Card:
    """The group post: the top reps by score (ties share a rank and a medal), the deals lost by reason; `total`
    activities of the team."""
    title = texts.leaderboard_title(team_name, week_label)
    top = ranked[: rules.leaderboard_top]
    if not top:
        return Card(title=title, lines=(texts.LEADERBOARD_EMPTY, *_lost_line(lost)))
    lines = [texts.stars("、".join(person_name(r.row.rep) for r in top if r.rank == 1))]
    for entry in top:
        row = entry.row
        medal = texts.MEDALS[entry.rank - 1] if entry.rank <= len(texts.MEDALS) else f"{entry.rank}."
        lines.append(
            texts.leaderboard_line(
                medal,
                person_name(row.rep),
                activities=row.activities,
                new_leads=row.new_leads,
                advances=row.advances,
                won=texts.won_part(row.won, money(row.won_amount)) if row.won else "",
                rate=_rate(row),
                rules=rules,
            )
        )
    return Card(title=title, lines=(*lines, *_lost_line(lost)), note=texts.leaderboard_note(total), level="success")


def private_rank_card(week_label: str, entry: Ranked, ranked_count: int, rules: Rules) -> Card:
    row = entry.row
    return Card(
        title=texts.my_week_title(week_label),
        fields=(
            Field(texts.RANK, texts.my_rank(entry.rank, ranked_count)),
            Field(texts.ACTIVITIES, texts.entries(row.activities)),
            Field(texts.NEW_LEADS, texts.pieces(row.new_leads)),
            Field(texts.ADVANCES, texts.times(row.advances)),
            Field(texts.WON, _won(row)),
            Field(texts.touch_rate_label(rules), _rate(row)),
        ),
        level="info",
    )
