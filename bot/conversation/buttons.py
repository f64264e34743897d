"""Card buttons: undo and tags on a logged note, the reminder buttons (reps) and the alert buttons (managers).

Each handler returns the card that replaces the clicked one, or raises Refusal (the card stays as it was).
"""

from __future__ import annotations

from collections.abc import Callable

from bot import notices, texts
from bot.cards import Card
from bot.conversation.commands import undone_card
from bot.conversation.corrections import BUTTONS as CORRECTION_BUTTONS
from bot.conversation.handover import move_lead
from bot.conversation.lookup import show_lead
from bot.conversation.notes import (
    move_note_button,
    move_note_to_button,
    note_on_button,
    note_tag_button,
    which_button,
)
from bot.conversation.turn import Turn, ids, one_id
from bot.format import lead_name, person_name
from storage.activities import NoteFacts, log_activity, undo_activity, undoable
from storage.alerts import alerts_for_actor, handle_alerts, refuse_if_all_handled, snooze_alerts
from storage.awaiting import Question, ask
from storage.leads import lead_for_actor, team_members
from storage.leavers import leaver_leads_for_actor
from storage.models import Alert
from storage.refusals import Refusal, Why
from storage.reminders import mark_done, postpone_a_day, reminder_for_actor


def _undo(turn: Turn, value: dict) -> Card:
    activity = undoable(turn.session, turn.actor, one_id(value, "activity_id"), turn.now, turn.rules)
    return undone_card(undo_activity(turn.session, activity))


# ---------------------------------------------------------------- reminder buttons


def _reminder_done(turn: Turn, value: dict) -> Card:
    reminder = reminder_for_actor(turn.session, turn.actor, one_id(value, "reminder_id"))
    lead = lead_for_actor(turn.session, turn.actor, reminder.lead_id)
    log_activity(
        turn.session,
        turn.actor,
        lead,
        text=texts.REMINDER_DONE_NOTE,
        facts=NoteFacts(activity_type="other", tags=(), follow_up_at=None, follow_up_has_time=False, amount=None),
        source=turn.source,
        now=turn.now,
        rules=turn.rules,
    )
    mark_done(reminder)
    return Card(
        title=texts.reminder_done_title(lead_name(lead)),
        lines=(texts.REMINDER_DONE_LINE,),
        level="success",
    )


def _reminder_postpone(turn: Turn, value: dict) -> Card:
    reminder = reminder_for_actor(turn.session, turn.actor, one_id(value, "reminder_id"))
    due = postpone_a_day(turn.session, reminder, turn.now, rules=turn.rules)
    return Card.text(texts.postponed(turn.when(due, has_time=reminder.has_time)))


def _reminder_reschedule(turn: Turn, value: dict) -> Card:
    reminder = reminder_for_actor(turn.session, turn.actor, one_id(value, "reminder_id"))
    ask(turn.actor, Question.RESCHEDULE, reminder.id, turn.now)
    return Card.text(texts.ASK_NEW_TIME)


# ---------------------------------------------------------------- alert buttons (managers)


def _alerts(turn: Turn, value: dict) -> list[Alert]:
    alerts = alerts_for_actor(turn.session, turn.actor, ids(value, "alert_ids"))
    refuse_if_all_handled(alerts)
    return alerts


def _handled(turn: Turn, alerts: list[Alert], outcome: str) -> Card:
    return notices.handled_card(
        turn.session,
        alerts,
        turn.now,
        turn.now.tzinfo,  # type: ignore[arg-type]
        turn.rules,
        texts.handled(person_name(turn.actor), outcome, turn.now),
    )


def _alert_take(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    handle_alerts(alerts, actor=turn.actor, action="take", now=turn.now)
    return _handled(turn, alerts, texts.TAKEN)


def _alert_nudge(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    # One nudge per lead, though a lead may have two alerts (untouched and red) on the card.
    first_alert = {alert.lead_id: alert for alert in reversed(alerts)}
    for alert in sorted(first_alert.values(), key=lambda a: a.id):
        notices.push(
            turn.session,
            alert.lead.owner,
            notices.nudge_card(alert.lead, turn.actor),
            kind="nudge",
            dedup_key=f"nudge:{alert.id}",
        )
    handle_alerts(alerts, actor=turn.actor, action="nudge", now=turn.now)
    owners = "、".join(dict.fromkeys(person_name(a.lead.owner) for a in alerts))
    return _handled(turn, alerts, texts.nudged(owners))


def _alert_reassign(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    return notices.reassign_choices(alerts, team_members(turn.session, turn.actor))


def _alert_reassign_to(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    new_owner = next((m for m in team_members(turn.session, turn.actor) if m.id == one_id(value, "user_id")), None)
    if new_owner is None:
        raise Refusal(Why.NOT_IN_TEAM)
    for alert in alerts:
        if alert.lead.owner_id != new_owner.id:
            move_lead(turn, alert.lead, new_owner)
    handle_alerts(alerts, actor=turn.actor, action="reassign", now=turn.now)
    return _handled(turn, alerts, texts.reassigned_to(person_name(new_owner)))


def _handover_to(turn: Turn, value: dict) -> Card:
    """改派 on a leaver's card: every open lead of theirs the manager may hand on goes to the chosen rep."""
    leads = leaver_leads_for_actor(turn.session, turn.actor, one_id(value, "leaver_id"), turn.rules)
    new_owner = next((m for m in team_members(turn.session, turn.actor) if m.id == one_id(value, "user_id")), None)
    if new_owner is None:
        raise Refusal(Why.NOT_IN_TEAM)
    leaver = leads[0].owner
    for lead in leads:
        move_lead(turn, lead, new_owner)
    return Card(
        title=texts.handover_title(person_name(leaver), len(leads)),
        lines=(texts.handed_over(len(leads), person_name(new_owner), person_name(turn.actor)),),
        level="success",
    )


def _alert_snooze(turn: Turn, value: dict) -> Card:
    alerts = _alerts(turn, value)
    until = snooze_alerts(alerts, actor=turn.actor, now=turn.now, rules=turn.rules)
    return _handled(turn, alerts, texts.snoozed(turn.when(until, has_time=True)))


ACTIONS: dict[str, Callable[[Turn, dict], Card]] = {
    "undo": _undo,
    "reminder_done": _reminder_done,
    "reminder_postpone": _reminder_postpone,
    "reminder_reschedule": _reminder_reschedule,
    "alert_take": _alert_take,
    "alert_nudge": _alert_nudge,
    "alert_reassign": _alert_reassign,
    "alert_reassign_to": _alert_reassign_to,
    "alert_snooze": _alert_snooze,
    "handover_to": _handover_to,
    "which_lead": which_button,
    "note_on": note_on_button,
    "move_note": move_note_button,
    "move_note_to": move_note_to_button,
    "lead_card": show_lead,
    "note_tag": note_tag_button,
    **CORRECTION_BUTTONS,
}
