"""Webhook ingest: signed, encrypted WeCom and Feishu callbacks against gunicorn (2 sync workers,
--preload) on PostgreSQL + Redis, beside a bare Flask endpoint served by the same workers in the same run.

    .venv/bin/python bench/ingest.py [--rounds 3] [--duration 5] [--connections 10] [--rate 200]

1. Throughput and ack latency, closed loop: `wrk -t1 -cN -dDs` replays pre-built requests (one unique
   MsgId / message_id each, so every request stores a row) for the bare endpoints (bench/bare.py: ping,
   and store = one raw INSERT + commit + Redis push), WeCom and Feishu, in interleaved rounds so that
   noise from other work on the machine hits all of them alike; ratios are taken within a round.
2. Ack latency at a fixed rate (default 200 req/s), open loop, from a paced Python client.
3. Checks: every 2xx stored exactly one inbound event; RSS of the two web workers after the load.

Targets (issue 7): callbacks >= 0.4x the bare endpoint's throughput; p99 <= 25 ms at 200 req/s.
wrk comes from Debian (`apt-get install wrk`); the script installs it when it is missing and apt-get is
there, saying so. wrk, gunicorn, PostgreSQL and Redis share this machine's cores: figures are floors.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    HOST,
    REDIS_URL,
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
)

from tests import fake_feishu, fake_wecom

DATABASE = "bench_ingest"
LUA = Path(__file__).resolve().parent / "requests.lua"
# Pre-built requests per closed-loop run: more than the fastest endpoint answers in the run's time.
MAX_RATE = 4000


def settings_env(database_url: str, wecom_api: str = "http://127.0.0.1:9/cgi-bin/", feishu_api: str = "") -> dict:
    """SALESBOT_* for both platforms with the test credentials (API bases point at loopback)."""
    return {
        "SALESBOT_DATABASE_URL": database_url,
        "SALESBOT_REDIS_URL": REDIS_URL,
        "SALESBOT_WECOM_CORP_ID": fake_wecom.CORP_ID,
        "SALESBOT_WECOM_AGENT_ID": str(fake_wecom.AGENT_ID),
        "SALESBOT_WECOM_SECRET": fake_wecom.SECRET,
        "SALESBOT_WECOM_TOKEN": fake_wecom.TOKEN,
        "SALESBOT_WECOM_AES_KEY": fake_wecom.AES_KEY,
        "SALESBOT_WECOM_API_BASE": wecom_api,
        "SALESBOT_FEISHU_APP_ID": fake_feishu.APP_ID,
        "SALESBOT_FEISHU_APP_SECRET": fake_feishu.APP_SECRET,
        "SALESBOT_FEISHU_VERIFICATION_TOKEN": fake_feishu.VERIFICATION_TOKEN,
        "SALESBOT_FEISHU_ENCRYPT_KEY": fake_feishu.ENCRYPT_KEY,
        "SALESBOT_FEISHU_API_BASE": feishu_api or "http://127.0.0.1:9",
    }


# ---------------------------------------------------------------- pre-built requests

NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"


class Builder:
    """Unique, valid platform requests; `start` keeps ids unique across batches."""

    def __init__(self) -> None:
        self.callbacks = fake_wecom.Callbacks()
        self.wecom_plain = fake_wecom.fixture("text__plain")
        self.feishu_event = fake_feishu.fixture("im.message.receive_v1__text")
        self.serial = 0

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def wecom(self, text: str = NOTE, user: str = "zhangwei") -> Request:
        n = self._next()
        plain = re.sub(r"<MsgId>\d+</MsgId>", f"<MsgId>{7_000_000_000_000_000_000 + n}</MsgId>", self.wecom_plain)
        plain = plain.replace("<![CDATA[zhangwei]]>", f"<![CDATA[{user}]]>").replace(NOTE, text)
        plain = re.sub(r"<CreateTime>\d+</CreateTime>", f"<CreateTime>{int(time.time())}</CreateTime>", plain)
        signed = self.callbacks.sign(plain, nonce=f"n{n}")
        return Request("POST", signed.path, signed.body.encode(), {"Content-Type": "text/xml"})

    def feishu(self, text: str = NOTE, open_id: str = "") -> Request:
        n = self._next()
        event = copy.deepcopy(self.feishu_event)
        event["header"]["event_id"] = f"bench{n:026d}"
        event["header"]["create_time"] = str(int(time.time() * 1000))
        message = event["event"]["message"]
        message["message_id"] = f"om_bench{n:024d}"
        message["create_time"] = str(int(time.time() * 1000))
        message["content"] = json.dumps({"text": text}, ensure_ascii=False)
        if open_id:
            event["event"]["sender"]["sender_id"]["open_id"] = open_id
        body, headers = fake_feishu.event_request(event, timestamp=str(int(time.time())), nonce=f"n{n}")
        return Request("POST", "/feishu/events", body, headers)

    def bare(self) -> Request:
        template = self.wecom()
        return Request("POST", "/bare/ping", template.body, template.headers)

    def bare_store(self) -> Request:
        template = self.wecom()
        return Request("POST", "/bare/store", template.body, template.headers)

    def kinds(self) -> dict[str, Callable[[], Request]]:
        """The benchmarked endpoints by name, each with its request maker."""
        return {"bare": self.bare, "bare-store": self.bare_store, "wecom": self.wecom, "feishu": self.feishu}


def build(make: Callable[[], Request], count: int) -> list[Request]:
    return [make() for _ in range(count)]


# ---------------------------------------------------------------- wrk


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None:
        sys.exit("wrk is not installed and apt-get is not available: install wrk (Debian package `wrk`)")
    print("wrk is not installed: installing the Debian package `wrk` with apt-get (needs root)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk is still not on PATH after installing it")


@dataclass
class WrkResult:
    requests: int
    seconds: float
    p50: float
    p90: float
    p99: float
    max: float
    non2xx: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def run_wrk(wrk: str, port: int, requests: list[Request], duration: int, connections: int) -> WrkResult:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for r in requests:
            headers = "|".join(f"{k}: {v}" for k, v in r.headers.items())
            f.write(f"{r.method}\t{r.path}\t{r.body.decode()}\t{headers}\n")
        path = f.name
    args = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(LUA)]
    out = subprocess.run(
        [*args, f"http://{HOST}:{port}", "--", path], capture_output=True, text=True, timeout=duration + 60
    )
    Path(path).unlink()
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
    v = {k: int(x) for k, x in (pair.split("=") for pair in line.split()[1:])}
    result = WrkResult(
        requests=v["requests"],
        seconds=v["duration_us"] / 1e6,
        p50=v["p50_us"] / 1e6,
        p90=v["p90_us"] / 1e6,
        p99=v["p99_us"] / 1e6,
        max=v["max_us"] / 1e6,
        non2xx=v["non2xx"],
        socket_errors=v["connect"] + v["read"] + v["write"] + v["timeout"],
    )
    if result.requests > len(requests):
        print(f"  warning: wrk sent {result.requests} requests for {len(requests)} pre-built; repeats store nothing")
    return result


# ---------------------------------------------------------------- the run


def stored_events(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT platform, count(*) FROM inbound_events GROUP BY platform")).all()
    engine.dispose()
    return {platform: count for platform, count in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds per closed-loop run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved closed-loop rounds (default 3)")
    parser.add_argument("--connections", type=int, default=10, help="wrk connections (default 10)")
    parser.add_argument("--rate", type=float, default=200, help="requests/s of the paced runs (default 200)")
    parser.add_argument("--paced-seconds", type=int, default=10, help="seconds per paced run (default 10)")
    parser.add_argument(
        "--app",
        default="bench.bare:app",
        help="WSGI app to serve; a variant must keep /bare/ping (default bench.bare:app)",
    )
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database afterwards")
    args = parser.parse_args()
    wrk = ensure_wrk()

    url = fresh_database(DATABASE)
    migrate(url)
    flush_redis()
    builder = Builder()
    kinds = builder.kinds()
    log = Path(tempfile.gettempdir()) / "bench-ingest-gunicorn.log"
    sent_ok = {"wecom": 0, "feishu": 0}
    print(f"gunicorn --preload -w 2 {args.app} on PostgreSQL ({DATABASE}) + Redis ({REDIS_URL}); log {log}")
    try:
        with gunicorn(args.app, settings_env(url), log) as (port, master):
            # Warm-up: every path once per worker and then some, so imports and pools are in place.
            for name, make in kinds.items():
                warm = paced(port, build(make, 200), rate=400, threads=8)
                if name in sent_ok:
                    sent_ok[name] += warm.ok()
            throughput: dict[str, list[WrkResult]] = {name: [] for name in kinds}
            for round_no in range(1, args.rounds + 1):
                for name, make in kinds.items():
                    requests = build(make, (3 * MAX_RATE if name.startswith("bare") else MAX_RATE) * args.duration)
                    result = run_wrk(wrk, port, requests, args.duration, args.connections)
                    throughput[name].append(result)
                    if name in sent_ok:
                        sent_ok[name] += min(result.requests, len(requests)) - result.non2xx
                    print(
                        f"  round {round_no} wrk {name:10} {result.rate:8,.0f} req/s  p50 {ms(result.p50)}"
                        f"  p99 {ms(result.p99)}  non-2xx {result.non2xx}  socket errors {result.socket_errors}",
                        flush=True,
                    )
            fixed: dict[str, tuple[float, float, float, int, int]] = {}
            for name, make in kinds.items():
                res = paced(port, build(make, int(args.rate * args.paced_seconds)), rate=args.rate)
                if name in sent_ok:
                    sent_ok[name] += res.ok()
                bad = res.errors + sum(n for s, n in res.statuses.items() if not 200 <= s < 300)
                lat = res.latencies
                fixed[name] = (percentile(lat, 50), percentile(lat, 99), max(lat, default=0.0), bad, res.late)
                print(
                    f"  {args.rate:.0f}/s {name:7} p50 {ms(fixed[name][0])}  p99 {ms(fixed[name][1])}"
                    f"  max {ms(fixed[name][2])}  failed {bad}  client-late {res.late}",
                    flush=True,
                )
            workers = children(master)
            rss = [memory(pid) for pid in workers]
            master_rss = memory(master)
        stored = stored_events(url)
    finally:
        flush_redis()
        if not args.keep:
            drop_database(DATABASE)

    print()
    print(
        f"closed loop: wrk -t1 -c{args.connections} -d{args.duration}s, pre-built unique requests, {args.rounds} "
        "interleaved rounds; medians, and the ratio of each round's rates (min-max over rounds)"
    )
    print("| endpoint | req/s | x bare | x bare-store | p50 | p99 | target |")
    print("|---|---|---|---|---|---|---|")
    for name, results in throughput.items():
        ratios = [r.rate / b.rate for r, b in zip(results, throughput["bare"], strict=True)]
        floors = [r.rate / b.rate for r, b in zip(results, throughput["bare-store"], strict=True)]
        ratio = statistics.median(ratios)
        rate = statistics.median(r.rate for r in results)
        p50, p99 = statistics.median(r.p50 for r in results), statistics.median(r.p99 for r in results)
        target = "-" if name.startswith("bare") else ("met" if ratio >= 0.4 else "MISSED") + " (>= 0.4x bare)"
        print(
            f"| {name} | {rate:,.0f} | {ratio:.2f} ({min(ratios):.2f}-{max(ratios):.2f}) "
            f"| {statistics.median(floors):.2f} | {ms(p50)} | {ms(p99)} | {target} |"
        )
    print()
    print(f"open loop: {args.rate:.0f} req/s for {args.paced_seconds}s, latency from each request's due time")
    print("| endpoint | p50 | p99 | max | failed | target |")
    print("|---|---|---|---|---|---|")
    for name, (p50, p99, top, bad, _late) in fixed.items():
        target = (
            "-" if name.startswith("bare") else ("met" if p99 <= 0.025 and not bad else "MISSED") + " (p99 <= 25 ms)"
        )
        print(f"| {name} | {ms(p50)} | {ms(p99)} | {ms(top)} | {bad} | {target} |")
    print()
    for platform, ok in sent_ok.items():
        rows = stored.get(platform, 0)
        # wrk does not count the requests in flight when it stops (at most one per connection per run).
        verdict = "ok" if 0 <= rows - ok <= args.connections * args.rounds else "MISMATCH"
        print(f"stored {platform}: {rows} inbound events for {ok} counted 2xx answers ({verdict}: every ack stored)")
    print("memory after the load (--preload: workers share the master's pages copy-on-write)")
    for i, m in enumerate(rss, 1):
        print(f"  web worker {i}: {m}")
    print(f"  gunicorn master: {master_rss}")
    print(f"root: {ROOT}")


if __name__ == "__main__":
    main()
