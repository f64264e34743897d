"""The cockpit's home figures: 今日待跟进, 高风险待介入, and the month's forecast against the target (缺口)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from config.workdays import default_calendar
from storage.alerts import open_alerts, untouched_leads
from storage.cockpit_home import follow_ups_today, high_risk, home
from storage.forecast import month_forecast
from storage.people import InvalidInput
from storage.scopes import scope_of
from storage.targets import list_targets, set_target, target_for
from tests.cockpit_world import TZ, World, at, build_world

NOW = at("2026-12-15T10:00")


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from build_world(db_url)


def scope(world: World, key: str):
    return scope_of(world.session, world.user(key))


def test_the_forecast_is_won_this_month_plus_open_amounts_weighted_by_stage_probability(world: World) -> None:
    world.lead("wecom:zhangwei", "甲", created=at("2026-11-01T09:00"), stage="qualified", amount=100_000)  # 35%
    world.lead("wecom:lisi", "乙", created=at("2026-11-01T09:00"), stage="negotiation", amount=200_000)  # 80%
    world.lead("wecom:lisi", "丙", created=at("2026-11-01T09:00"), stage="lead", amount=None)  # no amount
    won = world.lead("wecom:zhangwei", "丁", created=at("2026-11-01T09:00"), stage="negotiation", amount=50_000)
    world.move(won, "won", at("2026-12-01T00:00"))  # the first instant of the month (local) counts
    won_last_month = world.lead("wecom:zhangwei", "戊", created=at("2026-10-01T09:00"), stage="negotiation", amount=9)
    world.move(won_last_month, "won", at("2026-11-30T23:59"))
    world.lead("wecom:wangwu", "己", created=at("2026-11-01T09:00"), stage="negotiation", amount=1_000_000)
    forecast = month_forecast(world.session, scope(world, "wecom:boss1"), NOW, TZ, world.rules)
    assert (forecast.month, forecast.won, forecast.weighted_open, forecast.forecast) == (
        "2026-12",
        50_000,
        35_000 + 160_000,
        245_000,
    )


def test_the_gap_is_the_target_minus_the_forecast_and_never_negative(world: World) -> None:
    world.lead("wecom:zhangwei", "甲", created=at("2026-11-01T09:00"), stage="proposal", amount=100_000)  # 60%
    set_target(world.session, team="华东一组", month="2026-12", amount=200_000, now=NOW)
    set_target(world.session, team="华南二组", month="2026-12", amount=10, now=NOW)
    east = month_forecast(world.session, scope(world, "wecom:boss1"), NOW, TZ, world.rules)
    south = month_forecast(world.session, scope(world, "wecom:boss2"), NOW, TZ, world.rules)
    assert (east.target, east.gap, east.attainment) == (200_000, 140_000, 0.3)
    assert (south.target, south.gap) == (10, 10)
    set_target(world.session, team="华南二组", month="2026-12", amount=0, now=NOW)
    assert month_forecast(world.session, scope(world, "wecom:boss2"), NOW, TZ, world.rules).gap == 0


def test_without_a_target_there_is_no_gap(world: World) -> None:
    forecast = month_forecast(world.session, scope(world, "wecom:boss1"), NOW, TZ, world.rules)
    assert (forecast.target, forecast.gap, forecast.attainment) == (None, None, None)


def test_a_team_without_its_own_target_adds_up_its_reps_targets(world: World) -> None:
    set_target(world.session, rep="wecom:zhangwei", month="2026-12", amount=300, now=NOW)
    set_target(world.session, rep="wecom:lisi", month="2026-12", amount=200, now=NOW)
    set_target(world.session, team="华南二组", month="2026-12", amount=1000, now=NOW)
    set_target(world.session, rep="wecom:wangwu", month="2026-12", amount=1, now=NOW)  # the team's own wins
    assert target_for(world.session, scope(world, "wecom:boss1"), "2026-12") == 500
    assert target_for(world.session, scope(world, "wecom:admin"), "2026-12") == 1500
    assert target_for(world.session, scope(world, "wecom:zhangwei"), "2026-12") == 300
    assert target_for(world.session, scope(world, "wecom:zhangwei"), "2027-01") is None


def test_setting_a_target_again_changes_it_instead_of_adding_one(world: World) -> None:
    set_target(world.session, team="华东一组", month="2026-12", amount=100, now=NOW)
    set_target(world.session, team="华东一组", month="2026-12", amount=2_000_000, now=NOW)
    assert [(t.team, t.rep, t.month, t.amount) for t in list_targets(world.session)] == [
        ("华东一组", None, "2026-12", 2_000_000)
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"team": "华东一组", "month": "2026-13", "amount": 1}, "month must be YYYY-MM, got '2026-13'"),
        ({"team": "华东一组", "month": "2026-12", "amount": -1}, "amount must not be negative"),
        ({"month": "2026-12", "amount": 1}, "give either a team or a rep"),
        ({"team": "不存在", "month": "2026-12", "amount": 1}, "no team named '不存在'"),
        ({"rep": "wecom:nobody", "month": "2026-12", "amount": 1}, "no user wecom:nobody"),
    ],
)
def test_a_bad_target_is_refused_with_a_clear_message(world: World, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        set_target(world.session, now=NOW, **kwargs)
    assert str(refused.value) == message


def test_follow_ups_today_are_due_before_tonight_overdue_first_and_open_only(world: World) -> None:
    leads = {}
    for name, due in [("逾期", "2026-12-14T16:00"), ("今天", "2026-12-15T23:59"), ("明天", "2026-12-16T00:00")]:
        leads[name] = world.lead("wecom:zhangwei", name, created=at("2026-12-01T09:00"))
        leads[name].next_follow_up_at = at(due)
    closed = world.lead("wecom:zhangwei", "已成交", created=at("2026-12-01T09:00"), stage="won")
    closed.next_follow_up_at = at("2026-12-15T09:00")
    world.session.flush()
    page = follow_ups_today(world.session, scope(world, "wecom:boss1"), NOW, TZ, world.rules)
    assert [(line.company, line.reason) for line in page.items] == [("逾期", "overdue"), ("今天", "today")]
    assert home(world.session, scope(world, "wecom:boss1"), NOW, TZ, world.rules).follow_ups_today == 2
    assert home(world.session, scope(world, "wecom:boss2"), NOW, TZ, world.rules).follow_ups_today == 0


def test_high_risk_counts_leads_with_an_open_untouched_alert_and_shows_who_acted(world: World) -> None:
    created = NOW - timedelta(days=10)
    mine = world.lead("wecom:zhangwei", "没联系", created=created)
    world.lead("wecom:wangwu", "别组没联系", created=created)
    opened = open_alerts(world.session, untouched_leads(world.session, NOW, TZ, world.rules, default_calendar()), NOW)
    assert opened == 2
    page = high_risk(world.session, scope(world, "wecom:boss1"), NOW, TZ, world.rules)
    [line] = page.items
    assert (line.id, line.reason, len(line.open_alert_ids), line.acted, page.total) == (
        mine.id,
        "untouched",
        1,
        None,
        1,
    )
    assert home(world.session, scope(world, "wecom:admin"), NOW, TZ, world.rules).high_risk == 2
