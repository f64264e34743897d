from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.runtime import Runtime
from config.rules import default_rules
from storage.activities import NoteFacts, lead_tag_ids, log_activity, undo_activity
from storage.leads import match_or_create_lead
from storage.models import Lead, Reminder
from storage.people import ensure_user

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
RULES = default_rules()
WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)


def morning(day: datetime) -> datetime:
    """A follow-up without a clock time is reminded on that day's working morning (rules.toml: 08:30)."""
    return day.replace(hour=8, minute=30)


def facts(follow_up: datetime | None = None, tags: tuple[str, ...] = ()) -> NoteFacts:
    return NoteFacts(activity_type="visit", tags=tags, follow_up_at=follow_up, follow_up_has_time=False, amount=None)


def note(rt_session, rep, when: datetime, follow_up: datetime | None = None, tags: tuple[str, ...] = ()):
    match = match_or_create_lead(
        rt_session, rep, company="华力机械", contact_name=None, phone=None, now=when, rules=RULES
    )
    assert match is not None
    return log_activity(
        rt_session,
        rep,
        match.lead,
        text="拜访",
        facts=facts(follow_up, tags),
        source="chat",
        now=when,
        rules=RULES,
        created_lead=match.created,
    )


def reminders(s) -> list[tuple[str, datetime]]:
    return [(r.status, r.due_at) for r in s.scalars(select(Reminder).order_by(Reminder.id))]


def test_logging_a_follow_up_sets_the_lead_date_and_a_reminder(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        activity = note(s, rep, NOW, WEDNESDAY, ("price_sensitive", "needs_sample"))
        assert (activity.lead.last_activity_at, activity.lead.next_follow_up_at) == (NOW, WEDNESDAY)
        assert reminders(s) == [("pending", morning(WEDNESDAY))]
        assert sorted(lead_tag_ids(s, [activity.lead_id])[activity.lead_id]) == ["needs_sample", "price_sensitive"]


def test_a_new_follow_up_time_replaces_the_pending_one(rt: Runtime) -> None:
    later = WEDNESDAY + timedelta(days=2)
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        note(s, rep, NOW, WEDNESDAY)
        activity = note(s, rep, NOW + timedelta(hours=1), later)
        assert reminders(s) == [("done", morning(WEDNESDAY)), ("pending", morning(later))]
        assert activity.lead.next_follow_up_at == later


def test_a_note_without_follow_up_keeps_a_future_reminder(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        note(s, rep, NOW, WEDNESDAY)
        note(s, rep, NOW + timedelta(hours=1))
        assert reminders(s) == [("pending", morning(WEDNESDAY))]


def test_undoing_the_note_that_created_a_lead_removes_the_lead(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        activity = note(s, rep, NOW, WEDNESDAY)
        undone = undo_activity(s, activity)
        assert (undone.company, undone.lead_deleted) == ("华力机械", True)
        assert s.scalars(select(Lead)).all() == []
        assert reminders(s) == []


def test_undoing_a_later_note_restores_the_earlier_follow_up(rt: Runtime) -> None:
    later = WEDNESDAY + timedelta(days=2)
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        first = note(s, rep, NOW, WEDNESDAY)
        second = note(s, rep, NOW + timedelta(hours=1), later)
        undone = undo_activity(s, second)
        lead = s.get(Lead, first.lead_id)
        assert lead is not None
        assert undone.lead_deleted is False
        assert (lead.last_activity_at, lead.next_follow_up_at) == (NOW, WEDNESDAY)
        assert reminders(s) == [("pending", morning(WEDNESDAY))]


def test_saying_the_same_follow_up_again_keeps_one_pending_reminder(rt: Runtime) -> None:
    with rt.transaction() as s:
        rep = ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        note(s, rep, NOW, WEDNESDAY)
        second = note(s, rep, NOW + timedelta(hours=1), WEDNESDAY)
        assert reminders(s) == [("pending", morning(WEDNESDAY))]
        assert s.scalars(select(Reminder.activity_id)).one() == second.id
