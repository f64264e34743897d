"""Time in SQL that reads the same on SQLite and PostgreSQL: seconds since the epoch, and local-day buckets.

Columns hold naive UTC (storage.db.UTCDateTime). Day boundaries are computed in Python from the viewer's time
zone, so a local day is right across DST changes, and handed to the database as a CASE over instants.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Float, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.db import UTCDateTime


class epoch_seconds(FunctionElement[float]):
    """Seconds since 1970-01-01 UTC of a UTCDateTime expression."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


def instant(moment: datetime) -> ColumnElement[datetime]:
    """`moment` as a bound UTCDateTime parameter."""
    return literal(moment, UTCDateTime())


def local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)


def local_days(now: datetime, tz: tzinfo, count: int) -> tuple[date, ...]:
    """The `count` local days ending with today, oldest first."""
    today = now.astimezone(tz).date()
    return tuple(today - timedelta(days=count - 1 - i) for i in range(count))


def bucket(column: Any, starts: list[datetime]) -> ColumnElement[int]:
    """The index i of the interval [starts[i], starts[i+1]) holding `column`; -1 before the first start. The last
    interval is open-ended, so callers bound the query to their range."""
    arms = [(column >= start, i) for i, start in reversed(list(enumerate(starts)))]
    return case(*arms, else_=-1)
