"""Long connections out to a platform, for deployments with no public URL (Feishu `ws` mode, the WeCom AI bot).

A platform's `Link` opens the connection and says when it is lost; a `Keeper` does the rest, the same for
every platform:

- **One connection per deployment.** The platform hands each event to one connected client, so every
  `salesbot worker` runs a keeper but only the one holding the lease (a Redis lock with a TTL, renewed while
  held) connects; the others stand by and take over when the lease lapses. Embedded, the lease is in the
  in-process fakeredis and the one process always holds it.
- **Reconnects with backoff**: exponential with jitter, capped (`Backoff`); a connection lost young counts
  as a failed attempt, so a flapping platform is not hammered.
- **State in the queue's Redis** (`salesbot:link:PLATFORM`, expiring with the lease) for `/healthz` to read
  in any process: connected | connecting | down, since when, attempts, the last error, which worker.

The link's own event loop runs in the keeper's thread; its event handlers store each event (committed)
before the platform gets its ack, so a dropped connection loses nothing and a redelivery is a repeat.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import redis
from redis.exceptions import LockError

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

KEY = "salesbot:link:{platform}"
LEASE_KEY = "salesbot:link:{platform}:lease"
LEASE_SECONDS = 30.0
# A connection that lived this long was a success: the next loss reconnects at once.
STABLE_SECONDS = 60.0


class LinkState(StrEnum):
    CONNECTED = "connected"
    CONNECTING = "connecting"  # opening, or waiting to try again after a failure
    DOWN = "down"  # no worker holds it (none runs, or the last one stopped)


class Link(Protocol):
    """One platform's long connection, driven by a Keeper on `loop` (in the keeper's thread)."""

    platform: str
    loop: asyncio.AbstractEventLoop

    async def open(self) -> None:
        """Connect (and authenticate); return once events can arrive. Raises on failure."""
        ...

    async def lost(self) -> str:
        """Return, with the reason, when the open connection is lost."""
        ...

    async def close(self) -> None:
        """Close the connection if it is open."""
        ...


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before attempt `n` (1-based) after a failure: `base`·2^(n-1) capped at `cap`, of which
    the upper half is random, so a fleet that lost the platform together does not come back in step."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** max(0, min(attempt - 1, 30)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def read_state(connection: redis.Redis, platform: str) -> dict[str, Any]:
    """The connection's state as the holding worker last wrote it; `down` when no worker holds it."""
    try:
        raw = connection.get(KEY.format(platform=platform))
    except redis.RedisError as exc:
        return {"state": LinkState.DOWN.value, "last_error": f"queue unreachable: {type(exc).__name__}"}
    if raw is None:
        return {"state": LinkState.DOWN.value, "last_error": "no worker holds the connection"}
    return json.loads(raw)


