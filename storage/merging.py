"""Merging a duplicate lead into the one that stays, and undoing a wrong merge within the undo window.

Merging moves the duplicate's activities (their tags go with them), reminders, alerts, stage changes and
corrections to the surviving lead, keeps a `Merge` record of exactly what moved, and deletes the duplicate so
no foreign key points at it. Rows that would break a unique constraint on the surviving lead (the same
reminder or alert twice) are dropped and kept in the record. Undoing puts every moved row back on the
restored lead (same id) and gives back what the surviving lead took over from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.activities import refresh_follow_up, refresh_last_activity
from storage.db import UTCDateTime
from storage.leads import lead_for_actor
from storage.models import Activity, Alert, Correction, Lead, Merge, Reminder, StageChange, User
from storage.refusals import Refusal, Why
from storage.states import ReminderStatus

UNDO_WITHIN = timedelta(minutes=10)
# What moves, and the columns (besides the lead) that make a row unique per lead.
MOVED: dict[str, tuple[type, tuple[str, ...]]] = {
    "activities": (Activity, ()),
    "reminders": (Reminder, ("kind", "due_at")),
    "alerts": (Alert, ("rule", "level", "basis_at")),
    "stage_changes": (StageChange, ()),
    "corrections": (Correction, ()),
}
# Details the surviving lead takes from the duplicate when it has none.
TAKEN_OVER = ("contact_name", "phone", "company", "company_key", "amount")


def _row(obj: Any) -> dict[str, Any]:
    """A row as JSON: its columns, times as ISO text."""
    row = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        row[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return row


def _from_row(model: type, row: dict[str, Any]) -> Any:
    values = {
        c.key: datetime.fromisoformat(row[c.key]) if isinstance(c.type, UTCDateTime) and row[c.key] else row[c.key]
        for c in model.__table__.columns  # type: ignore[attr-defined]
    }
    return model(**values)


def _unique_key(obj: Any, columns: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(obj, c) for c in columns)


@dataclass(frozen=True)
class Merged:
    merge: Merge
    counts: dict[str, int]  # table -> rows moved to the surviving lead


def merge_leads(session: Session, actor: User, from_id: int, into_id: int, *, now: datetime, rules: Rules) -> Merged:
    """Merge lead `from_id` into `into_id`; `actor` must be allowed to act on both."""
    if from_id == into_id:
        raise Refusal(Why.MERGE_SAME)
    source = lead_for_actor(session, actor, from_id)
    into = lead_for_actor(session, actor, into_id)
    moved: dict[str, Any] = {"lead": _row(source), "ids": {}, "dropped": {}, "reminder_users": {}}
    counts = {}
    for table, (model, unique) in MOVED.items():
        kept = {_unique_key(row, unique) for row in session.scalars(select(model).where(model.lead_id == into.id))}
        ids, dropped = [], []
        for row in session.scalars(select(model).where(model.lead_id == source.id).order_by(model.id)):
            if unique and _unique_key(row, unique) in kept:
                dropped.append(_row(row))
                session.delete(row)
            else:
                ids.append(row.id)
        session.flush()
        session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(lead_id=into.id)
            .execution_options(synchronize_session="fetch")
        )
        moved["ids"][table], moved["dropped"][table], counts[table] = ids, dropped, len(ids)
    # Open reminders now belong to the surviving lead's owner.
    for reminder in session.scalars(
        select(Reminder).where(
            Reminder.id.in_(moved["ids"]["reminders"]),
            Reminder.status.in_((ReminderStatus.PENDING, ReminderStatus.SENT)),
            Reminder.user_id != into.owner_id,
        )
    ):
        moved["reminder_users"][str(reminder.id)] = reminder.user_id
        reminder.user_id = into.owner_id
    session.delete(source)
    session.flush()  # frees the duplicate's unique company and phone
    moved["took"] = {}
    for column in TAKEN_OVER:
        if getattr(into, column) is None and getattr(source, column) is not None:
            moved["took"][column] = getattr(source, column)
            setattr(into, column, getattr(source, column))
    # The surviving lead goes as far as the duplicate had got (a closed lead stays as it is).
    if into.stage not in rules.closed_stages and rules.is_advance(into.stage, source.stage):
        moved["stage"] = {"before": into.stage, "after": source.stage, "entered": into.stage_entered_at.isoformat()}
        # It is as far as the duplicate got since the duplicate got there.
        into.stage, into.stage_entered_at = source.stage, source.stage_entered_at
    refresh_last_activity(session, into)
    refresh_follow_up(session, into)
    merge = Merge(actor_id=actor.id, from_lead_id=source.id, into_lead_id=into.id, moved=moved, created_at=now)
    session.add(merge)
    session.flush()
    return Merged(merge, counts)


def last_merge(session: Session, actor: User, now: datetime) -> Merge | None:
    """The actor's most recent merge that may still be undone."""
    return session.scalar(
        select(Merge)
        .where(Merge.actor_id == actor.id, Merge.undone_at.is_(None), Merge.created_at >= now - UNDO_WITHIN)
        .order_by(Merge.created_at.desc(), Merge.id.desc())
        .limit(1)
    )


def undoable_merge(session: Session, actor: User, merge_id: int, now: datetime) -> Merge:
    """Merge `merge_id` if `actor` may still undo it (they may act on the surviving lead); else Refusal."""
    merge = session.get(Merge, merge_id)
    if merge is None or merge.undone_at is not None:
        raise Refusal(Why.MERGE_GONE)
    lead_for_actor(session, actor, merge.into_lead_id)
    if merge.created_at < now - UNDO_WITHIN:
        raise Refusal(Why.MERGE_EXPIRED)
    return merge


def undo_merge(session: Session, merge: Merge, now: datetime) -> Lead:
    """Restore the merged lead with exactly the rows that moved; returns it. It gets its old id back unless a
    new lead has taken it meanwhile (SQLite reuses the highest id); a company or phone that another lead holds
    by now stays with that lead (the restored one goes without)."""
    into = session.get(Lead, merge.into_lead_id)
    assert into is not None
    moved = merge.moved
    for column in moved["took"]:
        setattr(into, column, None)
    stage = moved.get("stage")
    if stage and into.stage == stage["after"]:
        into.stage, into.stage_entered_at = stage["before"], datetime.fromisoformat(stage["entered"])
    session.flush()
    restored = _from_row(Lead, moved["lead"])
    if session.get(Lead, restored.id) is not None:  # SQLite hands a freed highest id out again
        restored.id = None
    for column in ("phone", "company_key"):
        value = getattr(restored, column)
        if value is not None and session.scalar(select(Lead.id).where(getattr(Lead, column) == value)) is not None:
            setattr(restored, column, None)
    session.add(restored)
    session.flush()
    for table, (model, _) in MOVED.items():
        session.execute(
            update(model)
            .where(model.id.in_(moved["ids"][table]), model.lead_id == into.id)
            .values(lead_id=restored.id)
            .execution_options(synchronize_session="fetch")
        )
        for row in moved["dropped"][table]:
            session.add(_from_row(model, row))
    for reminder_id, user_id in moved["reminder_users"].items():
        reminder = session.get(Reminder, int(reminder_id))
        if reminder is not None:
            reminder.user_id = user_id
    session.flush()
    for lead in (into, restored):
        refresh_last_activity(session, lead)
        refresh_follow_up(session, lead)
    merge.undone_at = now
    return restored
