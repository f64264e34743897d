"""What customers raise: tag counts per week and their trend, the notes behind a tag or a term, and the notes
whose terms nlp.keywords ranks (storage may not import nlp: the page joins the two). The notes are those the
scope's people wrote, as in the heat map."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from config.rules import Rules
from storage.cockpit_values import Page
from storage.models import Activity, Lead, activity_tags
from storage.people import InvalidInput
from storage.scopes import Scope
from storage.sqltime import bucket, local_midnight

NOTES_COUNTED = 1000  # a click-through counts its notes up to this many ("1000+")


@dataclass(frozen=True)
class TagTrend:
    tag: str
    label: str
    per_week: tuple[int, ...]  # notes with the tag, one count per week of Topics.weeks
    total: int
    change: int  # last complete week − the week before it


@dataclass(frozen=True)
class Topics:
    weeks: tuple[date, ...]  # Monday of each week, oldest first; the current week last
    tags: tuple[TagTrend, ...]  # most frequent first


@dataclass(frozen=True)
class NoteLine:
    activity_id: int
    lead_id: int
    company: str | None
    author_name: str
    type: str
    text: str
    tags: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class Corpus:
    """Recent notes, for nlp.keywords.top_terms(texts, names=names)."""

    texts: tuple[str, ...]
    names: tuple[str, ...]  # the companies and contacts of their leads, to keep out of the terms


def week_starts(now: datetime, tz: tzinfo, weeks: int) -> tuple[date, ...]:
    """The Mondays of the last `weeks` weeks (local), oldest first, the current week last."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return tuple(monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks))


def _in_scope(scope: Scope, since: datetime, now: datetime) -> Select[tuple[Activity]]:
    """The notes the scope's people wrote in [since, now] (one range of activities (author_id, created_at) per
    person)."""
    return select(Activity).where(
        scope.where_owner(Activity.author_id), Activity.created_at >= since, Activity.created_at <= now
    )


def topics(session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules, *, weeks: int = 8) -> Topics:
    mondays = week_starts(now, tz, weeks)
    starts = [local_midnight(day, tz) for day in mondays]
    week = bucket(Activity.created_at, starts)
    tagged = _in_scope(scope, starts[0], now).join(activity_tags, activity_tags.c.activity_id == Activity.id)
    counts: dict[str, list[int]] = {}
    for tag, index, n in session.execute(
        tagged.with_only_columns(activity_tags.c.tag_id, week, func.count()).group_by(activity_tags.c.tag_id, week)
    ):
        counts.setdefault(tag, [0] * weeks)[index] += n
    trends = [
        TagTrend(
            tag=tag,
            label=rules.tag_label(tag),
            per_week=tuple(per_week),
            total=sum(per_week),
            change=per_week[-2] - per_week[-3] if weeks >= 3 else 0,
        )
        for tag, per_week in counts.items()
    ]
    order = {tag: i for i, tag in enumerate(rules.tag_labels)}
    trends.sort(key=lambda t: (-t.total, order.get(t.tag, len(order)), t.tag))
    return Topics(mondays, tuple(trends))


def notes(
    session: Session,
    scope: Scope,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    *,
    tag: str | None = None,
    term: str | None = None,
    weeks: int = 8,
    page: int = 1,
    per_page: int = 20,
) -> Page[NoteLine]:
    """The notes behind a tag or a term (the click-through of the topics page), newest first; counted up to
    NOTES_COUNTED (Page.capped says there are more)."""
    if tag is not None and tag not in rules.tag_labels:
        raise InvalidInput(f"unknown tag {tag!r}")
    since = local_midnight(week_starts(now, tz, weeks)[0], tz)
    query = _in_scope(scope, since, now)
    if tag is not None:
        query = query.where(
            select(activity_tags.c.activity_id)
            .where(activity_tags.c.activity_id == Activity.id, activity_tags.c.tag_id == tag)
            .exists()
        )
    if term:
        query = query.where(Activity.text.contains(term, autoescape=True))
    page = max(page, 1)
    total = session.scalar(select(func.count()).select_from(query.limit(NOTES_COUNTED + 1).subquery())) or 0
    rows = session.scalars(
        query.options(joinedload(Activity.author), joinedload(Activity.lead), selectinload(Activity.tags))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    lines = tuple(
        NoteLine(
            activity_id=a.id,
            lead_id=a.lead_id,
            company=a.lead.company,
            author_name=a.author.name,
            type=a.type,
            text=a.text,
            tags=tuple(t.id for t in a.tags),
            created_at=a.created_at,
        )
        for a in rows
    )
    return Page(lines, min(total, NOTES_COUNTED), page, per_page, capped=total > NOTES_COUNTED)


def corpus(
    session: Session, scope: Scope, now: datetime, tz: tzinfo, rules: Rules, *, weeks: int = 4, limit: int = 1000
) -> Corpus:
    """The latest `limit` notes on the scope's leads in the last `weeks` weeks, and their leads' names."""
    since = local_midnight(week_starts(now, tz, weeks)[0], tz)
    rows = session.execute(
        _in_scope(scope, since, now)
        .join(Lead, Lead.id == Activity.lead_id)
        .with_only_columns(Activity.text, Lead.company, Lead.contact_name)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit)
    ).all()
    names = {name for _, company, contact in rows for name in (company, contact) if name}
    return Corpus(tuple(text for text, _, _ in rows), tuple(sorted(names)))
