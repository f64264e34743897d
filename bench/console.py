"""Time the cockpit's data functions on a generated database, for a 10-rep team's manager and for an admin.

    .venv/bin/python bench/generate.py --scale 0.1 --database bench_cockpit   # once
    .venv/bin/python bench/console.py --database bench_cockpit [--repeat 3] [--plans]

Each page's storage functions run in a fresh session at the generator's --now, as the page would call them
(the topics page also runs nlp.keywords over its notes). Targets (issue 15): <= 300 ms per page for the manager
of a 10-rep team, <= 1 s for the admin's whole-company view. Each time is also given as a ratio to a baseline
measured in the same run: counting the viewer's leads (one index range for the team, the whole table for the
admin), so a slower or busier machine moves both. Every distinct SQL statement is then run under EXPLAIN.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import DEFAULT_NOW
from harness import database_url
from scale import Capture, Timing, print_plans

TARGETS = {"manager": 0.3, "admin": 1.0}


def pages(tz: Any, rules: Any, calendar: Any, team_id: int) -> list[tuple[str, Callable[[Any, Any, datetime], str]]]:
    """(page, function of session, scope, now → a short description of what it found)."""
    from nlp.keywords import top_terms
    from storage.behaviour import behaviour, company_activity
    from storage.cockpit_home import follow_ups_today, high_risk, home
    from storage.cockpit_reps import leaderboard_history, rep_page
    from storage.lights import LightFilter, lights
    from storage.pipeline import pipeline
    from storage.scopes import ScopeKind, visible_people, visible_teams
    from storage.topics import corpus, notes, topics

    def home_page(s: Any, scope: Any, now: datetime) -> str:
        h = home(s, scope, now, tz, rules)
        return f"{h.follow_ups_today} due, {h.high_risk} high risk, forecast {h.forecast.forecast:,}"

    def due_list(s: Any, scope: Any, now: datetime) -> str:
        return f"{follow_ups_today(s, scope, now, tz, rules).total} due today"

    def risk_list(s: Any, scope: Any, now: datetime) -> str:
        return f"{high_risk(s, scope, now, tz, rules).total} high risk"

    def pipeline_page(s: Any, scope: Any, now: datetime) -> str:
        p = pipeline(s, scope, now, tz, rules)
        return f"{p.open_count} open, weighted {p.weighted:,}, {len(p.skipped)} skipped"

    def lights_page(s: Any, scope: Any, now: datetime) -> str:
        return str(lights(s, scope, now, tz, rules).counts)

    def lights_red_of_a_rep(s: Any, scope: Any, now: datetime) -> str:
        rep = next(p for p in visible_people(s, scope) if p.role == "rep")
        chosen = LightFilter(rep_id=rep.id, light="red", stage="contacted")
        return f"{lights(s, scope, now, tz, rules, chosen=chosen).leads.total} red 初访 of one rep"

    def heatmap(s: Any, scope: Any, now: datetime) -> str:
        h = behaviour(s, scope, now, tz, rules)
        return f"{len(h.rows)} rows, {sum(r.total for r in h.rows):,} activities, {len(h.quiet)} quiet"

    def heatmap_of_a_team(s: Any, scope: Any, now: datetime) -> str:
        h = behaviour(s, scope, now, tz, rules, team_id=team_id)
        return f"{len(h.rows)} rows, {sum(r.total for r in h.rows):,} activities"

    def heatmap_landing(s: Any, scope: Any, now: datetime) -> str:
        """What /console/behaviour computes: an admin gets the first team's map and the company summary."""
        if scope.kind != ScopeKind.ALL:
            return heatmap(s, scope, now)
        h = behaviour(s, scope, now, tz, rules, team_id=visible_teams(s, scope)[0].id)
        c = company_activity(s, scope, now, tz, rules)
        return f"{len(h.rows)} rows; {len(c.teams)} teams, {len(c.silent)} silent 7 days, {len(c.quiet)} quiet"

    def topics_page(s: Any, scope: Any, now: datetime) -> str:
        t = topics(s, scope, now, tz, rules)
        c = corpus(s, scope, now, tz, rules)
        terms = top_terms(c.texts, names=c.names)
        return f"{len(t.tags)} tags, {len(c.texts)} notes -> {len(terms)} terms"

    def notes_of_a_term(s: Any, scope: Any, now: datetime) -> str:
        return f"{notes(s, scope, now, tz, rules, term='交期').total} notes with 交期"

    def history(s: Any, scope: Any, now: datetime) -> str:
        boards = leaderboard_history(s, scope, now, tz, rules, calendar, team_id=team_id)
        return f"{len(boards)} weeks, {sum(len(b.ranked) for b in boards)} ranked"

    def rep(s: Any, scope: Any, now: datetime) -> str:
        person = next(p for p in visible_people(s, scope) if p.role == "rep")
        page = rep_page(s, scope, now, tz, rules, calendar, rep_id=person.id)
        return f"{page.light_counts}, {len(page.must_do)} must-do"

    return [
        ("home (指挥舱)", home_page),
        ("今日待跟进 list", due_list),
        ("高风险待介入 list", risk_list),
        ("pipeline", pipeline_page),
        ("lights", lights_page),
        ("lights, one rep's red 初访", lights_red_of_a_rep),
        ("behaviour heat map", heatmap),
        ("behaviour heat map, one team", heatmap_of_a_team),
        ("behaviour page as landed on", heatmap_landing),
        ("topics + keywords", topics_page),
        ("notes of a term", notes_of_a_term),
        ("leaderboard history (8 weeks)", history),
        ("a rep's page", rep),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="bench_cockpit")
    parser.add_argument("--now", default=DEFAULT_NOW, help="the generator's --now (ISO)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per page (first = cold-ish, rest = warm)")
    parser.add_argument("--team", type=int, default=1, help="the team whose manager is timed (default 1)")
    parser.add_argument("--plans", action="store_true", help="print every plan in full")
    parser.add_argument("--no-plans", action="store_true", help="skip the EXPLAIN section")
    args = parser.parse_args()

    from sqlalchemy import event, func, select

    from config.rules import default_rules
    from config.workdays import default_calendar
    from nlp.keywords import top_terms
    from storage.db import make_engine, make_session_factory
    from storage.models import Lead, Team, User
    from storage.scopes import scope_of

    now = datetime.fromisoformat(args.now)
    tz, rules, calendar = ZoneInfo("Asia/Shanghai"), default_rules(), default_calendar()
    engine = make_engine(database_url(args.database))
    sessions = make_session_factory(engine)
    capture = Capture()
    event.listen(engine, "before_cursor_execute", capture.hook)
    top_terms(["预热分词器"])  # jieba loads once per process, not per page

    with sessions() as session:
        team = session.get(Team, args.team)
        admin = session.scalar(select(User).where(User.role == "admin").limit(1))
        if team is None or team.manager_id is None or admin is None:
            sys.exit(f"{args.database} has no generated data: run bench/generate.py first")
        viewers = {"manager": team.manager_id, "admin": admin.id}
        total = session.scalar(select(func.count()).select_from(Lead))
        print(f"{args.database}: {total:,} leads; team {team.name} manager vs admin; now = {now.isoformat()}")

    def timed(viewer: str, name: str, run: Callable[[Any, Any, datetime], str]) -> Timing:
        runs, result, statements = [], "", []
        for i in range(args.repeat):
            capture.statements = []
            with sessions() as session, session.begin():
                scope = scope_of(session, session.get(User, viewers[viewer]))
                capture.on = i == 0
                t0 = time.perf_counter()
                result = run(session, scope, now)
                runs.append(time.perf_counter() - t0)
                capture.on = False
                session.rollback()
            if i == 0:
                statements = capture.statements
        return Timing(f"{viewer}: {name}", runs, result, statements)

    def baseline(session: Any, scope: Any, now: datetime) -> str:
        return (
            f"{session.scalar(select(func.count()).select_from(Lead).where(scope.where_owner(Lead.owner_id))):,} leads"
        )

    timings: list[Timing] = []
    print()
    print("| viewer | page | warm (median) | first | x baseline | target | result |")
    print("|---|---|---|---|---|---|---|")
    for viewer in ("manager", "admin"):
        base = timed(viewer, "baseline: count the scope's leads", baseline)
        print(
            f"| {viewer} | baseline: count the scope's leads | {base.warm * 1000:.1f} ms | "
            f"{base.runs[0] * 1000:.1f} ms | 1 | | {base.result} |"
        )
        for name, run in pages(tz, rules, calendar, args.team):
            t = timed(viewer, name, run)
            timings.append(t)
            verdict = "met" if t.warm <= TARGETS[viewer] else "MISSED"
            print(
                f"| {viewer} | {name} | {t.warm * 1000:.1f} ms | {t.runs[0] * 1000:.1f} ms | "
                f"{t.warm / base.warm:.1f} | {verdict} (<= {TARGETS[viewer] * 1000:.0f} ms) | {t.result} |",
                flush=True,
            )
    if not args.no_plans:
        print()
        print_plans(engine, timings, full=args.plans)
    engine.dispose()


if __name__ == "__main__":
    main()
