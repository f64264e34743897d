"""Reading an instant from text: ISO 8601 with an offset, or without one and then in the configured time zone.

`--now` on the command line and the `now` handed to every job are read here, so they mean the same moment.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def read_instant(text: str, tz: tzinfo) -> datetime:
    """The moment `text` names, aware and in UTC; a time without an offset is a wall-clock time in `tz`.

    Raises ValueError with a message fit to show the person who typed it.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 time such as 2026-11-25T10:00+08:00") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)
