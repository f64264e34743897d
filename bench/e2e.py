"""End to end with one job worker: a signed, encrypted message in at the webhook -> the reply arriving at the
fake platform API, at a fixed message rate (default 20 messages/s, half WeCom, half Feishu).

    .venv/bin/python bench/e2e.py [--rate 20] [--seconds 20] [--reps 20]

Runs `gunicorn --preload -w 2 bot.wsgi:app` and one `salesbot worker` (RQ with the scheduler) on
PostgreSQL + Redis; the fake WeCom and Feishu APIs of tests/ run in this process on loopback. Every rep
first sends one warm-up note (creating the rep and warming the worker), then the measured notes follow,
each a different company and phone. Replies are paired with notes per rep, in order. Latency = reply
received at the fake API - note POSTed. Target: p95 <= 1 s. Also prints the job worker's memory after
the run. --rate 50 or 100 shows where one worker saturates.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    BIN,
    ROOT,
    Request,
    children,
    drop_database,
    flush_redis,
    fresh_database,
    gunicorn,
    memory,
    migrate,
    ms,
    paced,
    percentile,
    process,
)
from ingest import Builder, settings_env

from tests import fake_feishu
from tests.fake_wecom import FakeWecom

DATABASE = "bench_e2e"
CITIES = ["杭州", "宁波", "苏州", "无锡", "常州", "南京", "合肥", "温州", "嘉兴", "绍兴"]
NAMES = ["华力", "恒通", "永盛", "鼎新", "宏达", "金源", "天成", "瑞丰", "嘉禾", "中联"]
TRADES = ["机械", "电子", "化工", "纺织", "塑业", "精工", "材料", "科技"]
BRANCHES = ["", "滨江", "萧山", "余杭", "城东", "城西", "开发区", "高新区"]
VISITS = [
    "今天拜访{c}王总 {p} 嫌贵 要样机 下周三再约",
    "电话联系了{c}李经理 {p} 要报价 月底前给方案",
    "{c}刘总 {p} 在比较竞品 下周一回访",
]


def notes() -> Iterator[str]:
    companies = (f"{a}{d}{b}{c}有限公司" for d, c, a, b in itertools.product(BRANCHES, TRADES, CITIES, NAMES))
    for n, company in enumerate(companies):
        yield VISITS[n % len(VISITS)].format(c=company, p=f"139{n:08d}")


class TimedWecom(FakeWecom):
    """The tests' fake WeCom, noting when each app message arrives and for whom."""

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        arrived = time.time()
        super()._handle(handler, body)
        if handler.path.startswith("/cgi-bin/message/send"):
            with ARRIVALS_LOCK:
                ARRIVALS.append((arrived, f"wecom:{json.loads(body).get('touser', '')}"))


ARRIVALS: list[tuple[float, str]] = []
ARRIVALS_LOCK = threading.Lock()


def feishu_arrivals(fake: fake_feishu.FakeFeishu) -> list[tuple[float, str]]:
    return [(r.at, f"feishu:{r.json.get('receive_id', '')}") for r in fake.calls("/open-apis/im/v1/messages", "POST")]


@contextmanager
def fakes() -> Iterator[tuple[TimedWecom, fake_feishu.FakeFeishu]]:
    wecom = TimedWecom().start()
    feishu_run = fake_feishu.serve()
    feishu = next(feishu_run)
    try:
        yield wecom, feishu
    finally:
        feishu_run.close()
        wecom.stop()


@dataclass
class Sent:
    at: float
    rep: str


def send(port: int, items: list[tuple[str, Request]], rate: float) -> list[Sent]:
    """POST `items` at `rate`; returns when each was sent (wall clock, same clock as the fakes)."""
    # paced() schedules request i at its start + 0.2 s + i/rate; take the same origin on the wall clock.
    start_wall = time.time() + 0.2
    result = paced(port, [req for _, req in items], rate=rate, threads=8)
    sent = [Sent(start_wall + i / rate, rep) for i, (rep, _req) in enumerate(items)]
    if result.errors or result.ok() != len(items):
        print(f"  warning: {len(items) - result.ok()} of {len(items)} webhook posts were not answered 2xx")
    return sent


