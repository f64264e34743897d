"""Leaderboard history and a rep's own page."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest

from config.workdays import default_calendar
from storage.cockpit_reps import leaderboard_history, rep_page
from storage.refusals import Refusal, Why
from storage.scopes import scope_of
from tests.cockpit_world import TZ, World, at, build_world

NOW = at("2026-12-15T10:00")  # Tuesday; last complete week is 12-07..12-13


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from build_world(db_url)


def scope(world: World, viewer: str):
    return scope_of(world.session, world.user(viewer))


def test_the_history_ranks_each_past_week_with_the_leaderboards_rule_newest_first(world: World) -> None:
    zhang = world.lead("wecom:zhangwei", "甲", created=at("2026-11-20T09:00"))
    li = world.lead("wecom:lisi", "乙", created=at("2026-11-20T09:00"))
    world.note(zhang, at("2026-12-08T09:00"))
    world.note(zhang, at("2026-12-09T09:00"))
    world.note(li, at("2026-12-10T09:00"))
    world.note(li, at("2026-12-01T09:00"))
    world.note(li, at("2026-12-14T09:00"))  # this week: not in the history
    boards = leaderboard_history(
        world.session,
        scope(world, "wecom:boss1"),
        NOW,
        TZ,
        world.rules,
        default_calendar(),
        team_id=world.team("华东一组").id,
        weeks=3,
    )
    assert [b.week.start for b in boards] == [at("2026-12-07T00:00"), at("2026-11-30T00:00"), at("2026-11-23T00:00")]
    assert [[(r.rank, r.row.rep.name, r.row.activities) for r in b.ranked] for b in boards] == [
        [(1, "张伟", 2), (2, "李四", 1)],
        [(1, "李四", 1)],
        [],
    ]


def test_another_teams_history_is_refused(world: World) -> None:
    with pytest.raises(Refusal) as refused:
        leaderboard_history(
            world.session,
            scope(world, "wecom:boss1"),
            NOW,
            TZ,
            world.rules,
            default_calendar(),
            team_id=world.team("华南二组").id,
        )
    assert refused.value.why == Why.TEAM_NOT_IN_SCOPE


def test_a_reps_page_has_their_lights_must_dos_and_weeks(world: World) -> None:
    overdue = world.lead("wecom:zhangwei", "逾期", created=at("2026-11-01T09:00"), stage="contacted")
    world.note(overdue, at("2026-12-14T09:00"))
    overdue.next_follow_up_at = at("2026-12-14T18:00")
    world.lead("wecom:zhangwei", "没联系", created=at("2026-12-14T09:00"))
    old = world.lead("wecom:zhangwei", "很久", created=at("2026-10-01T09:00"), stage="contacted")
    world.note(old, at("2026-11-01T09:00"))
    world.note(old, at("2026-12-08T09:00"))
    old.last_activity_at = at("2026-11-01T09:00")
    world.session.flush()
    me = world.user("wecom:zhangwei")
    page = rep_page(
        world.session, scope(world, "wecom:zhangwei"), NOW, TZ, world.rules, default_calendar(), rep_id=me.id
    )
    assert page.light_counts == {"red": 1, "yellow": 0, "green": 2}
    assert [(line.company, line.reason) for line in page.must_do] == [
        ("逾期", "overdue"),
        ("很久", "red"),
        ("没联系", "untouched"),
    ]
    assert (
        page.this_week.activities,
        page.this_week.new_leads,
        page.last_weeks[0].activities,
        len(page.last_weeks),
    ) == (1, 1, 1, 4)


@pytest.mark.parametrize(
    ("viewer", "allowed"),
    [("wecom:zhangwei", True), ("wecom:lisi", False), ("wecom:boss1", True), ("wecom:boss2", False)],
)
def test_a_reps_page_opens_for_them_and_their_manager_only(world: World, viewer: str, allowed: bool) -> None:
    me = world.user("wecom:zhangwei")
    page = partial(rep_page, world.session, scope(world, viewer), NOW, TZ, world.rules, default_calendar())
    if allowed:
        assert page(rep_id=me.id).rep_name == "张伟"
    else:
        with pytest.raises(Refusal):
            page(rep_id=me.id)
