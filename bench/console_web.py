"""Time every cockpit page as a request: the whole server side (session, scope, figures, template, SVG), for
the manager of a 10-rep team and for an admin, on a copy of bench/console.py's generated database.

    .venv/bin/python bench/generate.py --scale 0.1 --database bench_cockpit       # once (bench/console.py's)
    .venv/bin/python bench/console_web.py --source bench_cockpit [--repeat 5]

The copy (`--database`, default bench_cockpit_web, made from `--source` as a template when missing) gets this
branch's migrations; the source is not touched. Requests go through Flask's test client (no network), with the
cockpit's clock at the generator's --now. Targets (issue 15): <= 300 ms per page for the manager, <= 1 s for the
admin. Each time is also a ratio to `GET /healthz` (one `SELECT 1`) measured in the same run. bench/console.py
times the data functions alone; the difference is rendering.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import DEFAULT_NOW
from harness import PG_ADMIN_URL, database_url

TARGETS = {"manager": 0.3, "admin": 1.0}
PAGES = (
    "/console/",
    "/console/list/today",
    "/console/list/risk",
    "/console/pipeline",
    "/console/lights",
    "/console/lights?light=red",
    "/console/behaviour",
    "/console/topics",
    "/console/notes?term=交期",
    "/console/board",
    "/console/reps/{rep}",
)


def copy_database(source: str, target: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target,)).fetchone():
            return
        print(f"copying {source} to {target} …", flush=True)
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="bench_cockpit")
    parser.add_argument("--database", default="bench_cockpit_web")
    parser.add_argument("--now", default=DEFAULT_NOW, help="the generator's --now (ISO)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--team", type=int, default=1, help="the team whose manager is timed")
    args = parser.parse_args()
    assert args.database.startswith("bench_")

    from sqlalchemy import func, select

    from bot import runtime
    from bot.app import create_app
    from bot.console import console_secret, new_link
    from bot.console.web import CLOCK
    from config.settings import Settings
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.models import Lead, Team, User

    copy_database(args.source, args.database)
    url = database_url(args.database)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    now = datetime.fromisoformat(args.now)
    settings = Settings(database_url=url)
    with runtime.installed(runtime.build_runtime(settings)) as rt:
        app = create_app(settings, rt)
        app.config[CLOCK] = lambda: now
        with rt.transaction() as db:
            team = db.get(Team, args.team)
            admin = db.scalar(select(User).where(User.role == "admin").limit(1))
            if team is None or team.manager is None or admin is None:
                sys.exit(f"{args.database} has no generated data: run bench/generate.py first")
            rep = db.scalar(select(User.id).where(User.team_id == team.id, User.role == "rep").limit(1))
            secret = console_secret(rt, db)
            links = {
                "manager": new_link(db, team.manager, secret=secret, public_url=settings.public_url, now=now),
                "admin": new_link(db, admin, secret=secret, public_url=settings.public_url, now=now),
            }
            total = db.scalar(select(func.count()).select_from(Lead))
        print(f"{args.database}: {total:,} leads; team {team.name} manager vs admin; now = {now.isoformat()}")
        print()
        print("| viewer | page | warm (median) | first | x /healthz | target |")
        print("|---|---|---|---|---|---|")
        for viewer, link in links.items():
            client = app.test_client()
            assert client.get(link.removeprefix(settings.public_url)).status_code == 302
            base = _time(client, "/healthz", args.repeat)
            print(f"| {viewer} | GET /healthz (baseline) | {base[1] * 1000:.1f} ms | {base[0] * 1000:.1f} ms | 1 | |")
            for path in PAGES:
                first, warm = _time(client, path.format(rep=rep), args.repeat)
                verdict = "met" if warm <= TARGETS[viewer] else "MISSED"
                print(
                    f"| {viewer} | {path} | {warm * 1000:.1f} ms | {first * 1000:.1f} ms | {warm / base[1]:.0f} | "
                    f"{verdict} (<= {TARGETS[viewer] * 1000:.0f} ms) |",
                    flush=True,
                )


def _time(client, path: str, repeat: int) -> tuple[float, float]:
    """(first run, median of the rest) in seconds; every answer must be 200."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = client.get(path)
        runs.append(time.perf_counter() - t0)
        assert answer.status_code == 200, (path, answer.status_code)
    return runs[0], statistics.median(runs[1:] or runs)


if __name__ == "__main__":
    main()
