"""A cockpit to test against: the app over a runtime, a small company (an admin, a manager with two reps, a
second team's manager and rep), and signing in through a one-time link as any of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.app import create_app
from bot.console import console_secret, new_link
from bot.runtime import Runtime
from storage.models import User
from storage.people import add_team, add_user, find_user

PEOPLE = {
    "admin": ("wecom:boss", "老板", "admin", None),
    "manager": ("wecom:wangjl", "王经理", "rep", None),
    "rep": ("wecom:zhangwei", "张伟", "rep", "华东一组"),
    "rep2": ("wecom:lisi", "李四", "rep", "华东一组"),
    "other_manager": ("wecom:zhaojl", "赵经理", "rep", None),
    "other_rep": ("wecom:qianqi", "钱七", "rep", "华南组"),
}


def add_people(rt: Runtime, now: datetime) -> dict[str, int]:
    """The company above; returns each person's user id by role name."""
    with rt.transaction() as db:
        for key, name, role, _ in PEOPLE.values():
            add_user(db, key, name=name, role=role, team=None, now=now)
        add_team(db, "华东一组", manager_key="wecom:wangjl", now=now)
        add_team(db, "华南组", manager_key="wecom:zhaojl", now=now)
        for key, name, role, team in PEOPLE.values():
            if team:
                add_user(db, key, name=name, role=role, team=team, now=now)
        return {who: find_user(db, key).id for who, (key, *_) in PEOPLE.items()}  # type: ignore[union-attr]


@dataclass
class Site:
    rt: Runtime
    app: Flask
    ids: dict[str, int]

    def link(self, who: str, now: datetime | None = None) -> str:
        with self.rt.transaction() as db:
            user = db.scalar(select(User).where(User.id == self.ids[who]))
            assert user is not None
            return new_link(
                db,
                user,
                secret=console_secret(self.rt, db),
                public_url=self.rt.settings.public_url,
                now=now or datetime.now(UTC),
            )

    def path(self, link: str) -> str:
        return link.removeprefix(self.rt.settings.public_url)

    def client(self, who: str | None = None) -> FlaskClient:
        """A browser; signed in as `who` through a fresh link when given."""
        client = self.app.test_client()
        if who is not None:
            answer = client.get(self.path(self.link(who)))
            assert answer.status_code == 302, answer.status_code
        return client


def build_site(rt: Runtime) -> Site:
    return Site(rt, create_app(rt.settings, rt), add_people(rt, datetime.now(UTC)))
