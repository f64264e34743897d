"""Time the periodic scans on a generated database and show their query plans.

    .venv/bin/python bench/generate.py --scale 1     # once: 1M leads, 10M activities (see generate.py)
    .venv/bin/python bench/scale.py [--database bench_scale] [--repeat 3] [--plans]

Measured through the project's own functions, each in a fresh session, at the generator's --now:
- escalation scan: storage.alerts.untouched_leads + red_leads (what bot.periodic.escalate calls),
- reminders scan: storage.reminders.due_reminders (FOR UPDATE SKIP LOCKED, rolled back),
- one team's leaderboard for the previous ISO week: storage.reports.leaderboard (the weekly job runs it
  once per team).
Target (issue 7): each <= 2 s. Every distinct SQL statement a scan sent is then run again under
EXPLAIN (ANALYZE, BUFFERS); a sequential scan of a big table is flagged. --plans prints the full plans.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import DEFAULT_NOW
from harness import database_url, drop_database

BIG_TABLES = ("leads", "activities", "reminders", "alerts", "stage_changes", "inbound_events", "outbox")
TARGET_SECONDS = 2.0


@dataclass
class Capture:
    on: bool = False
    statements: list[tuple[str, Any]] = field(default_factory=list)

    def hook(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if self.on and statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))


@dataclass
class Timing:
    name: str
    runs: list[float]
    result: str
    statements: list[tuple[str, Any]]
    explain: bool = True

    @property
    def warm(self) -> float:
        return statistics.median(self.runs[1:]) if len(self.runs) > 1 else self.runs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="bench_scale")
    parser.add_argument("--now", default=DEFAULT_NOW, help="the generator's --now (ISO)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scan (first = cold-ish, rest = warm)")
    parser.add_argument("--team", type=int, default=1, help="team id for the leaderboard (default 1)")
    parser.add_argument("--plans", action="store_true", help="print every plan in full")
    parser.add_argument("--cold", action="store_true", help="also time the escalation scan with no alert yet")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    args = parser.parse_args()

    from sqlalchemy import event, func, select, text

    from config.rules import default_rules
    from config.workdays import default_calendar
    from storage.alerts import red_leads, untouched_leads
    from storage.db import make_engine, make_session_factory
    from storage.models import Activity, Lead, Team
    from storage.reminders import due_reminders
    from storage.reports import leaderboard, week_start

    now = datetime.fromisoformat(args.now)
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    rules, calendar = default_rules(), default_calendar()
    engine = make_engine(database_url(args.database))
    sessions = make_session_factory(engine)
    capture = Capture()
    event.listen(engine, "before_cursor_execute", capture.hook)

    with sessions() as session:
        leads = session.scalar(select(func.count()).select_from(Lead)) or 0
        activities = session.scalar(select(func.count()).select_from(Activity)) or 0
        team = session.get(Team, args.team)
        if team is None or not leads:
            sys.exit(f"{args.database} has no data: run bench/generate.py first")
    start, end = week_start(now, tz) - timedelta(days=7), week_start(now, tz)
    print(f"{args.database}: {leads:,} leads, {activities:,} activities; now = {now.isoformat()}")

    def escalation(session: Any) -> str:
        untouched = untouched_leads(session, now, tz, rules, calendar)
        red = red_leads(session, now, rules)
        return f"{len(untouched)} untouched + {len(red)} red new findings"

    def reminders(session: Any) -> str:
        return f"{len(due_reminders(session, now))} due reminders"

    def board(session: Any) -> str:
        team = session.get(Team, args.team)
        rows = leaderboard(session, team, start, end, tz, rules, calendar)
        return f"{len(rows)} reps, {sum(r.activities for r in rows)} activities in week {start.date()}"

    def no_alerts(session: Any) -> None:
        session.execute(text("DELETE FROM alerts"))  # rolled back after the run

    scans: list[tuple[str, Callable[[Any], None] | None, Callable[[Any], str]]] = [
        ("escalation scan (untouched_leads + red_leads)", None, escalation),
        ("reminders scan (due_reminders)", None, reminders),
        (f"leaderboard, team {args.team}, one week", None, board),
    ]
    if args.cold:
        scans.append(("escalation scan with no alert yet (first run after an import)", no_alerts, escalation))
    timings: list[Timing] = []
    for name, prepare, scan in scans:
        runs, result = [], ""
        statements: list[tuple[str, Any]] = []
        for i in range(args.repeat):
            capture.statements = []
            with sessions() as session, session.begin():
                if prepare is not None:
                    prepare(session)
                    session.flush()
                capture.on = i == 0
                t0 = time.perf_counter()
                result = scan(session)
                runs.append(time.perf_counter() - t0)
                session.rollback()
            capture.on = False
            if i == 0:
                statements = capture.statements
        timings.append(Timing(name, runs, result, statements, explain=prepare is None))
        print(f"  {name}: first {runs[0]:.3f} s, then {', '.join(f'{r:.3f}' for r in runs[1:])} s  ({result})")

    print()
    print(f"| scan | first run | warm (median) | SQL statements | result | target <= {TARGET_SECONDS:.0f} s |")
    print("|---|---|---|---|---|---|")
    for t in timings:
        verdict = "met" if max(t.runs) <= TARGET_SECONDS else "MISSED"
        print(f"| {t.name} | {t.runs[0]:.3f} s | {t.warm:.3f} s | {len(t.statements)} | {t.result} | {verdict} |")

    print()
    print_plans(engine, timings, full=args.plans)
    with engine.connect() as conn:
        print(
            f"server: {conn.execute(text('SHOW shared_buffers')).scalar()} shared_buffers, "
            f"{conn.execute(text('SHOW work_mem')).scalar()} work_mem"
        )
    engine.dispose()
    if args.drop:
        drop_database(args.database)


def print_plans(engine: Any, timings: list[Timing], *, full: bool) -> None:
    """Run every distinct SQL statement the timed runs sent under EXPLAIN (ANALYZE, BUFFERS); print the
    interesting lines (all of them with `full`) and flag sequential scans of big tables."""
    flagged: list[str] = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for t in (t for t in timings if t.explain):
            seen: set[str] = set()
            for statement, parameters in t.statements:
                if statement in seen:
                    continue
                seen.add(statement)
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = [row[0] for row in cursor.fetchall()]
                raw.rollback()
                seq = [
                    line.strip()
                    for line in plan
                    if "Seq Scan on" in line and any(f" {b} " in line + " " for b in BIG_TABLES)
                ]
                timing = next((line for line in plan if line.startswith("Execution Time")), "")
                head = " ".join(statement.split())[:160]
                print(f"-- {t.name}: {head}{'…' if len(head) == 160 else ''}")
                print(f"   {timing}")
                shown = plan if full else [line for line in plan if _interesting(line)][:12]
                for line in shown:
                    print(f"   {line}")
                for line in seq:
                    flagged.append(f"{t.name}: {line}  <- {head[:100]}")
                print()
    finally:
        raw.close()
    if flagged:
        print("SEQUENTIAL SCANS ON BIG TABLES:")
        for line in flagged:
            print(f"  {line}")
    else:
        print("no sequential scan of a big table in these plans")


def _big_seq_scan(line: str) -> bool:
    return "Seq Scan on" in line and line.split("Seq Scan on", 1)[1].split()[0] in BIG_TABLES


def _interesting(line: str) -> bool:
    words = ("Scan", "Join", "Index", "Filter", "Cond", "Sort", "Aggregate", "Limit", "LockRows", "Rows Removed")
    return any(w in line for w in words)


if __name__ == "__main__":
    main()