def match(sent: list[Sent], arrivals: list[tuple[float, str]]) -> tuple[list[float], int]:
    """Latency of each note, pairing each rep's notes and replies in order (one worker runs a queue in
    order, and every note gets exactly one reply: the outbox count printed below shows it)."""
    replies: dict[str, list[float]] = {}
    for at, rep in sorted(arrivals):
        replies.setdefault(rep, []).append(at)
    notes: dict[str, list[float]] = {}
    for s in sent:
        notes.setdefault(s.rep, []).append(s.at)
    latencies, missing = [], 0
    for rep, times in notes.items():
        got = replies.get(rep, [])
        latencies += [max(0.0, reply - note) for note, reply in zip(times, got, strict=False)]
        missing += max(0, len(times) - len(got))
    return latencies, missing


def statuses(database_url: str) -> dict[str, dict[str, int]]:
    """Row counts by status: inbound events and outbox messages (all should be done / sent)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    found: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for table in ("inbound_events", "outbox"):
            rows = conn.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status")).all()
            found[table] = {status: count for status, count in rows}
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20, help="messages/s (default 20)")
    parser.add_argument("--seconds", type=int, default=20, help="seconds of measured load (default 20)")
    parser.add_argument("--reps", type=int, default=20, help="distinct reps sending (default 20, half per platform)")
    args = parser.parse_args()

    url = fresh_database(DATABASE)
    migrate(url)
    flush_redis()
    logs = Path(tempfile.gettempdir())
    builder = Builder()
    text = notes()
    reps = [f"wecom:rep{i:03d}" if i % 2 == 0 else f"feishu:ou_benchrep{i:03d}" for i in range(args.reps)]

    def note_from(rep: str) -> Request:
        platform, user = rep.split(":", 1)
        return builder.wecom(next(text), user=user) if platform == "wecom" else builder.feishu(next(text), user)

    try:
        with fakes() as (wecom, feishu):
            for i, rep in enumerate(reps):
                platform, user = rep.split(":", 1)
                (wecom.users if platform == "wecom" else feishu.users)[user] = f"销售{i:03d}"
            env = settings_env(url, wecom_api=wecom.api_base, feishu_api=feishu.url)
            print(f"gunicorn --preload -w 2 bot.wsgi:app + 1 salesbot worker; logs in {logs}/bench-e2e-*.log")
            with (
                gunicorn("bot.wsgi:app", env, logs / "bench-e2e-gunicorn.log") as (port, _master),
                process([str(BIN / "salesbot"), "worker"], env, logs / "bench-e2e-worker.log") as worker,
            ):
                # Warm-up: one note per rep, then wait for all their replies.
                warm = send(port, [(rep, note_from(rep)) for rep in reps], rate=5)
                deadline = time.time() + 60
                while time.time() < deadline:
                    got = {rep for _, rep in ARRIVALS + feishu_arrivals(feishu)}
                    if all(s.rep in got for s in warm):
                        break
                    time.sleep(0.2)
                else:
                    sys.exit(f"warm-up replies missing after 60 s; see {logs}/bench-e2e-worker.log")
                time.sleep(1)
                before = len(ARRIVALS) + len(feishu_arrivals(feishu))
                total = int(args.rate * args.seconds)
                items = [(reps[i % len(reps)], note_from(reps[i % len(reps)])) for i in range(total)]
                sent = send(port, items, rate=args.rate)
                deadline = time.time() + 30
                while time.time() < deadline and len(ARRIVALS) + len(feishu_arrivals(feishu)) < before + total:
                    time.sleep(0.2)
                time.sleep(1)
                worker_main = memory(worker.pid)
                horses = [memory(pid) for pid in children(worker.pid)]
        outcome = statuses(url)
        arrivals = [a for a in ARRIVALS + feishu_arrivals(feishu) if a[0] >= sent[0].at - 0.05]
    finally:
        flush_redis()
        drop_database(DATABASE)

    latencies, missing = match(sent, arrivals)
    p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
    verdict = "met" if p95 <= 1.0 and not missing else "MISSED"

    print()
    print(f"{len(sent)} notes at {args.rate:.0f}/s from {len(reps)} reps (half WeCom, half Feishu), one worker")
    print("| notes | replies matched | p50 | p95 | p99 | max | target p95 <= 1 s |")
    print("|---|---|---|---|---|---|---|")
    top = max(latencies, default=float("nan"))
    print(f"| {len(sent)} | {len(latencies)} | {ms(p50)} | {ms(p95)} | {ms(p99)} | {ms(top)} | {verdict} |")
    if missing:
        print(f"{missing} notes got no reply within the wait")
    print(f"rows by status (warm-up included): {outcome}")
    print(f"job worker after the run: {worker_main}" + (f"; {len(horses)} work horse(s) alive" if horses else ""))
    print(f"root: {ROOT}")


if __name__ == "__main__":
    main()
