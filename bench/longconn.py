"""Events in over Feishu's long connection, against the webhook, in one process on PostgreSQL + Redis.

    .venv/bin/python bench/longconn.py [--count 1000]

Baseline, measured in the same run: `im.message.receive_v1` deliveries, signed and encrypted, posted one after
another to `POST /feishu/events` through Flask's test client (verify, decrypt, translate, store, enqueue).
Then the same kind of event pushed by the fake Feishu WebSocket server to lark-oapi's real `lark.ws.Client`
held by a Keeper (protobuf frame in, store, enqueue, ack frame out): all pushed at once until every ack is
back (throughput), and one at a time, each pushed when the previous ack arrived (latency, loopback sockets).
Reports microseconds per stored event and the ratio to the webhook.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import REDIS_URL, drop_database, flush_redis, fresh_database, migrate

DATABASE = "bench_longconn"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="timed events per path (default 1000)")
    args = parser.parse_args()

    from bot import runtime
    from bot.app import create_app
    from bot.longconn import Keeper
    from bot.platforms.feishu_ws import FeishuLink
    from config.settings import Settings
    from tests import fake_feishu
    from tests.fake_feishu_ws import serve_fake
    from tests.stack import feishu_message, feishu_settings

    url = fresh_database(DATABASE)
    migrate(url)
    flush_redis()
    counter = iter(range(10**9))

    def event() -> dict:
        return feishu_message(f"om_bench_{next(counter)}")

    try:
        with contextmanager(fake_feishu.serve)() as api, contextmanager(serve_fake)() as ws:
            api.ws = ws
            rt = runtime.build_runtime(Settings(database_url=url, redis_url=REDIS_URL, feishu=feishu_settings(api)))
            client = create_app(rt.settings, rt).test_client()
            keeper = Keeper(FeishuLink(rt), rt.queue.connection).start()

            def webhook(n: int) -> float:
                bodies = [fake_feishu.event_request(event()) for _ in range(n)]
                started = time.perf_counter()
                for body, headers in bodies:
                    if client.post("/feishu/events", data=body, headers=headers).status_code != 200:
                        raise RuntimeError("the webhook refused an event")
                return (time.perf_counter() - started) / n

            def pipelined(n: int) -> float:
                events = [event() for _ in range(n)]
                started = time.perf_counter()
                for payload in events:
                    ws.push(payload)
                while ws.pending:
                    time.sleep(0.001)
                return (time.perf_counter() - started) / n

            def one_at_a_time(n: int) -> float:
                events = [event() for _ in range(n)]
                started = time.perf_counter()
                for payload in events:
                    pushed = ws.push(payload)
                    while pushed not in ws.acks:
                        time.sleep(0.0002)
                return (time.perf_counter() - started) / n

            deadline = time.monotonic() + 60
            while not ws.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            costs = {}
            for name, run in (("webhook", webhook), ("ws, pipelined", pipelined), ("ws, one at a time", one_at_a_time)):
                run(100)  # warm-up
                costs[name] = run(args.count)
            keeper.stop()
            rt.close()
    finally:
        flush_redis()
        drop_database(DATABASE)

    base = costs["webhook"]
    print(f"one process, {args.count} im.message.receive_v1 events per path, PostgreSQL + Redis, loopback fakes")
    print("| path | us/event | x webhook |")
    print("|---|---|---|")
    for name, cost in costs.items():
        print(f"| {name} | {cost * 1e6:,.0f} | {cost / base:.2f} |")


if __name__ == "__main__":
    main()
