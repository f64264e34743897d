"""The JSON shapes of `salesbot … list --json`: a stable contract for scripts (tests/test_cli.py pins the keys)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from config.rules import Rules
from storage.activities import lead_tag_ids
from storage.leads import light
from storage.models import Activity, Lead, OutboxMessage, Team, User
from storage.people import primary_identity


def _iso(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


def leads_json(session: Session, leads: list[Lead], *, now: datetime, tz: tzinfo, rules: Rules) -> list[dict[str, Any]]:
    tags = lead_tag_ids(session, [lead.id for lead in leads])
    return [
        {
            "id": lead.id,
            "company": lead.company,
            "contact_name": lead.contact_name,
            "phone": lead.phone,
            "owner": primary_identity(lead.owner),
            "stage": lead.stage,
            "tags": rules.sort_tags(tags[lead.id]),
            "light": light(lead, now, rules),
            "amount": lead.amount,
            "created_at": _iso(lead.created_at, tz),
            "last_activity_at": _iso(lead.last_activity_at, tz),
            "next_follow_up_at": _iso(lead.next_follow_up_at, tz),
        }
        for lead in leads
    ]


def all_leads(session: Session, owner: User | None = None) -> list[Lead]:
    query = select(Lead).options(selectinload(Lead.owner).selectinload(User.identities)).order_by(Lead.id)
    if owner is not None:
        query = query.where(Lead.owner_id == owner.id)
    return list(session.scalars(query))


def activities_json(session: Session, *, tz: tzinfo) -> list[dict[str, Any]]:
    activities = session.scalars(
        select(Activity)
        .options(selectinload(Activity.tags), selectinload(Activity.author).selectinload(User.identities))
        .order_by(Activity.id)
    )
    return [
        {
            "id": a.id,
            "lead_id": a.lead_id,
            "author": primary_identity(a.author),
            "type": a.type,
            "text": a.text,
            "tags": [t.id for t in a.tags],
            "follow_up_at": _iso(a.follow_up_at, tz),
            "source": a.source,
            "created_at": _iso(a.created_at, tz),
        }
        for a in activities
    ]


def masked(recipient: str) -> str:
    """A group webhook URL without its key (the key alone lets anyone post to the group)."""
    if not recipient.startswith(("http://", "https://")):
        return recipient
    parts = urlsplit(recipient)
    path = parts.path.rsplit("/", 1)[0] + "/***" if "/hook/" in parts.path else parts.path
    query = "&".join(f"{k}=***" for k, _ in parse_qsl(parts.query))
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def outbox_json(session: Session, *, tz: tzinfo) -> list[dict[str, Any]]:
    return [
        {
            "id": m.id,
            "kind": m.kind,
            "recipient": masked(m.recipient),
            "channel": m.channel,
            "dedup_key": m.dedup_key,
            "status": m.status,
            "attempts": m.attempts,
            "last_error": m.last_error,
            "created_at": _iso(m.created_at, tz),
            "sent_at": _iso(m.sent_at, tz),
        }
        for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]


def users_json(session: Session) -> list[dict[str, Any]]:
    users = session.scalars(
        select(User).options(selectinload(User.identities), selectinload(User.team)).order_by(User.id)
    )
    return [
        {
            "id": u.id,
            "name": u.name,
            "role": u.role,
            "team": u.team.name if u.team else None,
            "identities": [i.key for i in u.identities],
            "active": u.deactivated_at is None,
        }
        for u in users
    ]


def teams_json(session: Session) -> list[dict[str, Any]]:
    teams = session.scalars(select(Team).order_by(Team.id))
    return [
        {
            "id": t.id,
            "name": t.name,
            "manager": primary_identity(t.manager) if t.manager else None,
            "parent": t.parent.name if t.parent else None,
            "members": sorted(primary_identity(u) for u in session.scalars(select(User).where(User.team_id == t.id))),
        }
        for t in teams
    ]
