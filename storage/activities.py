"""Activities on leads: logging one (with its tags and follow-up reminder) and taking it back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.db import insert_once
from storage.models import Activity, Alert, Lead, Reminder, StageChange, Tag, User, activity_tags
from storage.refusals import Refusal, Why
from storage.stages import move_stage, refresh_stage_entered, stage_implied
from storage.states import AlertStatus, ReminderStatus


@dataclass(frozen=True)
class NoteFacts:
    """What the parser understood of a note, in storage's terms."""

    activity_type: str
    tags: tuple[str, ...]
    follow_up_at: datetime | None
    follow_up_has_time: bool
    amount: int | None
    stage_signal: str | None = None


def _tags(session: Session, ids: Iterable[str], rules: Rules) -> list[Tag]:
    """Tag rows for `ids`, inserting any the taxonomy defines but the table lacks."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    found = {t.id: t for t in session.scalars(select(Tag).where(Tag.id.in_(ids)))}
    for tag_id in ids:
        if tag_id not in found:
            tag = Tag(id=tag_id, label=rules.tag_label(tag_id))
            found[tag_id] = tag if insert_once(session, tag) else session.get(Tag, tag_id)
    return [found[i] for i in ids]


def log_activity(
    session: Session,
    actor: User,
    lead: Lead,
    *,
    text: str,
    facts: NoteFacts,
    source: str,
    now: datetime,
    rules: Rules,
    inbound_event_id: int | None = None,
    created_lead: bool = False,
) -> Activity:
    """Record a touch on `lead`: the activity, its tags, the lead's dates and a follow-up reminder.

    Open reminders of the lead (pending, or sent and not yet answered) are settled: due ones count as done,
    and a new follow-up time replaces any earlier follow-up.
    """
    activity = Activity(
        lead_id=lead.id,
        author_id=actor.id,
        type=facts.activity_type,
        text=text,
        follow_up_at=facts.follow_up_at,
        follow_up_has_time=facts.follow_up_has_time,
        source=source,
        inbound_event_id=inbound_event_id,
        created_lead=created_lead,
        created_at=now,
        tags=_tags(session, facts.tags, rules),
    )
    session.add(activity)
    session.flush()

    # A new follow-up time replaces the earlier one (not the SOP cadence).
    _settle_reminders(session, activity, follow_ups=facts.follow_up_at is not None, due_by=now)
    lead.last_activity_at = now
    session.execute(
        update(Alert)
        .where(Alert.lead_id == lead.id, Alert.status.in_((AlertStatus.OPEN, AlertStatus.SNOOZED)))
        .values(status=AlertStatus.RESOLVED, handled_at=now, handled_action="activity")
        .execution_options(synchronize_session=False)
    )
    to_stage = stage_implied(lead.stage, activity, facts.tags, facts.stage_signal, rules)
    if to_stage is not None:
        move_stage(session, lead, to_stage, actor=actor, now=now, activity=activity)
    if facts.amount:
        lead.amount = facts.amount
        if facts.amount >= rules.sop_min_amount:
            add_sop_reminders(session, lead, now, rules)
    if facts.follow_up_at:
        _schedule_follow_up(session, lead, activity, now, rules)
    elif lead.next_follow_up_at and lead.next_follow_up_at <= now:
        lead.next_follow_up_at = None
    return activity


def set_follow_up(
    session: Session,
    author: User,
    activity_id: int,
    follow_up_at: datetime,
    *,
    has_time: bool,
    now: datetime,
    rules: Rules,
) -> bool:
    """Give activity `activity_id`, logged without a follow-up day, the day its author named afterwards: it
    replaces the lead's earlier follow-up, as if the note had said it (undoing the note takes it back too).
    False, changing nothing, when the activity is gone (undone) or is not `author`'s."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.author_id != author.id:
        return False
    follow_up_on(session, activity, follow_up_at, has_time=has_time, now=now, rules=rules)
    return True


def follow_up_on(
    session: Session, activity: Activity, follow_up_at: datetime, *, has_time: bool, now: datetime, rules: Rules
) -> None:
    """Give `activity` the follow-up time `follow_up_at`: it replaces the lead's earlier follow-up and its
    reminder, as if the note had said it (a follow-up the note had already is replaced)."""
    session.execute(delete(Reminder).where(Reminder.activity_id == activity.id, Reminder.kind == "follow_up"))
    activity.follow_up_at, activity.follow_up_has_time = follow_up_at, has_time
    _settle_reminders(session, activity, follow_ups=True, due_by=None)
    _schedule_follow_up(session, activity.lead, activity, now, rules)