class Keeper:
    """Holds `link` open while this process holds its lease: in a thread of its own, until `stop()`."""

    def __init__(
        self,
        link: Link,
        connection: redis.Redis,
        *,
        lease_seconds: float = LEASE_SECONDS,
        backoff: Backoff | None = None,
        holder: str | None = None,
        stable_seconds: float = STABLE_SECONDS,
    ) -> None:
        self.link = link
        self.stable_seconds = stable_seconds
        self.connection = connection
        self.lease_seconds = lease_seconds
        self.backoff = backoff or Backoff()
        self.holder = holder or holder_name()
        self._key = KEY.format(platform=link.platform)
        self._lock = connection.lock(
            LEASE_KEY.format(platform=link.platform), timeout=lease_seconds, blocking=False, thread_local=False
        )
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._state: dict[str, Any] = {}

    # ------------------------------------------------------------ the thread

    def start(self) -> Keeper:
        self._thread = threading.Thread(target=self._run, name=f"salesbot-link-{self.link.platform}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Close the connection, give the lease up and end the thread."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        loop = self.link.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._keep())
        except Exception:
            log.exception("%s: long connection keeper failed", self.link.platform)
        finally:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))

    async def _keep(self) -> None:
        while not self._stopping.is_set():
            if self._acquire():
                try:
                    await self._hold()
                finally:
                    await self._close()
                    self._release()
            await self._pause(self.lease_seconds / 3)

    async def _hold(self) -> None:
        """Connect, reconnecting with backoff, as long as the lease is ours. Failed attempts and connections
        lost before they were `stable_seconds` old count towards the backoff; a stable one resets it, so the
        first reconnection after a long-lived connection is immediate and a flapping one slows down."""
        failures, error = 0, ""
        while not self._stopping.is_set():
            if failures and not await self._leased(asyncio.sleep(self.backoff.delay(failures))):
                return
            self._report(LinkState.CONNECTING, attempts=failures + 1, last_error=error)
            try:
                if not await self._leased(self.link.open()):
                    return
            except Exception as exc:  # any failure to connect is retried; it shows in /healthz meanwhile
                failures += 1
                error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("%s: connecting failed (attempt %s): %s", self.link.platform, failures, error)
                await self._close()  # whatever half of it was opened
                continue
            log.info("%s: long connection open", self.link.platform)
            self._report(LinkState.CONNECTED, attempts=0, last_error=error)
            opened = time.monotonic()
            lost = asyncio.ensure_future(self.link.lost())
            if not await self._leased(lost):
                return
            error = f"connection lost: {lost.result()}"[:300]
            failures = 0 if time.monotonic() - opened >= self.stable_seconds else failures + 1
            log.warning("%s: %s; reconnecting", self.link.platform, error)

    async def _close(self) -> None:
        try:
            await self.link.close()
        except Exception:  # closing is best effort: the socket goes with the link either way
            log.exception("%s: closing the long connection failed", self.link.platform)

    async def _leased(self, step: Awaitable[Any]) -> bool:
        """Run `step` while renewing the lease; False (the step cancelled) when the lease was lost or the
        keeper is stopping."""
        task = asyncio.ensure_future(step)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=min(1.0, self.lease_seconds / 3))
                if done:
                    task.result()  # raises what the step raised
                    return True
                if self._stopping.is_set() or not self._renew():
                    return False
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _pause(self, seconds: float) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not self._stopping.is_set() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(min(0.2, seconds))

    # ------------------------------------------------------------ the lease and the state

    def _acquire(self) -> bool:
        try:
            return bool(self._lock.acquire())
        except redis.RedisError as exc:
            log.warning("%s: cannot reach the queue for the lease (%s)", self.link.platform, exc)
            return False

    def _renew(self) -> bool:
        """Extend the lease (and the state's lifetime) to a full TTL; False when it is no longer ours."""
        try:
            self._lock.reacquire()
            self.connection.pexpire(self._key, int(self.lease_seconds * 2000))
        except LockError:
            log.warning("%s: lease lost; another worker takes the connection", self.link.platform)
            return False
        except redis.RedisError as exc:
            log.warning("%s: cannot renew the lease (%s)", self.link.platform, exc)
            return False
        return True

    def _release(self) -> None:
        """Give the lease up and clear the state: /healthz says `down` until another worker connects. A lease
        that lapsed meanwhile is left alone, and so is the state its new holder writes."""
        self._state = {}
        try:
            self._lock.release()
            self.connection.delete(self._key)
        except (LockError, redis.RedisError):
            pass  # lapsed already, or the queue is gone: the TTL ends it either way

    def _report(self, state: LinkState, *, attempts: int, last_error: str) -> None:
        if self._state.get("state") != state:
            self._state = {"state": state.value, "since": datetime.now(UTC).isoformat(timespec="seconds")}
        self._state.update(attempts=attempts, last_error=last_error, holder=self.holder)
        try:
            self.connection.set(self._key, json.dumps(self._state), px=int(self.lease_seconds * 2000))
        except redis.RedisError as exc:
            log.warning("%s: cannot record the connection state (%s)", self.link.platform, exc)


def start_keepers(rt: Runtime) -> list[Keeper]:
    """A running keeper for each platform configured to receive over a long connection."""
    from bot.platforms import build_links

    return [Keeper(link, rt.queue.connection).start() for link in build_links(rt)]


def stop_keepers(keepers: list[Keeper]) -> None:
    for keeper in keepers:
        keeper.stop()
