"""Generate a large, plausible salesbot database on PostgreSQL for bench/scale.py.

    .venv/bin/python bench/generate.py [--scale 1.0] [--database bench_scale] [--now 2026-11-25T02:00:00Z]

At --scale 1 (the issue's size): 1,000 reps in 100 teams (plus their managers and an admin), 1,000,000
leads over two years, ~10,000,000 activities, ~1M reminders, ~0.9M stage changes and the alerts a
steady-state escalation would already have opened. --scale 0.1 is a tenth of the leads and activities
(people and teams stay at full size). Rows are made inside PostgreSQL with generate_series and a fixed
random seed, so a run is repeatable; secondary indexes are dropped during the bulk insert and rebuilt
from their own definitions afterwards, then the tables are analysed.

The shape, relative to --now:
- 2% of leads were assigned in the last 30 days and never touched (stage lead, no activity).
- Leads older than 60 days are 85% closed (20% won, 65% lost); younger ones 10% closed.
- Open leads were last active a skewed share of their age ago (many recent, a long stale tail), and
  have a follow-up between 7 days ago and 14 days ahead; closed leads' activity stopped within 90 days.
- Each touched lead has 1..20 activities (mean 10.5 at --scale 1) by its owner, the last one at its
  last_activity_at.
- Reminders: one per open lead at its follow-up (those due within the last hour still pending, as after
  a short worker outage; older ones sent), one done reminder per closed lead.
- Alerts: every lead that was already untouched (72 working hours, by the project's calendar) or red a
  day before --now has its alert (handled when
  older than a week), so the scans at --now find only what turned bad in the last day.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PG_ADMIN_URL, database_url, fresh_database, migrate

DEFAULT_NOW = "2026-11-25T02:00:00+00:00"  # a Wednesday, 10:00 in Asia/Shanghai
OPEN_STAGES = ["lead", "contacted", "qualified", "proposal", "negotiation"]


def step(conn, label: str, sql: str, params: dict | None = None) -> None:
    start = time.perf_counter()
    cur = conn.execute(sql, params or {})
    rows = f" ({cur.rowcount:,} rows)" if cur.rowcount and cur.rowcount > 0 else ""
    print(f"  {label}{rows}: {time.perf_counter() - start:.1f} s", flush=True)


def secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of `table`'s indexes that back no constraint."""
    return conn.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.tablename = %s AND i.schemaname = 'public'
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
        (table,),
    ).fetchall()


def red_days_case(column: str) -> str:
    """SQL: the red threshold in days for the stage in `column`, from the project's rules."""
    from config.rules import default_rules

    rules = default_rules()
    arms = " ".join(f"WHEN '{s.id}' THEN {rules.light_days(s.id)[1]}" for s in rules.stages if not s.closed)
    return f"(CASE {column} {arms} END)"


def untouched_cutoff(now: datetime, hours: int) -> datetime:
    """The latest creation time whose untouched window (working hours) had closed a day before `now`."""
    from zoneinfo import ZoneInfo

    from config.workdays import default_calendar

    calendar, tz, day_before = default_calendar(), ZoneInfo("Asia/Shanghai"), now - timedelta(days=1)
    moment = day_before - timedelta(hours=hours)
    while calendar.add_working_hours(moment.astimezone(tz), hours) > day_before:
        moment -= timedelta(minutes=30)
    return moment