def latest_activity(session: Session, lead: Lead) -> Activity | None:
    """The lead's most recent activity, if it has one."""
    return session.scalar(
        select(Activity)
        .where(Activity.lead_id == lead.id)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(1)
    )


def tags_by_id(session: Session, ids: Iterable[str], rules: Rules) -> list[Tag]:
    """Tag rows for `ids` (those the taxonomy defines but the table lacks are added)."""
    return _tags(session, ids, rules)


def _settle_reminders(session: Session, activity: Activity, *, follow_ups: bool, due_by: datetime | None) -> None:
    """Open reminders of the activity's lead (pending, or sent and not yet answered) count as done by it: those
    due by `due_by`, and, with `follow_ups`, every follow-up (a new follow-up time replaces the earlier one)."""
    pending = select(Reminder.id).where(
        Reminder.lead_id == activity.lead_id, Reminder.status.in_((ReminderStatus.PENDING, ReminderStatus.SENT))
    )
    conditions = [Reminder.due_at <= due_by] if due_by is not None else []
    if follow_ups:
        conditions.append(Reminder.kind == "follow_up")
    session.execute(
        update(Reminder)
        .where(Reminder.id.in_(pending.where(or_(*conditions)).scalar_subquery()))
        .values(status=ReminderStatus.DONE, settled_by_activity_id=activity.id)
        .execution_options(synchronize_session=False)
    )


def _schedule_follow_up(session: Session, lead: Lead, activity: Activity, now: datetime, rules: Rules) -> None:
    """The lead's next follow-up and its reminder, from the activity's follow-up time."""
    assert activity.follow_up_at is not None
    lead.next_follow_up_at = activity.follow_up_at
    lead.next_follow_up_has_time = activity.follow_up_has_time
    due = reminder_time(activity.follow_up_at, activity.follow_up_has_time, rules)
    # The same follow-up time said again (it was just settled) becomes this activity's reminder.
    reminder = session.scalar(
        select(Reminder).where(Reminder.lead_id == lead.id, Reminder.kind == "follow_up", Reminder.due_at == due)
    )
    if reminder is None:
        reminder = Reminder(lead_id=lead.id, kind="follow_up", due_at=due, created_at=now)
        session.add(reminder)
    reminder.activity_id, reminder.user_id, reminder.has_time = activity.id, lead.owner_id, activity.follow_up_has_time
    reminder.status, reminder.sent_at, reminder.settled_by_activity_id = ReminderStatus.PENDING, None, None


def reminder_time(follow_up_at: datetime, has_time: bool, rules: Rules) -> datetime:
    """When to remind: at the stated time, or, for a day without a time, on that working morning.

    `follow_up_at` must be in the local time zone (the morning is a local clock time).
    """
    if has_time:
        return follow_up_at
    return follow_up_at.replace(hour=rules.morning.hour, minute=rules.morning.minute, second=0, microsecond=0)


def add_sop_reminders(session: Session, lead: Lead, now: datetime, rules: Rules) -> None:
    """The high-value cadence: a nudge at each SOP day after the lead's creation that is still ahead."""
    for day in rules.sop_days:
        due = lead.created_at + timedelta(days=day)
        if due <= now:
            continue
        # A cadence step that exists already stays as it is.
        insert_once(
            session,
            Reminder(
                lead_id=lead.id, user_id=lead.owner_id, kind=f"sop_d{day}", due_at=due, has_time=True, created_at=now
            ),
        )


def _undo_window_start(now: datetime, rules: Rules) -> datetime:
    """The undo rule: an activity may be taken back by its author for `undo_minutes` after it was logged."""
    return now - timedelta(minutes=rules.undo_minutes)


def last_undoable(session: Session, actor: User, now: datetime, rules: Rules) -> Activity | None:
    """The actor's most recent activity if it may still be undone."""
    return session.scalar(
        select(Activity)
        .where(
            Activity.author_id == actor.id,
            Activity.created_at >= _undo_window_start(now, rules),
            Activity.created_at <= now,
        )
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(1)
    )


def undoable(session: Session, actor: User, activity_id: int, now: datetime, rules: Rules) -> Activity:
    """Activity `activity_id` if `actor` may still undo it; raises Refusal saying why not."""
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise Refusal(Why.ACTIVITY_GONE)
    if activity.author_id != actor.id:
        raise Refusal(Why.NOT_AUTHOR)
    if activity.created_at < _undo_window_start(now, rules):
        raise Refusal(Why.UNDO_EXPIRED)
    return activity


@dataclass(frozen=True)
class Undone:
    lead_id: int
    company: str | None
    lead_deleted: bool


