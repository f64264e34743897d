"""Benchmark the ledger import: calamine against openpyxl reading the same xlsx, and the whole import on SQLite
and on PostgreSQL, with peak memory.

Run `python bench/import_ledger.py [--rows 100000] [--notes 0.3]`. It writes a messy ledger (title row,
synonym headers, phones with dashes and +86, dates in five forms, amounts in 万 and 元, 5 % of the customers
twice, 1 % bad rows, a 备注 on `--notes` of the rows) as xlsx and csv in a temp folder; times reading every row
of the xlsx as the import does (xlsx2csv streaming from a child process), with calamine (which holds the whole
sheet) and with openpyxl's read-only mode, each in a child process with its peak RSS; then imports the xlsx into
a fresh SQLite file and a fresh PostgreSQL database (`--database`, default `bench_import`), each in a child
process whose peak RSS (and its note-reading worker processes') is reported. The target: 100,000 rows in
≤ 60 s on both databases.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HEADERS = ["公司名称", "联系人姓名", "联系电话", "业务员", "跟进阶段", "预计金额(万元)", "最后联系时间", "下次跟进",
           "客户标签", "备注说明", "客户来源"]  # fmt: skip
PLACES = ["杭州", "宁波", "温州", "苏州", "无锡", "南京", "合肥", "福州", "厦门", "济南"]
TRADES = ["机械", "贸易", "电子", "科技", "建材", "纺织", "食品", "化工"]
STAGES = ["线索", "初访", "意向", "已报价", "谈判中", "成交", None]
NOTES = ["嫌贵 要样机 下周三再约", "电话沟通 要报价", "老板在 预算50万 月底定", "等通知", "已发方案 对比竞品",
         "催尾款 账期三个月", "客户说不做了", "约了周五下午去演示"]  # fmt: skip
REPS = 20


def ledger_rows(count: int, note_share: float) -> list[list[object]]:
    rng = random.Random(7)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    rows: list[list[object]] = []
    for i in range(count):
        if i % 100 == 99:
            rows.append([None, "某人", "12345", f"销售{i % REPS}", None, None, "上个月", None, None, None, "展会"])
            continue
        if i % 20 == 19 and rows[-1][0]:
            earlier = rows[rng.randrange(max(0, len(rows) - 500), len(rows))]
            if earlier[0]:
                rows.append([f"{earlier[0]}有限公司", None, None, earlier[3], None, None, "2026-11-20", None, None,
                             "又联系了 要报价", None])  # fmt: skip
                continue
        name = f"{rng.choice(PLACES)}{rng.choice(chars)}{rng.choice(chars)}{rng.choice(TRADES)}"
        phone = rng.choice([f"139{i:08d}", f"139-{i // 10000:04d}-{i % 10000:04d}", f"+86 138 {i:08d}", None])
        date = rng.choice([46300 + i % 60, "2026/11/3", "2026-10-15", "11月3日", "2026.9.1", None])
        rows.append(
            [
                name,
                f"王{i % 1000}",
                phone,
                f"销售{i % REPS}",
                rng.choice(STAGES),
                rng.choice([12.5, "8万", None]),
                date,
                rng.choice([None, "2026-12-10"]),
                rng.choice([None, "价格敏感", "要报价、需求紧急"]),
                rng.choice(NOTES) + f" 第{i}次" if rng.random() < note_share else None,
                "官网",
            ]
        )
    return rows


def write_ledger(folder: Path, rows: list[list[object]]) -> tuple[Path, Path]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(["2026年客户台账"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    xlsx = folder / "ledger.xlsx"
    book.save(str(xlsx))
    path = folder / "ledger.csv"
    with path.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows([HEADERS, *rows])
    return xlsx, path


def read_once(reader: str, path: str) -> None:
    """In a child process: read every row of the xlsx with `reader`, print rows, seconds and peak RSS."""
    started = time.perf_counter()
    if reader == "xlsx2csv":
        from bot.ledger.files import open_sheet

        rows = sum(1 for _ in open_sheet(Path(path)).rows)
    elif reader == "calamine":
        from python_calamine import CalamineWorkbook

        rows = sum(1 for _ in CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows())
    else:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
        book.close()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"rows": rows, "seconds": round(seconds, 2), "peak_rss_mb": peak}))


def time_readers(xlsx: Path) -> dict[str, dict[str, float]]:
    """Each reader on the same file, in its own process (the peak RSS is then the reader's own)."""
    figures = {}
    for reader in ("xlsx2csv", "calamine", "openpyxl"):
        child = subprocess.run(
            [sys.executable, __file__, "--read-with", reader, str(xlsx)], capture_output=True, text=True, check=True
        )
        figures[reader] = json.loads(child.stdout.strip().splitlines()[-1])
    assert len({f["rows"] for f in figures.values()}) == 1, figures
    return figures


def import_once(url: str, path: str) -> None:
    """In a child process: migrate, add the reps, import, print the figures as JSON."""
    from bot import runtime
    from bot.ledger.importing import import_ledger
    from config.settings import Settings
    from storage.people import add_user

    rt = runtime.build_runtime(Settings(database_url=url))
    with runtime.installed(rt):
        with rt.transaction() as s:
            for i in range(REPS):
                add_user(s, f"wecom:rep{i}", name=f"销售{i}", role="rep", team=None, now=NOW)
        started = time.perf_counter()
        report = import_ledger(rt, Path(path), now=NOW)
        seconds = time.perf_counter() - started
    me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime
    figures = {
        "seconds": round(seconds, 1),
        "rows_per_s": None,
        "cpu_seconds_all_processes": round(cpu, 1),  # the machine is shared: wall time alone hides the load
        "summary": report.summary(),
        "peak_rss_mb": me.ru_maxrss // 1024,
        "peak_worker_rss_mb": workers.ru_maxrss // 1024,
    }
    print(json.dumps(figures, ensure_ascii=False))


def postgres_admin(*statements: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    admin.dispose()


def drop_database(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'


def fresh_postgres(name: str) -> str:
    postgres_admin(drop_database(name), f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name


def run_import(url: str, path: Path, rows: int) -> dict[str, object]:
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    child = subprocess.run(
        [sys.executable, __file__, "--import-into", url, str(path)], capture_output=True, text=True, check=True
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    figures["rows_per_s"] = round(rows / figures["seconds"])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--notes", type=float, default=0.3, help="share of rows with a 备注")
    parser.add_argument("--database", default="bench_import", help="the PostgreSQL database created and dropped")
    parser.add_argument("--import-into", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--read-with", nargs=2, metavar=("READER", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--write-into", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_into:
        import_once(*args.import_into)
        return
    if args.read_with:
        read_once(*args.read_with)
        return
    if args.write_into:
        write_ledger(Path(args.write_into), ledger_rows(args.rows, args.notes))
        return
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        # Written by a child: a child's peak RSS counts what it was forked from, so this process stays small.
        command = [sys.executable, __file__, "--rows", str(args.rows), "--notes", str(args.notes), "--write-into", tmp]
        subprocess.run(command, check=True)
        xlsx = folder / "ledger.xlsx"
        print(f"wrote {args.rows} rows ({args.notes:.0%} with a 备注) in {time.perf_counter() - started:.1f} s")
        print("read every row:", json.dumps(time_readers(xlsx)))
        print(
            "sqlite:", json.dumps(run_import(f"sqlite:///{folder / 'bench.db'}", xlsx, args.rows), ensure_ascii=False)
        )
        pg = run_import(fresh_postgres(args.database), xlsx, args.rows)
        print("postgresql:", json.dumps(pg, ensure_ascii=False))
        postgres_admin(drop_database(args.database))


if __name__ == "__main__":
    main()