def generate(url: str, *, leads: int, activities: int, reps: int, teams: int, now: datetime) -> None:
    import psycopg

    from config.rules import default_rules

    rules = default_rules()
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    touched = leads - leads // 50
    # k is uniform in 1..spread (mean (1 + spread) / 2): at least `activities` in all.
    spread = max(1, math.ceil(2 * activities / max(touched, 1) - 1))
    p = {
        "n": leads,
        "reps": reps,
        "teams": teams,
        "now": naive_now,
        "spread": spread,
        "untouched_cutoff": untouched_cutoff(now, rules.untouched_hours).astimezone(UTC).replace(tzinfo=None),
    }
    closed = tuple(rules.closed_stages)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers during the bulk load
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET max_parallel_workers_per_gather = 0")  # one scan order: repeatable random()
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SELECT setseed(0.42)")
        dropped = {t: secondary_indexes(conn, t) for t in ("leads", "activities", "reminders", "stage_changes")}
        for indexes in dropped.values():
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')

        step(
            conn,
            "teams",
            "INSERT INTO teams (id, name, manager_id, created_at) "
            "SELECT t, 'Team ' || lpad(t::text, 3, '0'), %(reps)s + t, %(now)s - interval '800 days' "
            "FROM generate_series(1, %(teams)s) t",
            p,
        )
        step(
            conn,
            "users",
            """INSERT INTO users (id, name, role, team_id, created_at)
               SELECT u, CASE WHEN u <= %(reps)s THEN '销售' || lpad(u::text, 4, '0')
                              WHEN u <= %(reps)s + %(teams)s THEN '主管' || lpad((u - %(reps)s)::text, 3, '0')
                              ELSE '管理员' END,
                      CASE WHEN u <= %(reps)s THEN 'rep' WHEN u <= %(reps)s + %(teams)s THEN 'manager'
                           ELSE 'admin' END,
                      CASE WHEN u <= %(reps)s THEN 1 + (u - 1) %% %(teams)s
                           WHEN u <= %(reps)s + %(teams)s THEN u - %(reps)s END,
                      %(now)s - interval '800 days'
               FROM generate_series(1, %(reps)s + %(teams)s + 1) u""",
            p,
        )
        step(
            conn,
            "identities",
            "INSERT INTO identities (user_id, platform, external_id) "
            "SELECT id, 'wecom', 'user' || lpad(id::text, 4, '0') FROM users",
        )
        step(
            conn,
            "leads",
            """WITH base AS (
                 SELECT g, g %% 50 = 0 AS untouched, random() AS r_owner, random() AS r_age, random() AS r_stage,
                        random() AS r_open, random() AS r_idle, random() AS r_follow, random() AS r_amount
                 FROM generate_series(1, %(n)s) g
               ), aged AS (
                 SELECT *, CASE WHEN untouched THEN r_age * 30 ELSE r_age * 730 END AS age_days FROM base
               ), staged AS (
                 SELECT *, CASE
                   WHEN untouched THEN 'lead'
                   WHEN age_days > 60 AND r_stage < 0.20 THEN 'won'
                   WHEN age_days > 60 AND r_stage < 0.85 THEN 'lost'
                   WHEN age_days <= 60 AND r_stage < 0.05 THEN 'won'
                   WHEN age_days <= 60 AND r_stage < 0.10 THEN 'lost'
                   ELSE (ARRAY['lead','contacted','qualified','proposal','negotiation'])[1 + floor(r_open * 5)::int]
                 END AS stage, %(now)s - age_days * interval '1 day' AS created FROM aged
               ), timed AS (
                 SELECT *, CASE WHEN untouched THEN NULL
                                WHEN stage IN ('won', 'lost')
                                THEN created + least(age_days, 90) * r_idle * interval '1 day'
                                ELSE %(now)s - age_days * r_idle ^ 3 * interval '1 day' END AS last_at
                 FROM staged
               )
               INSERT INTO leads (id, company, company_key, contact_name, phone, owner_id, stage, stage_entered_at,
                                  amount, source, created_at, last_activity_at, next_follow_up_at,
                                  next_follow_up_has_time)
               SELECT g, '样例' || g || '机械有限公司', 'bench-' || g, '联系人' || (g %% 997),
                      '1' || lpad(g::text, 10, '0'),
                      1 + floor(r_owner * %(reps)s)::int, stage,
                      -- the time of its one stage change (below), else its creation
                      CASE WHEN stage <> 'lead' AND last_at IS NOT NULL THEN last_at ELSE created END,
                      CASE WHEN r_amount < 0.3 THEN (r_amount * 3000000)::int END,
                      CASE WHEN untouched THEN 'assigned' ELSE 'note' END, created, last_at,
                      CASE WHEN NOT untouched AND stage NOT IN ('won', 'lost')
                           THEN %(now)s + (r_follow * 21 - 7) * interval '1 day' END,
                      false
               FROM timed""",
            p,
        )
        step(
            conn,
            "activities",
            """INSERT INTO activities (lead_id, author_id, type, text, follow_up_at, follow_up_has_time, source,
                                       created_lead, created_at)
               SELECT l.id, l.owner_id, (ARRAY['visit','call','wechat','meeting'])[1 + j %% 4],
                      '拜访记录 ' || l.id || '-' || j || ' 客户关注价格和交期', NULL, false, 'wecom', j = 1,
                      l.created_at + (l.last_activity_at - l.created_at) * (j::float8 / k.k)
               FROM leads l
               CROSS JOIN LATERAL (SELECT 1 + abs(hashint4(l.id) %% %(spread)s) AS k) k
               CROSS JOIN LATERAL generate_series(1, k.k) j
               WHERE l.last_activity_at IS NOT NULL""",
            p,
        )
        step(
            conn,
            "reminders",
            """INSERT INTO reminders (lead_id, activity_id, user_id, kind, due_at, has_time, status, created_at,
                                      sent_at)
               SELECT id, NULL, owner_id, 'follow_up',
                      coalesce(next_follow_up_at, last_activity_at + interval '3 days'), false,
                      CASE WHEN next_follow_up_at IS NULL THEN 'done'
                           WHEN next_follow_up_at > %(now)s - interval '1 hour' THEN 'pending' ELSE 'sent' END,
                      coalesce(last_activity_at, created_at),
                      CASE WHEN next_follow_up_at <= %(now)s - interval '1 hour' THEN next_follow_up_at END
               FROM leads WHERE last_activity_at IS NOT NULL""",
            p,
        )
        step(
            conn,
            "stage changes",
            """INSERT INTO stage_changes (lead_id, actor_id, activity_id, from_stage, to_stage, created_at)
               SELECT id, owner_id, NULL, 'lead', stage, last_activity_at
               FROM leads WHERE stage <> 'lead' AND last_activity_at IS NOT NULL""",
        )
        manager = "%(reps)s + 1 + (l.owner_id - 1) %% %(teams)s"
        step(
            conn,
            "alerts (untouched, as of a day ago)",
            f"""INSERT INTO alerts (lead_id, rule, level, basis_at, manager_id, status, created_at, notified_at)
               SELECT l.id, 'untouched', 'high', l.created_at, {manager},
                      CASE WHEN l.created_at < %(now)s - interval '10 days' THEN 'handled' ELSE 'open' END,
                      l.created_at + interval '4 days', l.created_at + interval '4 days'
               FROM leads l
               WHERE l.last_activity_at IS NULL AND l.stage NOT IN {closed!r}
                 AND l.created_at <= %(untouched_cutoff)s""",
            p,
        )
        idle = "coalesce(l.last_activity_at, l.created_at)"
        step(
            conn,
            "alerts (red, as of a day ago)",
            f"""INSERT INTO alerts (lead_id, rule, level, basis_at, manager_id, status, created_at, notified_at)
               SELECT l.id, 'stale', 'red', {idle}, {manager},
                      CASE WHEN {idle} < %(now)s - interval '21 days' THEN 'handled' ELSE 'open' END,
                      {idle} + {red_days_case("l.stage")} * interval '1 day',
                      {idle} + {red_days_case("l.stage")} * interval '1 day'
               FROM leads l
               WHERE l.stage NOT IN {closed!r}
                 AND {idle} <= %(now)s - {red_days_case("l.stage")} * interval '1 day' - interval '1 day'""",
            p,
        )
        for indexes in dropped.values():
            for name, definition in indexes:
                step(conn, f"index {name}", definition)
        for table in ("teams", "users", "identities", "leads", "activities", "reminders", "stage_changes", "alerts"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}")
        step(conn, "analyze", "ANALYZE")
        conn.execute("SET session_replication_role = DEFAULT")
        sizes = conn.execute(
            """SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid))
               FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 8"""
        ).fetchall()
    print("  table sizes: " + ", ".join(f"{name} {rows:,} rows {size}" for name, rows, size in sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M leads, 10M activities (default)")
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--database", default="bench_scale", help="a bench_* database, dropped and recreated")
    parser.add_argument("--now", default=DEFAULT_NOW, help="the instant the data is generated around (ISO)")
    args = parser.parse_args()
    leads, activities = round(1_000_000 * args.scale), round(10_000_000 * args.scale)
    now = datetime.fromisoformat(args.now)
    print(
        f"generating {args.database}: {args.reps} reps, {args.teams} teams, {leads:,} leads, ~{activities:,} activities"
    )
    print(f"  server: {PG_ADMIN_URL.rsplit('@', 1)[-1]}")
    start = time.perf_counter()
    url = fresh_database(args.database)
    migrate(url)
    assert url == database_url(args.database)
    generate(url, leads=leads, activities=activities, reps=args.reps, teams=args.teams, now=now)
    print(f"done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
