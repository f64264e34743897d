"""One reading of an instant, with or without an offset, for the CLI's --now and every job's `now`."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import runtime
from bot.tasks import parse_now
from config.instants import read_instant
from config.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_an_instant_with_an_offset_is_that_moment_in_utc() -> None:
    assert read_instant("2026-11-25T10:00:00+08:00", SHANGHAI) == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def test_an_offset_wins_over_the_configured_time_zone() -> None:
    assert read_instant("2026-11-25T10:00Z", SHANGHAI) == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_a_naive_time_is_a_wall_clock_time_in_the_configured_time_zone() -> None:
    assert read_instant("2026-11-25T10:00", SHANGHAI) == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert read_instant("2026-11-25T10:00", ZoneInfo("Europe/Berlin")) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_the_result_is_always_utc() -> None:
    assert read_instant("2026-11-25T10:00+08:00", SHANGHAI).tzinfo is UTC


def test_text_that_is_no_time_is_refused_with_an_example_of_one() -> None:
    with pytest.raises(ValueError, match=r"'next tuesday' is not an ISO 8601 time such as 2026-11-25T10:00\+08:00"):
        read_instant("next tuesday", SHANGHAI)


def test_a_job_reads_a_naive_now_in_the_configured_time_zone(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, timezone="Europe/Berlin")
    with runtime.installed(runtime.build_runtime(settings)):
        assert parse_now("2026-11-25T10:00") == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
        assert parse_now("2026-11-25T10:00+08:00") == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
