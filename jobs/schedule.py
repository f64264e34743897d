"""Every periodic job, in one list, and the tick that enqueues each one once per time slot.

Any number of processes may tick (the embedded loop in `salesbot serve`, a thread in each
`salesbot worker`): a Redis SET NX per slot lets exactly one of them enqueue, and the jobs are
idempotent through the database anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis

from jobs import tasks
from jobs.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[..., object]
    every: timedelta


PERIODIC: tuple[Periodic, ...] = (Periodic("sweep", tasks.sweep, timedelta(minutes=5)),)

JOBS: dict[str, Callable[..., object]] = {p.name: p.func for p in PERIODIC}


def slot_start(now: datetime, every: timedelta) -> datetime:
    epoch = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday, so weekly slots start on Mondays
    return now - (now - epoch) % every


def tick(rt: Runtime, now: datetime) -> list[str]:
    """Enqueue each periodic job whose current slot nobody has claimed yet; returns their job ids."""
    started = []
    for job in PERIODIC:
        slot = slot_start(now, job.every)
        job_id = f"{job.name}-{slot:%Y%m%dT%H%M}"
        try:
            claimed = rt.queue.connection.set(f"salesbot:tick:{job_id}", 1, nx=True, ex=job.every * 2)
        except redis.RedisError as exc:
            log.warning("scheduler tick skipped: %s", exc)
            return started
        if claimed and rt.queue.enqueue(job.func, slot.isoformat(), job_id=job_id):
            started.append(job_id)
    return started