def undo_activity(session: Session, activity: Activity) -> Undone:
    """Delete `activity` and restore the lead as it was; a lead that this activity created goes too."""
    lead = activity.lead
    result = Undone(lead_id=lead.id, company=lead.company, lead_deleted=False)
    session.execute(
        update(Reminder)
        .where(Reminder.settled_by_activity_id == activity.id)
        .values(status=ReminderStatus.PENDING, settled_by_activity_id=None)
        .execution_options(synchronize_session=False)
    )
    # Alerts this activity resolved are open again: the neglect it answered is back.
    session.execute(
        update(Alert)
        .where(
            Alert.lead_id == lead.id,
            Alert.status == AlertStatus.RESOLVED,
            Alert.handled_action == "activity",
            Alert.handled_at == activity.created_at,
        )
        .values(status=AlertStatus.OPEN, handled_at=None, handled_action=None)
        .execution_options(synchronize_session=False)
    )
    change = session.scalar(select(StageChange).where(StageChange.activity_id == activity.id))
    if change is not None:
        lead.stage = change.from_stage
        session.delete(change)
        session.flush()
        refresh_stage_entered(session, lead)
    session.execute(delete(activity_tags).where(activity_tags.c.activity_id == activity.id))
    session.execute(delete(Reminder).where(Reminder.activity_id == activity.id))
    session.delete(activity)
    session.flush()

    remaining = session.scalars(
        select(Activity).where(Activity.lead_id == lead.id).order_by(Activity.created_at.desc(), Activity.id.desc())
    ).all()
    if activity.created_lead and not remaining:
        session.execute(delete(Reminder).where(Reminder.lead_id == lead.id))
        session.delete(lead)
        return Undone(lead_id=result.lead_id, company=result.company, lead_deleted=True)
    lead.last_activity_at = remaining[0].created_at if remaining else None
    refresh_follow_up(session, lead)
    return result


def refresh_follow_up(session: Session, lead: Lead) -> None:
    """The lead's next follow-up, from its earliest pending follow-up reminder (none: no follow-up)."""
    upcoming = session.scalars(
        select(Reminder)
        .where(Reminder.lead_id == lead.id, Reminder.status == ReminderStatus.PENDING, Reminder.kind == "follow_up")
        .order_by(Reminder.due_at)
        .limit(1)
    ).first()
    source = session.get(Activity, upcoming.activity_id) if upcoming and upcoming.activity_id else None
    lead.next_follow_up_at = source.follow_up_at if source else None
    lead.next_follow_up_has_time = source.follow_up_has_time if source else False


def refresh_last_activity(session: Session, lead: Lead) -> None:
    """The lead's last activity time, from the activities it has now."""
    lead.last_activity_at = session.scalar(select(func.max(Activity.created_at)).where(Activity.lead_id == lead.id))


def last_note(session: Session, actor: User, since: datetime | None = None) -> Activity | None:
    """The actor's most recent note (logged at or after `since`, when given)."""
    query = select(Activity).where(Activity.author_id == actor.id)
    if since is not None:
        query = query.where(Activity.created_at >= since)
    return session.scalar(query.order_by(Activity.created_at.desc(), Activity.id.desc()).limit(1))


def latest_notes(session: Session, lead_ids: list[int], per_lead: int) -> dict[int, tuple[str, ...]]:
    """Up to `per_lead` latest note texts of each lead, newest first (leads without one are left out)."""
    if not lead_ids:
        return {}
    rank = func.row_number().over(partition_by=Activity.lead_id, order_by=Activity.id.desc()).label("rank")
    ranked = select(Activity.lead_id, Activity.text, rank).where(Activity.lead_id.in_(lead_ids)).subquery()
    rows = session.execute(
        select(ranked.c.lead_id, ranked.c.text).where(ranked.c.rank <= per_lead).order_by(ranked.c.rank)
    )
    notes: dict[int, list[str]] = {}
    for lead_id, text in rows:
        notes.setdefault(lead_id, []).append(text)
    return {lead_id: tuple(texts) for lead_id, texts in notes.items()}


def lead_tag_ids(session: Session, lead_ids: list[int]) -> dict[int, list[str]]:
    """Each lead's tags: the union of its activities' tags (unordered)."""
    rows = session.execute(
        select(Activity.lead_id, activity_tags.c.tag_id)
        .join(activity_tags, activity_tags.c.activity_id == Activity.id)
        .where(Activity.lead_id.in_(lead_ids))
        .distinct()
    )
    tags: dict[int, list[str]] = {lead_id: [] for lead_id in lead_ids}
    for lead_id, tag_id in rows:
        tags[lead_id].append(tag_id)
    return tags
