"""The behaviour heat map: rep × local day × activity type, first-touch time, and 连续两周无新增客户."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage.behaviour import behaviour, company_activity
from storage.refusals import Refusal, Why
from storage.scopes import scope_of
from tests.cockpit_world import TZ, World, at, build_world

NOW = at("2026-12-15T10:00")  # a Tuesday


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from build_world(db_url)


def heatmap(world: World, viewer: str = "wecom:boss1"):
    return behaviour(world.session, scope_of(world.session, world.user(viewer)), NOW, TZ, world.rules)


def row(result, name: str):
    return next(r for r in result.rows if r.rep_name == name)


def test_the_map_covers_the_28_local_days_ending_today(world: World) -> None:
    result = heatmap(world)
    assert (len(result.days), result.days[0], result.days[-1]) == (28, date(2026, 11, 18), date(2026, 12, 15))


def test_days_are_cut_at_shanghai_midnight_not_utc_midnight(world: World) -> None:
    lead = world.lead("wecom:zhangwei", "甲", created=at("2026-12-01T09:00"))
    world.note(lead, datetime(2026, 12, 13, 15, 59, tzinfo=UTC))  # 12-13 23:59 in Shanghai
    world.note(lead, datetime(2026, 12, 13, 16, 0, tzinfo=UTC))  # 12-14 00:00 in Shanghai
    world.note(lead, datetime(2026, 11, 17, 15, 59, tzinfo=UTC))  # 11-17 23:59: before the first day
    result = heatmap(world)
    per_day = dict(zip(result.days, row(result, "张伟").per_day, strict=True))
    assert (per_day[date(2026, 12, 13)], per_day[date(2026, 12, 14)], row(result, "张伟").total) == (1, 1, 2)


def test_cells_are_split_by_activity_type_and_types_come_most_logged_first(world: World) -> None:
    lead = world.lead("wecom:zhangwei", "甲", created=at("2026-12-01T09:00"))
    world.note(lead, at("2026-12-15T09:00"), kind="visit")
    world.note(lead, at("2026-12-15T09:30"), kind="call")
    world.note(lead, at("2026-12-14T09:30"), kind="call")
    other = world.lead("wecom:wangwu", "乙", created=at("2026-12-01T09:00"))
    world.note(other, at("2026-12-15T09:00"), kind="demo")  # another team: not in the map
    result = heatmap(world)
    zhang = row(result, "张伟")
    assert result.types == ("call", "visit")
    assert (zhang.by_type["call"][-2:], zhang.by_type["visit"][-2:], zhang.per_day[-1]) == ((1, 1), (0, 1), 2)
    assert sorted(r.rep_name for r in result.rows) == sorted(["张伟", "李四"])


def test_a_rep_with_no_new_lead_for_two_weeks_is_flagged(world: World) -> None:
    world.lead("wecom:zhangwei", "新客户", created=NOW - timedelta(days=13, hours=23))
    world.lead("wecom:lisi", "老客户", created=NOW - timedelta(days=14, minutes=1))
    result = heatmap(world)
    assert (row(result, "张伟").quiet_two_weeks, row(result, "李四").quiet_two_weeks) == (False, True)
    assert [r.rep_name for r in result.quiet] == ["李四"]


def test_first_touch_is_the_median_hours_from_assignment_to_the_first_note(world: World) -> None:
    for company, hours in [("一", 2), ("二", 4), ("三", 30)]:
        lead = world.lead("wecom:zhangwei", company, created=at("2026-12-10T09:00"))
        world.note(lead, at("2026-12-10T09:00") + timedelta(hours=hours))
        world.note(lead, at("2026-12-12T09:00"))
    world.lead("wecom:zhangwei", "没联系", created=at("2026-12-11T09:00"))
    world.lead("wecom:zhangwei", "太早", created=at("2026-11-01T09:00"))  # before the map's weeks
    [touch] = heatmap(world).first_touch
    assert (touch.rep_name, touch.new_leads, touch.touched, touch.median_hours) == ("张伟", 4, 3, 4.0)
    assert [line.company for line in touch.slowest] == ["没联系", "三", "二"]


def test_an_admin_can_narrow_the_map_to_one_team_and_a_manager_only_to_their_own(world: World) -> None:
    admin = scope_of(world.session, world.user("wecom:admin"))
    south = world.team("华南二组").id
    result = behaviour(world.session, admin, NOW, TZ, world.rules, team_id=south)
    assert [r.rep_name for r in result.rows] == ["王五"]
    with pytest.raises(Refusal) as refused:
        behaviour(
            world.session, scope_of(world.session, world.user("wecom:boss1")), NOW, TZ, world.rules, team_id=south
        )
    assert refused.value.why == Why.TEAM_NOT_IN_SCOPE


def test_days_stay_local_across_a_dst_change(world: World) -> None:
    new_york = ZoneInfo("America/New_York")  # DST ends 2026-11-01: that day has 25 hours
    now = datetime(2026, 11, 10, 12, 0, tzinfo=new_york)
    lead = world.lead("wecom:zhangwei", "甲", created=at("2026-10-01T09:00"))
    world.note(lead, datetime(2026, 11, 1, 23, 30, tzinfo=new_york))
    world.note(lead, datetime(2026, 11, 2, 0, 30, tzinfo=new_york))
    result = behaviour(world.session, scope_of(world.session, world.user("wecom:boss1")), now, new_york, world.rules)
    per_day = dict(zip(result.days, row(result, "张伟").per_day, strict=True))
    assert (per_day[date(2026, 11, 1)], per_day[date(2026, 11, 2)]) == (1, 1)


# ---------------------------------------------------------------- the whole company's summary


def summary(world: World, viewer: str = "wecom:admin"):
    return company_activity(world.session, scope_of(world.session, world.user(viewer)), NOW, TZ, world.rules)


def test_the_company_summary_names_who_has_logged_nothing_for_a_week_longest_silent_first(world: World) -> None:
    lead = world.lead("wecom:zhangwei", "甲", created=NOW - timedelta(days=3))
    world.note(lead, NOW - timedelta(days=6, hours=23))  # 张伟: within the week
    other = world.lead("wecom:wangwu", "乙", created=NOW - timedelta(days=3))
    world.note(other, NOW - timedelta(days=7, minutes=1))  # 王五: a week and a minute ago; 李四: never
    result = summary(world)
    assert [(r.rep_name, r.last_logged_at) for r in result.silent] == [
        ("李四", None),
        ("王五", NOW - timedelta(days=7, minutes=1)),
    ]


def test_the_company_summary_keeps_the_two_weeks_without_a_new_lead_flag(world: World) -> None:
    world.lead("wecom:zhangwei", "新客户", created=NOW - timedelta(days=13, hours=23))
    world.lead("wecom:lisi", "老客户", created=NOW - timedelta(days=14, minutes=1))
    world.lead("wecom:wangwu", "华南新客户", created=NOW - timedelta(days=1))
    assert [(r.rep_name, r.team_name) for r in summary(world).quiet] == [("李四", "华东一组")]


def test_the_company_summary_counts_each_teams_reps_and_flags(world: World) -> None:
    world.lead("wecom:zhangwei", "新客户", created=NOW - timedelta(days=1))
    world.note(world.lead("wecom:wangwu", "乙", created=NOW - timedelta(days=1)), NOW - timedelta(hours=1))
    lines = [(t.team_name, t.reps, t.silent, t.quiet) for t in summary(world).teams]
    assert lines == [("华东一组", 2, 2, 1), ("华南二组", 1, 0, 0)]


def test_a_managers_summary_covers_only_their_teams(world: World) -> None:
    assert [t.team_name for t in summary(world, "wecom:boss1").teams] == ["华东一组"]
    assert {r.rep_name for r in summary(world, "wecom:boss1").flagged} == {"张伟", "李四"}
