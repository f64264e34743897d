"""The leaderboard's rules in storage: when it is due, and how reps are ranked."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from config.rules import default_rules
from config.workdays import default_calendar
from storage.models import User
from storage.reports import RepWeek, leaderboard_due, ranking

TZ = ZoneInfo("Asia/Shanghai")
RULES = default_rules()  # Monday 09:25


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def week(rep_id: int, activities: int, new_leads: int = 0) -> RepWeek:
    rep = User(id=rep_id, name=f"rep{rep_id}", role="rep")
    return RepWeek(rep, activities, new_leads, advances=0, won=0, won_amount=0, touched=0, touch_due=0)


def test_the_leaderboard_is_due_on_the_configured_weekday_from_the_configured_time() -> None:
    assert leaderboard_due(at("2026-11-30T09:24"), TZ, RULES, default_calendar()) is None
    due = leaderboard_due(at("2026-11-30T09:25"), TZ, RULES, default_calendar())
    assert due is not None
    assert (due.start, due.end, due.last_day.isoformat(), due.iso_week) == (
        at("2026-11-23T00:00"),
        at("2026-11-30T00:00"),
        "2026-11-29",
        (2026, 48),
    )


def test_the_leaderboard_is_not_due_again_later_in_the_week() -> None:
    assert leaderboard_due(at("2026-12-01T10:00"), TZ, RULES, default_calendar()) is None


def test_a_holiday_on_the_configured_weekday_moves_the_leaderboard_to_the_next_working_day() -> None:
    assert leaderboard_due(at("2026-10-05T09:30"), TZ, RULES, default_calendar()) is None  # National Day
    assert leaderboard_due(at("2026-10-08T09:30"), TZ, RULES, default_calendar()) is not None
    assert leaderboard_due(at("2026-10-09T09:30"), TZ, RULES, default_calendar()) is None


def test_another_configured_weekday_is_honoured() -> None:
    rules = replace(RULES, leaderboard_weekday=3)
    assert leaderboard_due(at("2026-11-30T09:30"), TZ, rules, default_calendar()) is None
    assert leaderboard_due(at("2026-12-02T09:30"), TZ, rules, default_calendar()) is not None


def test_equal_scores_share_a_rank_and_the_next_rank_skips() -> None:
    ranked = ranking([week(1, 5), week(2, 5), week(3, 2)])
    assert [(r.rank, r.row.rep.id) for r in ranked] == [(1, 1), (1, 2), (3, 3)]


def test_a_rep_with_nothing_logged_is_not_ranked_even_with_assigned_leads() -> None:
    ranked = ranking([week(1, 0, new_leads=3), week(2, 1)])
    assert [(r.rank, r.row.rep.id) for r in ranked] == [(1, 2)]


def test_nobody_is_ranked_in_a_week_without_activity() -> None:
    assert ranking([week(1, 0), week(2, 0)]) == []
