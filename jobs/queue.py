"""The task queue: RQ on Redis in production, RQ on an in-process fakeredis for the embedded default.

The same task functions run either way. The database is the source of truth: a job that is lost (Redis
flushed, enqueue failed, worker killed) is found again by the sweep, so enqueueing is best-effort.

Stored inbound events take a shortcut on Redis: the webhook, which must answer fast, pushes the event id
onto the inbox list with one LPUSH, and every `salesbot worker` runs a feeder that turns inbox ids into
jobs of the queue's `inbound_task`. Creating an RQ job in the request cost about as much as all the rest of
the ack path together (docs/performance.md).

This package runs whatever task functions it is handed, by reference or dotted name; it imports none.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import DuplicateJobError
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

log = logging.getLogger(__name__)

QUEUE_NAME = "salesbot"
INBOX = "salesbot:inbox"
JOB_TIMEOUT = 120
# A failed job's id stays taken this long, so the sweep can re-enqueue the same work soon after.
FAILURE_TTL = 300


class TaskQueue:
    """Enqueue task functions by reference, with a deterministic job id as a second dedup guard.

    `inbound_task` is the dotted name of the task that processes one stored inbound event (given its id):
    by name, so the web side, which only enqueues, does not import the worker's task code.
    """

    embedded = False

    def __init__(self, connection: redis.Redis, *, inbound_task: str) -> None:
        self.connection = connection
        self.inbound_task = inbound_task
        self.rq = Queue(QUEUE_NAME, connection=connection, default_timeout=JOB_TIMEOUT)

    @classmethod
    def from_url(cls, url: str, *, inbound_task: str) -> TaskQueue:
        return cls(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5), inbound_task=inbound_task)

    def enqueue(self, func: Callable[..., Any] | str, *args: Any, job_id: str) -> bool:
        """Queue `func(*args)`. False (logged) when Redis is unreachable; the sweep will catch up."""
        return self._submit(
            lambda: self.rq.enqueue_call(
                func, args=args, job_id=job_id, unique=True, result_ttl=0, failure_ttl=FAILURE_TTL
            ),
            job_id,
        )

    def enqueue_at(self, when: datetime, func: Callable[..., Any] | str, *args: Any, job_id: str) -> bool:
        """Queue `func(*args)` to run at `when` (aware). False when Redis is unreachable."""
        return self._submit(
            lambda: self.rq.enqueue_at(
                when, func, *args, job_id=job_id, unique=True, result_ttl=0, failure_ttl=FAILURE_TTL
            ),
            job_id,
        )

    def enqueue_inbound(self, event_id: int) -> bool:
        """Queue the inbound task for `event_id` through the inbox (a worker's feeder makes the job).
        False (logged) when Redis is unreachable; the sweep will catch up."""
        try:
            self.connection.lpush(INBOX, event_id)
        except redis.RedisError as exc:
            log.warning("could not push inbound event %s (%s); the sweep will pick it up", event_id, exc)
            return False
        return True

    def drain_inbox(self, wait: float = 0, stop: threading.Event | None = None) -> int:
        """Turn the ids in the inbox into inbound-task jobs, one at a time, until it is empty or `stop`
        is set; how many. With `wait`, block up to that many seconds (whole, as Redis < 6 wants) for the
        first id. Raises RedisError when Redis is unreachable; an id that could not be enqueued is pushed
        back first. An id lost anyway (process killed in between, Redis gone before the push back) stays
        pending in the database, where the sweep finds it within minutes."""
        if wait:
            popped = self.connection.brpop([INBOX], timeout=math.ceil(wait))
            raw = popped[1] if popped else None
        else:
            raw = self.connection.rpop(INBOX)
        moved = 0
        while raw is not None:
            if not raw.isdigit():
                log.warning("inbox: skipped %r, which is not an event id", raw[:40])
            elif self.enqueue(self.inbound_task, int(raw), job_id=f"inbound-{int(raw)}"):
                moved += 1
            else:
                self.connection.rpush(INBOX, raw)  # next out again
                raise redis.ConnectionError(f"inbound event {int(raw)} could not be enqueued; back in the inbox")
            if stop is not None and stop.is_set():
                break
            raw = self.connection.rpop(INBOX)
        return moved

    def feed(self, stop: threading.Event, wait: float = 1.0) -> None:
        """Drain the inbox as ids arrive, until `stop` is set (a worker's feeder thread). A Redis outage is
        logged when it starts and when it ends, and retried every `wait` seconds in between."""
        outage = False
        while not stop.is_set():
            try:
                self.drain_inbox(wait, stop)
            except redis.RedisError as exc:
                if not outage:
                    log.warning("inbox feeder: Redis unreachable (%s); retrying, the sweep catches up", exc)
                outage = True
                stop.wait(wait)
                continue
            except Exception:  # the feeder must outlive anything one batch can do
                log.exception("inbox feeder failed; going on")
                stop.wait(wait)
                continue
            if outage:
                log.info("inbox feeder: Redis reachable again")
                outage = False

    def _submit(self, call: Callable[[], Any], job_id: str) -> bool:
        try:
            call()
        except DuplicateJobError:
            log.debug("job %s is already queued", job_id)
        except redis.RedisError as exc:
            log.warning("could not enqueue job %s (%s); the sweep will pick the work up", job_id, exc)
            return False
        return True

    def worker(self) -> SimpleWorker:
        """An RQ worker (jobs run in this process) for this queue, on a Redis client of its own: RQ raises
        its client's socket timeout to cover its blocking pop (minutes), and that must not reach the
        feeder, the ticker or the tasks, which share `connection` and expect its timeout."""
        pool = self.connection.connection_pool
        own = redis.Redis(
            connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **pool.connection_kwargs)
        )
        return SimpleWorker([Queue(QUEUE_NAME, connection=own, default_timeout=JOB_TIMEOUT)], connection=own)

    def waiting(self) -> int | None:
        """Work no worker has picked up yet (inbox ids and queued jobs); None when Redis is unreachable."""
        try:
            return int(self.connection.llen(INBOX)) + self.rq.count
        except redis.RedisError:
            return None

    def ping(self) -> bool:
        try:
            return bool(self.connection.ping())
        except redis.RedisError:
            return False


class ThreadWorker(SimpleWorker):
    """An RQ worker that can run outside the main thread: no signal handlers, timer-based timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


class EmbeddedQueue(TaskQueue):
    """RQ on an in-process fakeredis: a worker thread and a scheduler loop live in this process.

    `drain()` runs everything due in the calling thread instead (the terminal chat and tests).
    """

    embedded = True

    def __init__(self, *, inbound_task: str) -> None:
        import fakeredis

        super().__init__(fakeredis.FakeRedis(server=fakeredis.FakeServer()), inbound_task=inbound_task)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def enqueue_inbound(self, event_id: int) -> bool:
        """In-process: straight onto the queue, no feeder needed."""
        return self.enqueue(self.inbound_task, event_id, job_id=f"inbound-{event_id}")

    def _worker(self) -> ThreadWorker:
        return ThreadWorker([self.rq], connection=self.connection)

    def _release_scheduled(self) -> None:
        scheduler = RQScheduler([self.rq], connection=self.connection, logging_level="WARNING")
        if scheduler.acquire_locks():
            scheduler.enqueue_scheduled_jobs()
            scheduler.release_locks()

    def drain(self) -> None:
        """Run every queued and due scheduled job now, in this thread, until none is left."""
        self._release_scheduled()
        while self.rq.count:
            self._worker().work(burst=True, logging_level="WARNING")
            self._release_scheduled()

    def start(self, tick: Callable[[datetime], None] | None = None, interval: float = 1.0) -> None:
        """Start the worker thread and a loop that releases scheduled jobs and calls `tick(now)`."""

        def work() -> None:
            while not self._stop.is_set():
                self._worker().work(burst=True, logging_level="WARNING")
                self._stop.wait(0.05 if self.rq.count else 0.2)

        def schedule() -> None:
            while not self._stop.wait(interval):
                try:
                    self._release_scheduled()
                    if tick is not None:
                        tick(datetime.now(UTC))
                except Exception:
                    log.exception("embedded scheduler tick failed")

        for target, name in ((work, "salesbot-worker"), (schedule, "salesbot-scheduler")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
