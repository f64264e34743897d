"""Reminders: which are due, and what a rep can do with one (done, postpone, a new time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.activities import reminder_time
from storage.leads import lead_for_actor
from storage.models import Lead, Reminder, User
from storage.refusals import Refusal, Why
from storage.states import ReminderStatus


def due_reminders(session: Session, now: datetime, limit: int = 1000) -> list[Reminder]:
    """Pending reminders due at or before `now`, oldest first, locked against a concurrent run. Those of a
    deactivated person wait: they go along with the lead when it is handed on."""
    return list(
        session.scalars(
            select(Reminder)
            .join(User, User.id == Reminder.user_id)
            .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now, User.deactivated_at.is_(None))
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Reminder)
        )
    )


def drop_if_moot(reminder: Reminder, lead: Lead, rules: Rules) -> bool:
    """Close a due reminder that no longer needs sending: its lead is closed (won or lost), or it is a cadence
    nudge whose step the rep has already met. True when it was dropped."""
    moot = lead.stage in rules.closed_stages or (reminder.kind.startswith("sop_d") and _sop_met(reminder, lead, rules))
    if moot:
        reminder.status = ReminderStatus.DONE
    return moot


def mark_sent(reminder: Reminder, now: datetime) -> None:
    """The reminder went out; it stays open until the rep answers it or logs a touch."""
    reminder.status, reminder.sent_at = ReminderStatus.SENT, now


def mark_done(reminder: Reminder) -> None:
    """The rep said the follow-up is done."""
    reminder.status = ReminderStatus.DONE


def _sop_met(reminder: Reminder, lead: Lead, rules: Rules) -> bool:
    """A cadence nudge is moot when the lead was touched since the previous cadence step."""
    day = int(reminder.kind.removeprefix("sop_d"))
    earlier = [d for d in rules.sop_days if d < day]
    window_start = lead.created_at + timedelta(days=earlier[-1] if earlier else 0)
    return lead.last_activity_at is not None and lead.last_activity_at >= window_start


def reminder_for_actor(session: Session, actor: User, reminder_id: int) -> Reminder:
    """The reminder if it is `actor`'s, on a lead they may still act on, and not yet closed; raises Refusal."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None:
        raise Refusal(Why.REMINDER_GONE)
    if reminder.user_id != actor.id:
        raise Refusal(Why.REMINDER_NOT_YOURS)
    lead_for_actor(session, actor, reminder.lead_id)
    if reminder.status in (ReminderStatus.DONE, ReminderStatus.CANCELLED):
        raise Refusal(Why.REMINDER_CLOSED)
    return reminder


def postpone_a_day(session: Session, reminder: Reminder, now: datetime, *, rules: Rules) -> datetime:
    """Move the reminder one day on (a day at a time until it is ahead of `now`); returns the new time."""
    due = reminder.due_at.astimezone(now.tzinfo) + timedelta(days=1)
    while due <= now:
        due += timedelta(days=1)
    reschedule(session, reminder, due, has_time=reminder.has_time, rules=rules)
    return due


def reschedule(session: Session, reminder: Reminder, follow_up: datetime, *, has_time: bool, rules: Rules) -> None:
    """Move a reminder (pending again) to a new follow-up time, and the lead's next follow-up with it.

    If the lead already has a reminder of that kind at that moment, that one stays and this one is closed.
    """
    due = reminder_time(follow_up, has_time, rules)
    twin = session.scalar(
        select(Reminder).where(
            Reminder.lead_id == reminder.lead_id,
            Reminder.kind == reminder.kind,
            Reminder.due_at == due,
            Reminder.id != reminder.id,
        )
    )
    if twin is not None:
        reminder.status = ReminderStatus.CANCELLED
        reminder = twin
    reminder.due_at, reminder.has_time = due, has_time
    reminder.status, reminder.sent_at = ReminderStatus.PENDING, None
    lead = session.get(Lead, reminder.lead_id)
    if lead is not None and reminder.kind == "follow_up":
        lead.next_follow_up_at, lead.next_follow_up_has_time = follow_up, has_time
