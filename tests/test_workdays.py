"""The working-day calendar beyond chinese-calendar's data: Monday–Friday, minus the file's holidays, plus its
make-up workdays. The year is the first one the installed package lacks, so a newer release keeps these tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from config.workdays import WorkCalendar


@pytest.fixture
def year() -> int:
    probe = WorkCalendar()
    return next(y for y in range(2027, 2100) if not probe.covered_by_package(y))


def _weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def calendar(tmp_path: Path, year: int) -> WorkCalendar:
    monday = _weekday_on_or_after(date(year, 3, 1), 0)
    saturday = _weekday_on_or_after(date(year, 3, 1), 5)
    path = tmp_path / "holidays.toml"
    path.write_text(f"[{year}]\nholidays = [{monday.isoformat()}]\nworkdays = [{saturday.isoformat()}]\n")
    return WorkCalendar.from_file(path)


def test_a_year_the_package_lacks_counts_monday_to_friday(calendar: WorkCalendar, year: int) -> None:
    week = _weekday_on_or_after(date(year, 5, 10), 0)
    assert [calendar.is_workday(week + timedelta(days=n)) for n in range(7)] == [True] * 5 + [False] * 2


def test_a_holiday_in_the_file_is_no_working_day(calendar: WorkCalendar, year: int) -> None:
    assert not calendar.is_workday(_weekday_on_or_after(date(year, 3, 1), 0))


def test_a_make_up_workday_in_the_file_is_a_working_day(calendar: WorkCalendar, year: int) -> None:
    saturday = _weekday_on_or_after(date(year, 3, 1), 5)
    assert (calendar.is_workday(saturday), calendar.is_workday(saturday + timedelta(days=7))) == (True, False)


def test_the_fallback_is_logged_once_per_year(
    calendar: WorkCalendar, year: int, caplog: pytest.LogCaptureFixture
) -> None:
    calendar.is_workday(date(year, 5, 10))
    calendar.is_workday(date(year, 5, 11))
    assert [r.getMessage() for r in caplog.records] == [
        f"chinese-calendar has no data for {year}: using Monday–Friday and config/holidays.toml"
    ]
