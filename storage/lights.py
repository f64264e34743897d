"""The lights page: the scope's open leads as 🟢🟡🔴 (storage.leads' light rule), counted and listed worst first,
filtered by rep, stage, tag and light."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.cockpit_values import LeadLine, Page, page_of_leads
from storage.leads import idle_since, light_sql
from storage.models import Activity, Lead, activity_tags
from storage.people import InvalidInput
from storage.scopes import Scope, user_in_scope

LIGHTS = ("red", "yellow", "green")  # worst first


@dataclass(frozen=True)
class LightFilter:
    rep_id: int | None = None
    stage: str | None = None
    tag: str | None = None
    light: str | None = None  # red | yellow | green


@dataclass(frozen=True)
class Lights:
    counts: dict[str, int]  # every light under the filter's other conditions
    leads: Page[LeadLine]


def _conditions(session: Session, scope: Scope, rules: Rules, chosen: LightFilter) -> list[ColumnElement[bool]]:
    """What the filter asks for, checked: a rep outside the scope is refused, an unknown stage, tag or light is
    InvalidInput."""
    where = [scope.where_owner(Lead.owner_id), Lead.stage.not_in(rules.closed_stages)]
    if chosen.rep_id is not None:
        where.append(Lead.owner_id == user_in_scope(session, scope, chosen.rep_id).id)
    if chosen.stage is not None:
        if chosen.stage not in {s.id for s in rules.stages if not s.closed}:
            raise InvalidInput(f"unknown open stage {chosen.stage!r}")
        where.append(Lead.stage == chosen.stage)
    if chosen.tag is not None:
        if chosen.tag not in rules.tag_labels:
            raise InvalidInput(f"unknown tag {chosen.tag!r}")
        tagged = (
            exists()
            .where(Activity.lead_id == Lead.id)
            .where(activity_tags.c.activity_id == Activity.id, activity_tags.c.tag_id == chosen.tag)
        )
        where.append(tagged)
    if chosen.light is not None and chosen.light not in LIGHTS:
        raise InvalidInput(f"light must be one of {', '.join(LIGHTS)}")
    return where


def lights(
    session: Session,
    scope: Scope,
    now: datetime,
    tz: tzinfo,
    rules: Rules,
    *,
    chosen: LightFilter | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Lights:
    chosen = chosen or LightFilter()
    where = _conditions(session, scope, rules, chosen)
    color = light_sql(now, rules)
    counts = dict.fromkeys(LIGHTS, 0)
    for value, n in session.execute(select(color, func.count()).where(*where).group_by(color)):
        counts[value] = n
    query = select(Lead).where(*where)
    if chosen.light is not None:
        query = query.where(color == chosen.light)
    worst_first = case({v: i for i, v in enumerate(LIGHTS)}, value=color)
    query = query.order_by(worst_first, idle_since(), Lead.id)
    total = counts[chosen.light] if chosen.light else sum(counts.values())
    return Lights(counts, page_of_leads(session, query, now, rules, page=page, per_page=per_page, total=total))
