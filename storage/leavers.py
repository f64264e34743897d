"""People who left: their open leads wait for their manager to hand them on, and never escalate to nobody."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.rules import Rules
from storage.leads import can_act
from storage.models import Lead, User
from storage.refusals import Refusal, Why
from storage.roles import is_manager


def open_leads_of(session: Session, owner: User, rules: Rules) -> list[Lead]:
    """`owner`'s leads that are not won or lost, by id."""
    query = select(Lead).where(Lead.owner_id == owner.id, Lead.stage.not_in(rules.closed_stages)).order_by(Lead.id)
    return list(session.scalars(query))


def left_behind(session: Session, manager: User, rules: Rules) -> list[Lead]:
    """Open leads of deactivated people that `manager` may hand on (their teams, or everyone's for an admin)."""
    query = (
        select(Lead)
        .join(User, User.id == Lead.owner_id)
        .where(User.deactivated_at.is_not(None), Lead.stage.not_in(rules.closed_stages))
        .order_by(Lead.id)
    )
    return [lead for lead in session.scalars(query) if can_act(session, manager, lead)]


def leaver_leads_for_actor(session: Session, actor: User, leaver_id: int, rules: Rules) -> list[Lead]:
    """The open leads of the deactivated person `leaver_id` that `actor` may hand on; raises Refusal when `actor`
    is no manager, when there are none left (handed on already), or when none is `actor`'s to hand on."""
    if not is_manager(actor):
        raise Refusal(Why.MANAGERS_ONLY)
    leaver = session.get(User, leaver_id)
    leads = open_leads_of(session, leaver, rules) if leaver is not None and leaver.deactivated_at else []
    if not leads:
        raise Refusal(Why.NOTHING_TO_HAND_OVER)
    mine = [lead for lead in leads if can_act(session, actor, lead)]
    if not mine:
        raise Refusal(Why.LEAD_NOT_YOURS, lead=leads[0])
    return mine
