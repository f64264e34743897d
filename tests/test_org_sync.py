"""Directory sync, the storage rules: departments → nested teams, leaders → managers, leavers deactivated.

The neutral directory of tests/directory_samples.py stands in for a platform reader (their own tests are in
test_org_directory.py); every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import periodic, runtime
from config.workdays import default_calendar
from storage.alerts import open_alerts, untouched_leads
from storage.leads import add_assigned_lead, can_act
from storage.models import Alert, Lead, Team, User
from storage.org import sync_directory
from storage.people import InvalidInput, add_team, add_user, find_user, managed_team_ids, manager_of
from tests.conftest import NOW
from tests.directory_samples import DEPARTMENTS, PEOPLE, SALES_ROOT, directory

ROOTS = (SALES_ROOT,)


def sync(rt: runtime.Runtime, people=PEOPLE, roots=ROOTS, at=NOW):
    with rt.transaction() as session:
        return sync_directory(session, directory(people), roots=roots, now=at)


def teams(rt: runtime.Runtime) -> dict[str, tuple[str | None, str | None]]:
    """Team name → (parent team, manager)."""
    with rt.transaction() as session:
        return {
            t.name: (t.parent.name if t.parent else None, t.manager.name if t.manager else None)
            for t in session.scalars(select(Team))
        }


def people(rt: runtime.Runtime) -> dict[str, tuple[str, str | None, bool]]:
    """Person → (role, team, active)."""
    with rt.transaction() as session:
        return {
            u.name: (u.role, u.team.name if u.team else None, u.deactivated_at is None)
            for u in session.scalars(select(User))
        }


def user(session, uid: str) -> User:
    found = find_user(session, f"wecom:{uid}")
    assert found is not None
    return found


def give_lead(rt: runtime.Runtime, session, uid: str) -> Lead:
    owner = user(session, uid)
    return add_assigned_lead(
        session, owner, company="杭州华力机械", contact_name=None, phone=None, now=NOW, rules=rt.rules
    )


def test_departments_under_the_sales_root_become_nested_teams_led_by_their_leaders(rt) -> None:
    report = sync(rt)
    assert teams(rt) == {
        "销售中心": (None, "王总监"),
        "华东大区": ("销售中心", "赵区长"),
        "杭州组": ("华东大区", "刘组长"),
        "上海组": ("华东大区", None),
    }
    assert people(rt) == {
        "王总监": ("manager", "销售中心", True),
        "赵区长": ("manager", "华东大区", True),
        "刘组长": ("manager", "杭州组", True),
        "张伟": ("rep", "杭州组", True),
        "李四": ("rep", "上海组", True),  # in two departments: the main one
    }
    assert report.counts() == {
        "teams_created": 4,
        "teams_updated": 0,
        "managers_set": 3,
        "users_added": 5,
        "users_updated": 3,  # the three leaders: rep → manager
        "users_deactivated": 0,
        "handover_cards": 0,
    }


def test_without_roots_every_department_is_a_team(rt) -> None:
    sync(rt, roots=())
    assert set(teams(rt)) == {"华力科技", "销售中心", "华东大区", "杭州组", "上海组", "研发部"}
    assert teams(rt)["销售中心"] == ("华力科技", "王总监")


def test_a_root_may_be_named_by_its_department_id(rt) -> None:
    sync(rt, roots=("3",))
    assert set(teams(rt)) == {"华东大区", "杭州组", "上海组"}


def test_roots_nested_in_each_other_keep_the_nesting_whatever_their_order(rt) -> None:
    sync(rt, roots=("杭州组", "华东大区"))
    assert teams(rt) == {"华东大区": (None, "赵区长"), "杭州组": ("华东大区", "刘组长"), "上海组": ("华东大区", None)}


def test_an_unknown_root_is_refused_and_nothing_changes(rt) -> None:
    with pytest.raises(InvalidInput, match="'华南大区' is no department"):
        sync(rt, roots=("华南大区",))
    assert teams(rt) == {} and people(rt) == {}


def test_a_directory_with_nobody_in_it_is_refused_so_no_one_is_deactivated(rt) -> None:
    sync(rt)
    with pytest.raises(InvalidInput, match="returned nobody"):
        sync(rt, people=[])
    assert all(active for _, _, active in people(rt).values())


def test_a_second_sync_of_the_same_directory_changes_nothing(rt) -> None:
    sync(rt)
    again = sync(rt)
    assert again.lines() == []


def test_names_and_teams_follow_the_directory(rt) -> None:
    sync(rt)
    moved = [(u, "张伟伟" if u == "zhangwei" else n, (5,) if u == "zhangwei" else d) for u, n, d in PEOPLE]
    report = sync(rt, people=moved)
    assert report.users_updated == ["张伟伟: renamed from 张伟, moved to 上海组"]
    assert people(rt)["张伟伟"] == ("rep", "上海组", True)


def test_a_regional_head_manages_every_team_under_theirs(rt) -> None:
    sync(rt)
    with rt.transaction() as session:
        head, team_lead = user(session, "zhaoregion"), user(session, "liuteam")
        by_name = {t.name: t.id for t in session.scalars(select(Team))}
        assert managed_team_ids(session, head) == sorted([by_name["华东大区"], by_name["杭州组"], by_name["上海组"]])
        assert managed_team_ids(session, team_lead) == [by_name["杭州组"]]
        lead = give_lead(rt, session, "zhangwei")
        assert can_act(session, head, lead) and can_act(session, user(session, "wanghead"), lead)
        assert not can_act(session, user(session, "lisi"), lead)


def test_a_team_leads_own_leads_are_watched_by_the_head_above_and_a_leaderless_team_by_its_parent(rt) -> None:
    sync(rt)
    with rt.transaction() as session:
        assert manager_of(session, user(session, "zhangwei")).name == "刘组长"
        assert manager_of(session, user(session, "liuteam")).name == "赵区长"
        assert manager_of(session, user(session, "lisi")).name == "赵区长"  # 上海组 has no leader


def test_roles_set_by_hand_are_kept(rt) -> None:
    with rt.transaction() as session:
        add_user(session, "wecom:zhangwei", name="张伟", role="admin", team=None, now=NOW)
        add_user(session, "wecom:lisi", name="李四", role="manager", team=None, now=NOW)
    sync(rt)
    assert people(rt)["张伟"][0] == "admin"
    assert people(rt)["李四"][0] == "manager"


def test_someone_gone_from_the_directory_is_deactivated_and_their_team_loses_them_as_manager(rt) -> None:
    sync(rt)
    report = sync(rt, people=[p for p in PEOPLE if p[0] != "liuteam"], at=NOW + timedelta(days=1))
    assert report.users_deactivated == ["刘组长 (wecom:liuteam)"]
    assert [u.name for u in report.leavers] == ["刘组长"]
    assert people(rt)["刘组长"] == ("manager", "杭州组", False)  # kept, never deleted
    assert teams(rt)["杭州组"] == ("华东大区", None)
    with rt.transaction() as session:
        assert manager_of(session, user(session, "zhangwei")).name == "赵区长"


def test_someone_back_in_the_directory_is_reactivated(rt) -> None:
    sync(rt)
    sync(rt, people=[p for p in PEOPLE if p[0] != "zhangwei"])
    assert sync(rt).users_updated == ["张伟: back in the directory: reactivated"]
    assert people(rt)["张伟"][2] is True


def test_someone_back_in_the_directory_outside_sales_is_reactivated_too(rt) -> None:
    sync(rt)
    sync(rt, people=[p for p in PEOPLE if p[0] != "zhangwei"])
    to_rnd = [(u, n, (6,) if u == "zhangwei" else d) for u, n, d in PEOPLE]
    assert sync(rt, people=to_rnd).users_updated == [
        "张伟: left 杭州组 (no longer in sales)",
        "张伟: back in the directory: reactivated",
    ]
    assert people(rt)["张伟"] == ("rep", None, True)


def test_someone_outside_sales_keeps_their_account_but_leaves_the_synced_teams(rt) -> None:
    sync(rt)
    to_rnd = [(u, n, (6,) if u == "zhangwei" else d) for u, n, d in PEOPLE]
    assert sync(rt, people=to_rnd).users_updated == ["张伟: left 杭州组 (no longer in sales)"]
    assert people(rt)["张伟"] == ("rep", None, True)


def test_a_team_whose_department_is_gone_is_kept_and_reported(rt) -> None:
    sync(rt)
    with rt.transaction() as session:
        report = sync_directory(session, directory(departments=DEPARTMENTS[:4]), roots=ROOTS, now=NOW)
    assert report.warnings == [
        "team 上海组: wecom department 5 is gone or outside the sales roots (the team is kept as it is)"
    ]
    assert teams(rt)["上海组"] == ("华东大区", None)


def test_a_hand_made_team_of_the_same_name_is_adopted(rt) -> None:
    with rt.transaction() as session:
        add_user(session, "chat:ops", name="运营", role="admin", team=None, now=NOW)
        add_team(session, "杭州组", manager_key="chat:ops", now=NOW)
    report = sync(rt)
    assert "杭州组: linked to wecom department 4" in report.teams_updated[0]
    assert len(teams(rt)) == 4


def test_a_leavers_stale_lead_escalates_to_the_manager_above_not_to_nobody(rt) -> None:
    sync(rt)
    with rt.transaction() as session:
        give_lead(rt, session, "zhangwei")
    sync(rt, people=[p for p in PEOPLE if p[0] not in ("zhangwei", "liuteam")], at=NOW + timedelta(days=1))
    periodic.escalate((NOW + timedelta(days=5)).isoformat())
    with rt.transaction() as session:
        (alert,) = session.scalars(select(Alert))
        assert alert.manager_id == user(session, "zhaoregion").id


def test_alerts_waiting_for_a_manager_who_left_go_to_the_manager_above(rt) -> None:
    sync(rt)
    with rt.transaction() as session:
        give_lead(rt, session, "zhangwei")
        alert_time = NOW + timedelta(days=5)
        findings = untouched_leads(session, alert_time, rt.settings.tz, rt.rules, default_calendar())
        open_alerts(session, findings, alert_time)  # opened for 刘组长, not yet pushed
        (alert,) = session.scalars(select(Alert))
        assert alert.manager_id == user(session, "liuteam").id
    sync(rt, people=[p for p in PEOPLE if p[0] != "liuteam"], at=NOW + timedelta(days=5))
    with rt.transaction() as session:
        (alert,) = session.scalars(select(Alert))
        assert alert.manager_id == user(session, "zhaoregion").id
