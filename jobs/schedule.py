"""Periodic jobs and the tick that enqueues each one once per time slot.

`tick` is handed the list of jobs by its caller. Any number of processes may tick (the embedded loop in
`salesbot serve`, a thread in each `salesbot worker`): a Redis SET NX per slot lets exactly one of them
enqueue, and the jobs are idempotent through the database anyway. Daily jobs run at a local time
(SALESBOT_TIMEZONE) and catch up the same day if no scheduler was running at that moment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

import redis

from config.rules import Rules
from jobs.queue import TaskQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[..., object]
    every: timedelta | None = None
    daily_at: Callable[[Rules], time] | None = None

    def slot(self, now: datetime, tz: tzinfo, rules: Rules) -> datetime | None:
        """The start of the slot `now` falls in, or None before today's daily time."""
        if self.every is not None:
            epoch = datetime(2000, 1, 3, tzinfo=UTC)
            return now - (now - epoch) % self.every
        assert self.daily_at is not None
        local = now.astimezone(tz)
        start = datetime.combine(local.date(), self.daily_at(rules), tzinfo=tz)
        return start if local >= start else None


def tick(jobs: tuple[Periodic, ...], queue: TaskQueue, now: datetime, *, tz: tzinfo, rules: Rules) -> list[str]:
    """Enqueue each of `jobs` whose current slot nobody has claimed yet; returns their job ids."""
    started = []
    for job in jobs:
        slot = job.slot(now, tz, rules)
        if slot is None:
            continue
        job_id = f"{job.name}-{slot.astimezone(UTC):%Y%m%dT%H%M}"
        try:
            claimed = queue.connection.set(f"salesbot:tick:{job_id}", 1, nx=True, ex=timedelta(days=2))
        except redis.RedisError as exc:
            log.warning("scheduler tick skipped: %s", exc)
            return started
        # Interval jobs run as of their slot; daily jobs as of now (a late start still counts as today).
        as_of = slot if job.every is not None else now
        if claimed and queue.enqueue(job.func, as_of.isoformat(), job_id=job_id):
            started.append(job_id)
    return started
