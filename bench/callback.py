"""The cost of one acknowledged callback inside one process, without HTTP or a load generator.

    .venv/bin/python bench/callback.py [--count 2000] [--profile wecom|feishu]

Drives `bench.bare:app` (salesbot's app plus the bare endpoints) through Flask's test client on
PostgreSQL + Redis, request after request, and reports wall and CPU microseconds per request for the bare
endpoint, the store floor and both platforms' callbacks, with ratios to the bare endpoint measured in the
same process. One process and no sockets to the app: far steadier than the wrk figures on a shared
machine, and it shows what the web process itself spends. `--profile` prints cProfile's top entries for
one platform's callbacks.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Request, drop_database, flush_redis, fresh_database, migrate
from ingest import Builder, build, settings_env

DATABASE = "bench_callback"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="timed requests per endpoint (default 2000)")
    parser.add_argument("--profile", choices=["wecom", "feishu"], help="cProfile this platform's callbacks")
    args = parser.parse_args()

    url = fresh_database(DATABASE)
    migrate(url)
    flush_redis()
    os.environ.update(settings_env(url))
    from werkzeug.test import Client

    from bench.bare import app  # after the environment names the database and Redis

    client = Client(app)

    def send(requests: list[Request]) -> None:
        for r in requests:
            response = client.open(r.path, method=r.method, data=r.body, headers=r.headers)
            if response.status_code != 200:
                raise RuntimeError(f"{r.path} answered {response.status_code}: {response.get_data(as_text=True)}")

    kinds = Builder().kinds()
    try:
        costs: dict[str, tuple[float, float]] = {}
        for name, make in kinds.items():
            send(build(make, 200))  # warm-up
            requests = build(make, args.count)
            wall, cpu = time.perf_counter(), time.process_time()
            send(requests)
            costs[name] = ((time.perf_counter() - wall) / args.count, (time.process_time() - cpu) / args.count)
        if args.profile:
            profiler = cProfile.Profile()
            requests = build(kinds[args.profile], args.count)
            profiler.enable()
            send(requests)
            profiler.disable()
    finally:
        flush_redis()
        drop_database(DATABASE)

    bare_wall, bare_cpu = costs["bare"]
    print(f"one process, Flask test client, {args.count} requests each, PostgreSQL + Redis")
    print("| endpoint | wall us/request | CPU us/request | x bare (wall) |")
    print("|---|---|---|---|")
    for name, (wall, cpu) in costs.items():
        print(f"| {name} | {wall * 1e6:,.0f} | {cpu * 1e6:,.0f} | {wall / bare_wall:.1f} |")
    print(f"(x bare = how many bare requests fit in the time of one; bare CPU {bare_cpu * 1e6:,.0f} us)")
    if args.profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
