"""`salesbot org sync` end to end: wechatpy and lark-oapi read the fake directories (paged), one transaction
syncs them, leavers' managers get one card with 改派 buttons, and the digest keeps the leads in view until
they are handed on. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import periodic, runtime
from bot.cards import Card
from bot.cli import main
from bot.org_sync import DirectoryUnreadable, sync_platform
from config.settings import Settings
from storage.leads import add_assigned_lead
from storage.models import Activity, Lead, OutboxMessage, Team, User
from storage.people import find_user
from tests import fake_feishu, fake_wecom
from tests.conftest import NOW, Chat, RecordingSender
from tests.directory_samples import (
    PEOPLE,
    SALES_ROOT,
    feishu_departments,
    feishu_staff,
    wecom_departments,
    wecom_staff,
)
from tests.fake_feishu import FakeFeishu
from tests.fake_wecom import Failure, FakeWecom
from tests.stack import feishu_settings

WITHOUT_LISI = [p for p in PEOPLE if p[0] != "lisi"]


@pytest.fixture
def wecom() -> Iterator[FakeWecom]:
    fake = FakeWecom(users={uid: name for uid, name, _ in PEOPLE}).start()
    fake.departments, fake.staff = wecom_departments(), wecom_staff()
    yield fake
    fake.stop()


@pytest.fixture
def feishu() -> Iterator[FakeFeishu]:
    with contextmanager(fake_feishu.serve)() as fake:
        fake.departments, fake.staff = feishu_departments(), feishu_staff()
        yield fake


@pytest.fixture
def org_rt(db_url: str, wecom: FakeWecom, feishu: FakeFeishu) -> Iterator[runtime.Runtime]:
    settings = Settings(
        database_url=db_url, wecom=wecom.settings(), feishu=feishu_settings(feishu), org_roots=(SALES_ROOT,)
    )
    with runtime.installed(runtime.build_runtime(settings)) as rt:
        rt.senders["chat"] = RecordingSender()
        yield rt


def team_names(rt: runtime.Runtime) -> set[str]:
    with rt.transaction() as session:
        return set(session.scalars(select(Team.name)))


def count(rt: runtime.Runtime, model: type) -> int:
    with rt.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def outbox(rt: runtime.Runtime, kind: str) -> list[tuple[str, Card]]:
    with rt.transaction() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        return [(row.recipient, Card.from_dict(row.payload["card"])) for row in rows]


def give_leads(rt: runtime.Runtime, key: str, *companies: str) -> None:
    with rt.transaction() as session:
        owner = find_user(session, key)
        assert owner is not None
        for company in companies:
            add_assigned_lead(session, owner, company=company, contact_name=None, phone=None, now=NOW, rules=rt.rules)


def test_wecom_sync_reads_the_departments_then_each_departments_members(org_rt, wecom) -> None:
    report = sync_platform(org_rt, "wecom", now=NOW)
    assert team_names(org_rt) == {"销售中心", "华东大区", "杭州组", "上海组"}
    assert report.counts()["users_added"] == 5
    assert len(wecom.calls("department/list")) == 1
    assert sorted(int(c.query["department_id"]) for c in wecom.calls("user/list")) == [1, 2, 3, 4, 5, 6]


def test_feishu_sync_follows_the_page_tokens_of_both_lists(org_rt, feishu) -> None:
    sync_platform(org_rt, "feishu", now=NOW)
    assert team_names(org_rt) == {"销售中心", "华东大区", "杭州组", "上海组"}
    pages = feishu.calls("/open-apis/contact/v3/departments/0/children")
    assert [c.query.get("page_token", [""])[0] for c in pages] == ["", "2", "4"]  # 5 departments, 2 a page
    with org_rt.transaction() as session:
        lisi = find_user(session, "feishu:ou_lisi")
        assert lisi is not None and lisi.team is not None and lisi.team.name == "上海组"
        assert lisi.team.manager is None and lisi.team.parent.manager.name == "赵区长"


def test_a_wecom_error_on_the_third_department_changes_nothing(org_rt, wecom) -> None:
    sync_platform(org_rt, "wecom", now=NOW)
    wecom.staff = wecom_staff(WITHOUT_LISI)
    wecom.fail("user/list", Failure(), Failure(), Failure(errcode=-1))
    with pytest.raises(DirectoryUnreadable, match="reading the wecom directory failed: WeCom errcode -1"):
        sync_platform(org_rt, "wecom", now=NOW + timedelta(days=1))
    with org_rt.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.deactivated_at.is_not(None))) == 0


def test_a_feishu_error_on_the_third_page_changes_nothing(org_rt, feishu) -> None:
    feishu.fail(r"/open-apis/contact/v3/users/find_by_department", status=500, after=2)
    with pytest.raises(DirectoryUnreadable, match="reading the feishu directory failed"):
        sync_platform(org_rt, "feishu", now=NOW)
    assert (count(org_rt, Team), count(org_rt, User)) == (0, 0)


def test_a_dry_run_reports_the_sync_and_leaves_nothing_behind(org_rt, wecom) -> None:
    sync_platform(org_rt, "wecom", now=NOW)
    give_leads(org_rt, "wecom:lisi", "杭州华力机械")
    wecom.staff = wecom_staff(WITHOUT_LISI)
    report = sync_platform(org_rt, "wecom", now=NOW + timedelta(days=1), dry_run=True)
    assert report.users_deactivated == ["李四 (wecom:lisi)"]
    assert report.handovers == ["1 leads of 李四 → card to 赵区长"]
    with org_rt.transaction() as session:
        assert session.scalar(select(User.deactivated_at).where(User.name == "李四")) is None
    assert outbox(org_rt, "handover") == []


def test_a_leavers_manager_gets_one_card_and_a_click_hands_every_open_lead_on(org_rt, wecom) -> None:
    sync_platform(org_rt, "wecom", now=NOW)
    give_leads(org_rt, "wecom:lisi", "杭州华力机械", "宁波东方电子")
    wecom.staff = wecom_staff(WITHOUT_LISI)
    sync_platform(org_rt, "wecom", now=NOW + timedelta(hours=1))
    ((recipient, card),) = outbox(org_rt, "handover")
    assert recipient == "wecom:zhaoregion"
    assert card.title == "李四已离职，2条客户待交接"
    assert card.lines[:2] == ("· 杭州华力机械（线索）", "· 宁波东方电子（线索）")
    assert [b.label for b in card.buttons] == ["改派给张伟"]  # the head's active reps, not the leaver
    manager = Chat(org_rt, org_rt.senders["chat"], who="wecom:zhaoregion", now=NOW + timedelta(hours=2))
    answer = manager.click(card.buttons[0].action, card.buttons[0].value)
    assert "✅ 赵区长已把2条客户改派给张伟" in answer
    with org_rt.transaction() as session:
        assert set(session.scalars(select(User.name).join(Lead, Lead.owner_id == User.id))) == {"张伟"}
    assert "这位同事的客户已经交接完了。" in manager.click(card.buttons[0].action, card.buttons[0].value)


def test_a_rep_cannot_hand_on_a_leavers_leads(org_rt, wecom) -> None:
    sync_platform(org_rt, "wecom", now=NOW)
    give_leads(org_rt, "wecom:lisi", "杭州华力机械")
    wecom.staff = wecom_staff(WITHOUT_LISI)
    sync_platform(org_rt, "wecom", now=NOW + timedelta(hours=1))
    ((_, card),) = outbox(org_rt, "handover")
    rep = Chat(org_rt, org_rt.senders["chat"], who="wecom:zhangwei", now=NOW + timedelta(hours=2))
    assert "只有主管可以分配线索。" in rep.click(card.buttons[0].action, card.buttons[0].value)
    with org_rt.transaction() as session:
        assert set(session.scalars(select(User.name).join(Lead, Lead.owner_id == User.id))) == {"李四"}


def test_the_morning_digest_lists_a_leavers_leads_until_they_are_handed_on(org_rt, wecom) -> None:
    sync_platform(org_rt, "wecom", now=NOW)
    give_leads(org_rt, "wecom:lisi", "杭州华力机械")
    wecom.staff = wecom_staff(WITHOUT_LISI)
    sync_platform(org_rt, "wecom", now=NOW)
    periodic.digest(NOW.isoformat())
    digests = dict(outbox(org_rt, "digest"))
    assert "👋 离职同事的客户待交接 1 条：" in digests["wecom:zhaoregion"].lines
    assert "  · 杭州华力机械（原负责人李四）" in digests["wecom:zhaoregion"].lines
    ((_, card),) = outbox(org_rt, "handover")
    Chat(org_rt, org_rt.senders["chat"], who="wecom:zhaoregion").click(card.buttons[0].action, card.buttons[0].value)
    periodic.digest((NOW + timedelta(days=1)).isoformat())
    latest = [c for r, c in outbox(org_rt, "digest") if r == "wecom:zhaoregion"][-1]
    assert not any("离职" in line for line in latest.lines)


def test_someone_who_left_is_told_politely_and_nothing_is_recorded(org_rt, wecom) -> None:
    sync_platform(org_rt, "wecom", now=NOW)
    wecom.staff = wecom_staff(WITHOUT_LISI)
    sync_platform(org_rt, "wecom", now=NOW)
    answer = Chat(org_rt, org_rt.senders["chat"], who="wecom:lisi").say("今天拜访杭州华力机械王总 13912345678")
    assert answer == "你的账号已不在公司通讯录中，机器人不再为你记录跟进。如有疑问，请联系管理员。"
    assert (count(org_rt, Activity), count(org_rt, Lead)) == (0, 0)
    clicked = Chat(org_rt, org_rt.senders["chat"], who="wecom:lisi").click("lead_card", {"lead_id": 1})
    assert clicked == answer


def test_the_daily_job_syncs_every_configured_platform(org_rt) -> None:
    assert "org_sync" in periodic.JOBS
    result = periodic.org_sync(NOW.isoformat())
    assert set(result) == {"wecom", "feishu"}
    assert result["wecom"]["teams_created"] == 4  # type: ignore[index]


def test_cli_dry_run_prints_the_changes_then_a_real_run_makes_them(db_url, wecom, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "SALESBOT_DATABASE_URL": db_url,
        "SALESBOT_WECOM_CORP_ID": wecom.corp_id,
        "SALESBOT_WECOM_AGENT_ID": str(fake_wecom.AGENT_ID),
        "SALESBOT_WECOM_SECRET": wecom.secret,
        "SALESBOT_WECOM_TOKEN": fake_wecom.TOKEN,
        "SALESBOT_WECOM_AES_KEY": fake_wecom.AES_KEY,
        "SALESBOT_WECOM_API_BASE": wecom.api_base,
        "SALESBOT_ORG_ROOTS": SALES_ROOT,
    }

    def run(*args: str):
        return CliRunner().invoke(main, list(args), env=env)

    dry = run("org", "sync", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "wecom: team created: 杭州组 (wecom department 4)" in dry.output
    assert "wecom (dry run, nothing changed): teams created 4, teams updated 0, managers set 3" in dry.output
    assert run("teams", "list", "--json").output.strip() == "[]"
    real = run("org", "sync", "--platform", "wecom")
    assert real.exit_code == 0, real.output
    assert "wecom: user added: 张伟 (wecom:zhangwei) in 杭州组" in real.output
    teams = json.loads(run("teams", "list", "--json").output)
    assert {t["name"]: (t["parent"], t["manager"]) for t in teams}["杭州组"] == ("华东大区", "wecom:liuteam")
    wecom.staff = wecom_staff(WITHOUT_LISI)
    assert "wecom: user deactivated: 李四 (wecom:lisi)" in run("org", "sync").output
    users = json.loads(run("users", "list", "--json").output)
    assert [u["name"] for u in users if not u["active"]] == ["李四"]
    wecom.fail("user/list", Failure(), Failure(), Failure(status=502))
    failed = run("org", "sync")
    assert failed.exit_code == 1
    assert "reading the wecom directory failed: WeCom API answered HTTP 502; nothing was changed" in failed.output


def test_a_leavers_reminders_wait_for_the_new_owner_and_nothing_is_pushed_to_the_leaver(org_rt, wecom) -> None:
    sync_platform(org_rt, "wecom", now=NOW)
    Chat(org_rt, org_rt.senders["chat"], who="wecom:lisi").say("今天拜访杭州华力机械王总 13912345678 下周三再约")
    wecom.staff = wecom_staff(WITHOUT_LISI)
    sync_platform(org_rt, "wecom", now=NOW + timedelta(days=1))
    due = (NOW + timedelta(days=7, minutes=5)).isoformat()  # 12月2日 10:05, the follow-up's time
    assert periodic.reminders(due)["sent"] == 0
    ((_, card),) = outbox(org_rt, "handover")
    Chat(org_rt, org_rt.senders["chat"], who="wecom:zhaoregion").click(card.buttons[0].action, card.buttons[0].value)
    assert periodic.reminders(due)["sent"] == 1
    assert [recipient for recipient, _ in outbox(org_rt, "reminder")] == ["wecom:zhangwei"]
    with org_rt.transaction() as session:
        pushed = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.recipient == "wecom:lisi"))
        assert set(pushed) <= {"reply"}  # only the answers to lisi's own note, before leaving
