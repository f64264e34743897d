"""Time in SQL that reads the same on SQLite and PostgreSQL: seconds since the epoch, and local-day buckets.

Columns hold naive UTC (storage.db.UTCDateTime). Day boundaries are computed in Python from the viewer's time
zone, so a local day is right across DST changes, and handed to the database as a CASE over instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, case, cast, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.db import UTCDateTime


class epoch_seconds(FunctionElement[float]):
    """Seconds since 1970-01-01 UTC of a UTCDateTime expression."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # Whole seconds, exactly (julianday's floating point would put a day's first second on the day before).
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # date_part is double precision; EXTRACT returns numeric, 4x slower over a million rows.
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


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
    """The index i of the interval [starts[i], starts[i+1]) holding `column`. Callers bound the query to
    [starts[0], the end of the last interval).

    Evenly spaced starts (local days or weeks without a DST change among them) are one division; otherwise a
    CASE over the starts (the same answer, slower on many rows)."""
    # In UTC: aware datetimes sharing a tzinfo subtract as wall-clock times, hiding a DST day's 23 or 25 hours.
    steps = {b.astimezone(UTC) - a.astimezone(UTC) for a, b in pairwise(starts)}
    if len(steps) == 1:
        step = steps.pop().total_seconds()
        return cast(func.floor((epoch_seconds(column) - epoch_seconds(instant(starts[0]))) / step), Integer)
    arms = [(column >= start, i) for i, start in reversed(list(enumerate(starts)))]
    return case(*arms, else_=-1)
