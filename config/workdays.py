"""China's working-day calendar: `chinese-calendar` where it has data, config/holidays.toml beyond it.

Quiet hours, the 72-hour untouched rule and the morning jobs all ask this module, never the package.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import chinese_calendar

from config import DATA_DIR
from config.rules import RuleFileError, read_toml

log = logging.getLogger(__name__)


@dataclass
class WorkCalendar:
    holidays: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)
    file_years: set[int] = field(default_factory=set)
    _warned: set[int] = field(default_factory=set)
    _answers: dict[date, bool] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> WorkCalendar:
        calendar = cls()
        for year, table in read_toml(path).items():
            try:
                calendar.file_years.add(int(year))
                calendar.holidays.update(table.get("holidays", []))
                calendar.workdays.update(table.get("workdays", []))
            except (ValueError, TypeError, AttributeError) as exc:
                raise RuleFileError(f"{path.name} [{year}]: {exc}") from exc
        return calendar

    def covered_by_package(self, year: int) -> bool:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: date) -> bool:
        # chinese-calendar validates every date against its whole table (~0.1 ms a call); reports over weeks of
        # new leads ask about the same few days thousands of times.
        known = self._answers.get(day)
        if known is None:
            known = self._answers[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning(
                    "chinese-calendar has no data for %s: using Monday–Friday%s",
                    day.year,
                    " and config/holidays.toml" if day.year in self.file_years else " (no holiday file entry!)",
                )
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def status(self, today: date) -> dict[str, object]:
        """For /healthz: which of this year and next rely on the fallback."""
        fallback = [y for y in (today.year, today.year + 1) if not self.covered_by_package(y)]
        return {
            "source": "chinese-calendar" if not fallback else "chinese-calendar + config/holidays.toml",
            "fallback_years": fallback,
            "warning": (
                f"official calendar data missing for {', '.join(map(str, fallback))}: Monday–Friday plus "
                "config/holidays.toml is used; add the State Council schedule there"
            )
            if fallback
            else None,
        }

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """`start` (local, aware) plus `hours` counted only on working days."""
        remaining = timedelta(hours=hours)
        moment = start
        while True:
            day_end = datetime.combine(moment.date() + timedelta(days=1), time(), tzinfo=moment.tzinfo)
            if self.is_workday(moment.date()):
                if moment + remaining <= day_end:
                    return moment + remaining
                remaining -= day_end - moment
            moment = day_end

    def push_allowed(self, moment: datetime, quiet_start: time, quiet_end: time) -> bool:
        """Whether a push may go out at `moment` (local): a working day, outside the quiet hours."""
        clock = moment.timetz().replace(tzinfo=None)
        quiet = clock >= quiet_start or clock < quiet_end
        return self.is_workday(moment.date()) and not quiet


@cache
def default_calendar() -> WorkCalendar:
    return WorkCalendar.from_file(DATA_DIR / "holidays.toml")
