"""Benchmark the directory sync: what a whole company costs to sync, against adding the same people bare.

Run `python bench/org_sync.py [MEMBERS]`. Builds a directory of 1 + 10 regions × 10 teams departments and
MEMBERS people (default 2000) and, on fresh embedded SQLite files in the same process: adds every member with
`ensure_user` in one transaction (the baseline: the least that makes them known), then runs `sync_directory`
twice (the first creates everything, the second finds nothing to change, as a daily run mostly does). The
ratios to the baseline are what to compare across machines.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.org import Department, Directory, Member, sync_directory  # noqa: E402
from storage.people import ensure_user  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MEMBERS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def company(members: int) -> Directory:
    departments = [Department("1", "销售中心", None, ("head",))]
    for r in range(10):
        departments.append(Department(f"r{r}", f"大区{r}", "1", (f"u{r}",)))
        departments += [Department(f"t{r}{t}", f"大区{r}-组{t}", f"r{r}", (f"u{r}{t}",)) for t in range(10)]
    teams = [d.id for d in departments if d.id.startswith("t")]
    people = [Member("head", "总监", ("1",))]
    people += [Member(f"u{r}", f"区长{r}", (f"r{r}",)) for r in range(10)]
    people += [Member(f"u{r}{t}", f"组长{r}{t}", (f"t{r}{t}",)) for r in range(10) for t in range(10)]
    people += [Member(f"m{i}", f"销售{i}", (teams[i % len(teams)],)) for i in range(members - len(people))]
    return Directory("wecom", tuple(departments), tuple(people))


def fresh(folder: Path, name: str):
    engine = make_engine(f"sqlite:///{folder / name}")
    upgrade(engine)
    return engine, make_session_factory(engine)


def timed(sessions, work) -> float:
    start = time.perf_counter()
    with sessions() as session, session.begin():
        work(session)
    return time.perf_counter() - start


def main() -> None:
    directory = company(MEMBERS)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine, sessions = fresh(folder, "baseline.db")
        baseline = timed(
            sessions,
            lambda s: [ensure_user(s, f"wecom:{m.id}", name=m.name, now=NOW) for m in directory.members],
        )
        engine.dispose()
        engine, sessions = fresh(folder, "sync.db")
        first = timed(sessions, lambda s: sync_directory(s, directory, roots=(), now=NOW))
        steady = timed(sessions, lambda s: sync_directory(s, directory, roots=(), now=NOW))
        engine.dispose()
    print(f"{len(directory.departments)} departments, {len(directory.members)} members (SQLite)")
    print(f"baseline: ensure_user for each member   {baseline:6.2f} s")
    print(f"first sync (creates everything)         {first:6.2f} s   {first / baseline:5.2f}x baseline")
    print(f"second sync (nothing to change)         {steady:6.2f} s   {steady / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
