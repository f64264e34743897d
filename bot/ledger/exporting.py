"""`salesbot export leads|activities`: the data out as xlsx or CSV, with the headers an import reads back.

A lead export is the ledger format itself (`config/ledger.toml`, each field's first header): exported, then
imported into an empty database, it gives the same leads. Owners are written as PLATFORM:ID (a name may be
shared), amounts in 万, dates in local time (a time of day only where one was set), tags by their labels, and
the lead's latest note as its 备注. An activity export has one row per note, with the same headers where a field
is the same, and 线索编号, 类型 and 来源 besides (an import lists those as columns it does not read).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from bot.ledger.files import write_rows
from config.rules import Rules
from nlp.sheet import Field, header_words
from storage.activities import latest_notes, lead_tag_ids
from storage.models import Activity, Lead, User
from storage.people import primary_identity

LEAD_FIELDS = (
    Field.COMPANY,
    Field.CONTACT,
    Field.PHONE,
    Field.OWNER,
    Field.STAGE,
    Field.AMOUNT,
    Field.LAST_CONTACT,
    Field.NEXT_FOLLOW_UP,
    Field.TAGS,
    Field.NOTE,
)
AMOUNT_HEADER = "（万元）"
ACTIVITY_EXTRA = ("线索编号", "类型", "来源")
CHUNK = 1000


def headers(fields: tuple[Field, ...]) -> list[str]:
    words = header_words()
    return [words[f][0] + (AMOUNT_HEADER if f is Field.AMOUNT else "") for f in fields]


def local_text(moment: datetime | None, tz: tzinfo, *, has_time: bool = True) -> str | None:
    """2026-11-03 for a local midnight or a date without a time, else 2026-11-03 14:30:05."""
    if moment is None:
        return None
    local = moment.astimezone(tz)
    if not has_time or local.time() == time():
        return local.date().isoformat()
    return local.strftime("%Y-%m-%d %H:%M:%S")


def wan(amount: int | None) -> float | int | None:
    if amount is None:
        return None
    value = amount / 10_000
    return int(value) if value.is_integer() else value


def _scoped(query: Select, owner: User | None, team_id: int | None) -> Select:
    if owner is not None:
        query = query.where(Lead.owner_id == owner.id)
    if team_id is not None:
        query = query.where(Lead.owner_id.in_(select(User.id).where(User.team_id == team_id)))
    return query


def lead_rows(session: Session, *, tz: tzinfo, rules: Rules, owner: User | None, team_id: int | None) -> Iterator[list]:
    query = _scoped(select(Lead).order_by(Lead.id), owner, team_id)
    query = query.options(selectinload(Lead.owner).selectinload(User.identities)).execution_options(yield_per=CHUNK)
    for chunk in session.scalars(query).partitions():  # streamed: a chunk of leads in memory at a time
        yield from _lead_chunk(session, list(chunk), tz, rules)


def _lead_chunk(session: Session, leads: list[Lead], tz: tzinfo, rules: Rules) -> Iterator[list[Any]]:
    ids = [lead.id for lead in leads]
    tags, notes = lead_tag_ids(session, ids), latest_notes(session, ids, per_lead=1)
    for lead in leads:
        yield [
            lead.company,
            lead.contact_name,
            lead.phone,
            primary_identity(lead.owner),
            rules.stage(lead.stage).label,
            wan(lead.amount),
            local_text(lead.last_activity_at, tz),
            local_text(lead.next_follow_up_at, tz, has_time=lead.next_follow_up_has_time),
            "、".join(rules.tag_label(t) for t in rules.sort_tags(tags[lead.id])),
            notes.get(lead.id, ("",))[0] or None,
        ]


ACTIVITY_FIELDS = (
    Field.COMPANY,
    Field.PHONE,
    Field.OWNER,
    Field.LAST_CONTACT,
    Field.NOTE,
    Field.TAGS,
    Field.NEXT_FOLLOW_UP,
)


def activity_rows(
    session: Session, *, tz: tzinfo, rules: Rules, owner: User | None, team_id: int | None
) -> Iterator[list]:
    query = _scoped(
        select(Activity, Lead).join(Lead, Activity.lead_id == Lead.id).order_by(Activity.id), owner, team_id
    )
    query = query.options(selectinload(Activity.tags), selectinload(Activity.author).selectinload(User.identities))
    for activity, lead in session.execute(query.execution_options(yield_per=CHUNK)):
        yield [
            lead.company,
            lead.phone,
            primary_identity(activity.author),
            local_text(activity.created_at, tz),
            activity.text or None,
            "、".join(rules.tag_label(t) for t in rules.sort_tags([t.id for t in activity.tags])),
            local_text(activity.follow_up_at, tz, has_time=activity.follow_up_has_time),
            lead.id,
            activity.type,
            activity.source,
        ]


def export(
    session: Session, what: str, path: Path, *, tz: tzinfo, rules: Rules, owner: User | None, team_id: int | None
) -> None:
    if what == "leads":
        rows = lead_rows(session, tz=tz, rules=rules, owner=owner, team_id=team_id)
        write_rows(path, [("线索", headers(LEAD_FIELDS), rows)])
    else:
        rows = activity_rows(session, tz=tz, rules=rules, owner=owner, team_id=team_id)
        write_rows(path, [("跟进记录", headers(ACTIVITY_FIELDS) + list(ACTIVITY_EXTRA), rows)])
