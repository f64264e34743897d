"""A cockpit to test against: the app over a runtime, tests.cockpit_world's company (an admin, a manager with two
reps, a second team's manager and rep), and signing in through a one-time link as any of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.app import create_app
from bot.console import console_secret, new_link
from bot.runtime import Runtime
from config.workdays import default_calendar
from storage.alerts import open_alerts, red_leads, untouched_leads
from storage.models import Alert, User
from storage.people import add_team, add_user, find_user
from storage.targets import set_target
from tests.cockpit_world import PEOPLE, World

# Who is who in tests.cockpit_world's company.
WHO = {
    "admin": "wecom:admin",
    "manager": "wecom:boss1",
    "rep": "wecom:zhangwei",
    "rep2": "wecom:lisi",
    "other_manager": "wecom:boss2",
    "other_rep": "wecom:wangwu",
}


TEAM_MANAGERS = {"华东一组": "wecom:boss1", "华南二组": "wecom:boss2"}


def add_people(rt: Runtime, now: datetime) -> dict[str, int]:
    """tests.cockpit_world's company; returns each person's user id by the names of WHO."""
    with rt.transaction() as db:
        teams: set[str] = set()
        for key, name, role, team in sorted(PEOPLE, key=lambda person: person[3] is not None):  # managers first
            if team is not None and team not in teams:
                add_team(db, team, manager_key=TEAM_MANAGERS[team], now=now)
                teams.add(team)
            add_user(db, key, name=name, role=role, team=team, now=now)
        return {who: find_user(db, key).id for who, key in WHO.items()}  # type: ignore[union-attr]


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


@dataclass(frozen=True)
class Seeded:
    red: int  # 杭州华力机械, 张伟's, assigned 20 days ago and never touched: red, with open alerts
    fresh: int  # 苏州明达医疗, 张伟's, a note today and a follow-up due today
    yellow: int  # 上海申通包装, 李四's, idle 8 days
    other: int  # 广州南方电气, 王五's (the other team), red, with open alerts


def seed(rt: Runtime, now: datetime) -> Seeded:
    """A few leads of each light, and the alerts escalation would have opened on the red ones."""
    with rt.transaction() as db:
        world = World(db)
        red = world.lead(
            "wecom:zhangwei", "杭州华力机械", created=now - timedelta(days=20), stage="proposal", amount=200_000
        )
        fresh = world.lead(
            "wecom:zhangwei", "苏州明达医疗", created=now - timedelta(days=3), stage="contacted", amount=80_000
        )
        world.note(
            fresh, now - timedelta(hours=1), kind="visit", tags=("price_sensitive",), text="拜访王总 嫌贵 要样机"
        )
        fresh.next_follow_up_at = now - timedelta(minutes=5)  # overdue: on today's list at any hour
        yellow = world.lead(
            "wecom:lisi", "上海申通包装", created=now - timedelta(days=8), stage="qualified", amount=50_000
        )
        other = world.lead("wecom:wangwu", "广州南方电气", created=now - timedelta(days=20), stage="negotiation")
        found = untouched_leads(db, now, rt.settings.tz, rt.rules, default_calendar()) + red_leads(db, now, rt.rules)
        open_alerts(db, found, now)
        return Seeded(red.id, fresh.id, yellow.id, other.id)


def alert_ids(rt: Runtime, lead_id: int) -> list[int]:
    with rt.transaction() as db:
        return list(db.scalars(select(Alert.id).where(Alert.lead_id == lead_id).order_by(Alert.id)))


SHOWCASE = (
    # company, owner, stage, amount, days since created, (days ago, type, tags, text) notes
    (
        "宁波恒达模具",
        "wecom:zhangwei",
        "negotiation",
        680_000,
        40,
        (
            (30, "visit", ("decision_maker",), "拜访老板 聊产线改造"),
            (12, "quote", ("wants_quote", "price_sensitive"), "发了报价 嫌贵 要再降5个点"),
            (2, "call", ("payment_terms",), "谈账期 月结60天"),
        ),
    ),
    (
        "无锡新锐电子",
        "wecom:zhangwei",
        "proposal",
        320_000,
        25,
        (
            (20, "call", (), "初次电话 有需求"),
            (9, "demo", ("needs_sample",), "线上演示 要样机试用"),
            (4, "wechat", ("competitor",), "在跟别家比价"),
        ),
    ),
    (
        "常州明光照明",
        "wecom:zhangwei",
        "qualified",
        150_000,
        18,
        (
            (15, "visit", ("budget_confirmed",), "预算20万 已批"),
            (6, "call", ("delivery_concern",), "关心交期 月底要货"),
        ),
    ),
    (
        "嘉兴华宇包装",
        "wecom:lisi",
        "proposal",
        260_000,
        30,
        (
            (26, "visit", (), "上门拜访采购"),
            (11, "quote", ("wants_quote",), "报价已发"),
            (3, "call", ("price_sensitive", "competitor"), "嫌贵 别家便宜一成"),
        ),
    ),
    ("湖州天成纺织", "wecom:lisi", "contacted", 90_000, 10, ((8, "call", ("hesitant",), "说在忙 等通知"),)),
    (
        "绍兴永盛化工",
        "wecom:lisi",
        "negotiation",
        540_000,
        45,
        (
            (35, "visit", ("decision_maker",), "见了总经理"),
            (21, "meeting", ("wants_proposal",), "要方案和案例"),
            (16, "quote", ("price_sensitive",), "价格还要谈"),
        ),
    ),
)


def seed_showcase(rt: Runtime, now: datetime) -> None:
    """More leads and four weeks of notes, so the screenshots in docs/ show full pages; and a team target."""
    with rt.transaction() as db:
        world = World(db)
        for company, owner, stage, amount, age, notes in SHOWCASE:
            lead = world.lead(owner, company, created=now - timedelta(days=age), amount=amount)
            for days_ago, kind, tags, text in notes:
                world.note(lead, now - timedelta(days=days_ago, hours=2), kind=kind, tags=tags, text=text)
            if lead.stage != stage:
                world.move(lead, stage, now - timedelta(days=notes[-1][0], hours=1))
        set_target(
            db, month=now.astimezone(rt.settings.tz).strftime("%Y-%m"), amount=2_000_000, team="华东一组", now=now
        )
