"""A small company for the cockpit's storage tests, built with the storage services themselves.

王经理 (wecom:boss1) manages 华东一组 with 张伟 (wecom:zhangwei) and 李四 (wecom:lisi); 赵经理 (wecom:boss2) manages
华南二组 with 王五 (wecom:wangwu); 管理员 (wecom:admin) is an admin. Each rep gets the leads a test gives them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from config.rules import Rules, default_rules
from storage.activities import NoteFacts, log_activity
from storage.db import make_engine, make_session_factory
from storage.leads import add_assigned_lead
from storage.models import Activity, Lead, Team, User
from storage.people import add_team, add_user, find_team, find_user
from storage.stages import move_stage

TZ = ZoneInfo("Asia/Shanghai")
RULES = default_rules()
PEOPLE = (
    ("wecom:boss1", "王经理", "manager", None),
    ("wecom:boss2", "赵经理", "manager", None),
    ("wecom:admin", "管理员", "admin", None),
    ("wecom:zhangwei", "张伟", "rep", "华东一组"),
    ("wecom:lisi", "李四", "rep", "华东一组"),
    ("wecom:wangwu", "王五", "rep", "华南二组"),
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class World:
    session: Session
    rules: Rules = RULES

    def user(self, key: str) -> User:
        user = find_user(self.session, key)
        assert user is not None, key
        return user

    def team(self, name: str) -> Team:
        return find_team(self.session, name)

    def lead(
        self, owner: str, company: str, *, created: datetime, stage: str = "lead", amount: int | None = None
    ) -> Lead:
        lead = add_assigned_lead(
            self.session, self.user(owner), company=company, contact_name=None, phone=None, now=created, rules=RULES
        )
        lead.stage, lead.amount = stage, amount
        self.session.flush()
        return lead

    def note(
        self, lead: Lead, when: datetime, *, kind: str = "call", tags: tuple[str, ...] = (), text: str = "电话沟通"
    ) -> Activity:
        facts = NoteFacts(activity_type=kind, tags=tags, follow_up_at=None, follow_up_has_time=False, amount=None)
        activity = log_activity(
            self.session, lead.owner, lead, text=text, facts=facts, source="chat", now=when, rules=self.rules
        )
        self.session.flush()
        return activity

    def move(self, lead: Lead, to_stage: str, when: datetime) -> None:
        move_stage(self.session, lead, to_stage, actor=lead.owner, now=when)
        self.session.flush()


def build_world(url: str) -> Iterator[World]:
    """The company above on the database at `url`, in one session that is rolled back at the end."""
    engine = make_engine(url)
    session = make_session_factory(engine)()
    created = at("2026-01-05T09:00")
    for key, name, role, _team in PEOPLE:
        add_user(session, key, name=name, role=role, team=None, now=created)
    add_team(session, "华东一组", manager_key="wecom:boss1", now=created)
    add_team(session, "华南二组", manager_key="wecom:boss2", now=created)
    for key, name, role, team in PEOPLE:
        if team:
            add_user(session, key, name=name, role=role, team=team, now=created)
    session.flush()
    try:
        yield World(session)
    finally:
        session.rollback()
        session.close()
        engine.dispose()
