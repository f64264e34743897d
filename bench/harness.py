"""What the server benchmarks share: a throwaway PostgreSQL database and Redis db, gunicorn and worker
processes started (and stopped) by pid, resident memory, a paced open-loop client and percentiles.

Everything talks to 127.0.0.1 only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import http.client
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# A Redis db number the test suite does not use; only this db is ever flushed.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
HOST = "127.0.0.1"


# ---------------------------------------------------------------- stores


def fresh_database(name: str) -> str:
    """Drop and create database `name` (a bench_* name, never a shared one); returns its SQLAlchemy URL."""
    import psycopg

    assert name.startswith("bench_"), "benchmarks only create bench_* databases"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def database_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def drop_database(name: str) -> None:
    import psycopg

    assert name.startswith("bench_")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> None:
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_http(port: int, path: str = "/healthz", timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on {HOST}:{port}{path} within {timeout:.0f}s")


@contextmanager
def process(args: Sequence[str], env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `args` in its own process group; on exit SIGTERM that group (SIGKILL after 10 s)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


@contextmanager
def gunicorn(app: str, env: Mapping[str, str], log: Path, workers: int = 2) -> Iterator[tuple[int, int]]:
    """`gunicorn --preload -w N app` on a free loopback port; yields (port, master pid)."""
    port = free_port()
    args = [str(BIN / "gunicorn"), "--preload", "-w", str(workers), "-b", f"{HOST}:{port}", "--log-level", "warning"]
    with process([*args, app], env, log) as proc:
        try:
            wait_http(port)
        except RuntimeError:
            raise RuntimeError(f"gunicorn did not start; see {log}") from None
        yield port, proc.pid


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@dataclass(frozen=True)
class Memory:
    rss: float  # MB resident, shared pages included
    pss: float  # MB, shared pages divided among the processes sharing them
    private: float  # MB only this process holds (what one more worker costs)

    def __str__(self) -> str:
        return f"RSS {self.rss:.0f} MB (PSS {self.pss:.0f}, private {self.private:.0f})"


def memory(pid: int) -> Memory:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        fields[name] = int(rest.split()[0])
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return Memory(fields.get("Rss", 0) / 1024, fields.get("Pss", 0) / 1024, private / 1024)


# ---------------------------------------------------------------- load


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class PacedResult:
    latencies: list[float]  # seconds, from the scheduled send time to the full answer
    statuses: dict[int, int]
    errors: int
    late: int  # requests the client itself started more than 5 ms after their slot

    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)


def paced(port: int, requests: Sequence[Request], rate: float, threads: int = 32) -> PacedResult:
    """Open loop: request i is due at t0 + i/rate, one new connection each (gunicorn's sync workers close
    them anyway). Latency counts from the due time, so a server that falls behind is not hidden."""
    start = time.monotonic() + 0.2
    lock = threading.Lock()
    result = PacedResult([], {}, 0, 0)

    def run(offset: int) -> None:
        for i in range(offset, len(requests), threads):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            late = -delay > 0.005
            req = requests[i]
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                conn.request(req.method, req.path, body=req.body, headers=req.headers)
                answer = conn.getresponse()
                answer.read()
                conn.close()
                elapsed, status = time.monotonic() - due, answer.status
            except OSError:
                with lock:
                    result.errors += 1
                continue
            with lock:
                result.latencies.append(elapsed)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                result.late += late

    workers = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=len(requests) / rate + 60)
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
