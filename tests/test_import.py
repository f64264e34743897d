"""`salesbot import leads` and `salesbot export`, on SQLite and PostgreSQL, with files made in the test."""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select, text

from bot.cli import main
from bot.ledger import importing
from bot.ledger.importing import import_ledger
from bot.periodic import escalate
from bot.runtime import Runtime
from config.workdays import default_calendar
from storage.leads import company_key
from storage.models import Activity, Lead, OutboxMessage, Reminder, Team, User
from storage.people import add_team, add_user
from storage.reports import leaderboard, week_start
from storage.states import LeadSource
from tests.conftest import Chat, RecordingSender

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday
HEADERS = ["客户名称", "联系人", "手机", "负责人", "阶段", "预计金额", "最近跟进", "下次跟进", "标签", "备注"]


def write_xlsx(path: Path, rows: list[list[Any]], headers: list[str] = HEADERS) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str, headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows([headers, *rows])
    return path


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python()[1:] for name in book.sheet_names}


@pytest.fixture
def reps(rt: Runtime) -> Runtime:
    with rt.transaction() as s:
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team=None, now=NOW)
        add_user(s, "wecom:lisi", name="李四", role="rep", team=None, now=NOW)
        add_user(s, "wecom:boss", name="王经理", role="manager", team=None, now=NOW)
        add_team(s, "华东", manager_key="wecom:boss", now=NOW)
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team="华东", now=NOW)
        add_user(s, "wecom:lisi", name="李四", role="rep", team="华东", now=NOW)
    return rt


@pytest.fixture
def cli(reps: Runtime, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env={"SALESBOT_DATABASE_URL": db_url})

    return invoke


def leads(rt: Runtime) -> list[Lead]:
    with rt.transaction() as s:
        return list(s.scalars(select(Lead).order_by(Lead.id)))


def count(rt: Runtime, model: type) -> int:
    with rt.transaction() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


ROW = [
    "杭州华力机械有限公司",
    "王总",
    "139-1234-5678",
    "张伟",
    "已报价",
    12.5,
    "2026/11/3",
    "2026-12-02",
    "价格敏感",
    "嫌贵 要样机",
]


def test_a_row_becomes_an_imported_lead_with_its_note_tags_and_follow_up(reps: Runtime, tmp_path: Path) -> None:
    report = import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", [ROW]), now=NOW)
    assert (report.created, report.merged, report.skipped, report.written) == (1, [], [], True)
    [lead] = leads(reps)
    assert (lead.company, lead.contact_name, lead.phone, lead.stage, lead.amount, lead.source) == (
        "杭州华力机械有限公司",
        "王总",
        "13912345678",
        "proposal",
        125_000,
        LeadSource.IMPORT,
    )
    assert lead.last_activity_at == datetime(2026, 11, 3, tzinfo=TZ)
    assert lead.next_follow_up_at == datetime(2026, 12, 2, 10, tzinfo=TZ)
    with reps.transaction() as s:
        [note] = s.scalars(select(Activity))
        assert (note.text, note.source, note.created_at) == ("嫌贵 要样机", "import", datetime(2026, 11, 3, tzinfo=TZ))
        assert {t.id for t in note.tags} == {"price_sensitive", "needs_sample"}
        [reminder] = s.scalars(select(Reminder))
        assert (reminder.lead_id, reminder.kind, reminder.due_at) == (
            lead.id,
            "follow_up",
            datetime(2026, 12, 2, 8, 30, tzinfo=TZ),
        )  # the working morning


def test_date_cells_keep_their_day_and_time_of_day(reps: Runtime, tmp_path: Path) -> None:
    row = [*ROW[:6], datetime(2026, 11, 3, 14, 30), datetime(2026, 12, 2), *ROW[8:]]
    import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", [row]), now=NOW)
    [lead] = leads(reps)
    assert (lead.last_activity_at, lead.next_follow_up_at) == (
        datetime(2026, 11, 3, 14, 30, tzinfo=TZ),
        datetime(2026, 12, 2, 10, tzinfo=TZ),  # a day without a time gets the default hour
    )


def test_hidden_rows_are_imported_too(reps: Runtime, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "l.xlsx", [ROW, ["宁波永盛贸易", "李经理", None, *ROW[3:]]])
    book = load_workbook(path)
    book.active.row_dimensions[3].hidden = True  # a filter left on in Excel hides rows
    book.save(path)
    assert import_ledger(reps, path, now=NOW).created == 2


def test_a_sheet_damaged_midway_is_refused_and_nothing_is_written(
    cli: Callable[..., Result], reps: Runtime, tmp_path: Path
) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", [[f"宁波永盛贸易{i}号", "李经理", None, *ROW[3:]] for i in range(300)])
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(tmp_path / "l.xlsx", "w") as damaged:
        for item in source.infolist():
            data = source.read(item)
            damaged.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    result = cli("import", "leads", "l.xlsx")
    assert result.exit_code == 1
    assert "l.xlsx cannot be read" in result.output
    assert count(reps, Lead) == 0


def test_a_gbk_csv_from_chinese_excel_is_read(reps: Runtime, tmp_path: Path) -> None:
    import_ledger(reps, write_csv(tmp_path / "l.csv", [ROW], "gbk"), now=NOW)
    assert [lead.company for lead in leads(reps)] == ["杭州华力机械有限公司"]


def test_a_utf8_csv_with_a_bom_is_read(reps: Runtime, tmp_path: Path) -> None:
    import_ledger(reps, write_csv(tmp_path / "l.csv", [ROW], "utf-8-sig"), now=NOW)
    assert [lead.contact_name for lead in leads(reps)] == ["王总"]


def test_a_title_row_above_the_headers_is_passed_over(reps: Runtime, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "l.xlsx", [HEADERS, ROW], headers=["2026年客户台账"])
    report = import_ledger(reps, path, now=NOW)
    assert report.created == 1 and report.skipped == []


def test_a_customer_twice_in_the_file_is_one_lead_and_the_second_row_is_reported_merged(
    reps: Runtime, tmp_path: Path
) -> None:
    second = ["华力机械", None, "13800001111", "张伟", None, None, "2026-11-20", None, None, "已寄样机"]
    report = import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", [ROW, second]), now=NOW)
    [lead] = leads(reps)
    assert (report.created, report.merged) == (1, [(3, lead.id, "杭州华力机械有限公司", "")])
    assert lead.last_activity_at == datetime(2026, 11, 20, tzinfo=TZ)
    assert count(reps, Activity) == 2
    with reps.transaction() as s:
        texts = sorted(s.scalars(select(Activity.text)))
    assert texts == ["嫌贵 要样机", "已寄样机（台账中另有：电话 13800001111）"]  # nothing of the row is lost


def test_a_row_about_a_lead_in_the_database_fills_what_it_lacks(
    reps: Runtime, sent: RecordingSender, tmp_path: Path
) -> None:
    Chat(reps, sent).say("今天拜访杭州华力机械 王总 嫌贵")
    row = ["华力机械", None, "13912345678", "李四", None, 20, None, None, None, "报价已发"]
    report = import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", [row]), now=NOW + timedelta(hours=1))
    [lead] = leads(reps)
    assert (report.created, report.merged) == (0, [(2, lead.id, "杭州华力机械", "电话、金额、阶段")])
    assert (lead.phone, lead.amount, lead.stage, lead.source) == ("13912345678", 200_000, "proposal", LeadSource.NOTE)
    assert count(reps, Activity) == 2


def test_another_branch_of_a_known_customer_is_a_new_lead(reps: Runtime, tmp_path: Path) -> None:
    branch = ["华力机械苏州分公司", "刘工", None, "张伟", None, None, None, None, None, None]
    report = import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", [ROW, branch]), now=NOW)
    assert (report.created, report.merged) == (2, [])


def test_bad_rows_are_skipped_and_listed_with_their_row_and_reason(cli: Callable[..., Result], tmp_path: Path) -> None:
    rows = [
        ROW,
        [None, "无名氏", None, "张伟", None, None, None, None, None, "没留电话"],
        ["宁波永盛贸易", None, None, "王五", None, None, None, None, None, None],
        ["温州大成", None, None, "张伟", None, None, "上个月", None, None, None],
        [None, None, None, None, None, None, None, None, None, None],
    ]
    path = write_xlsx(tmp_path / "l.xlsx", rows, headers=[*HEADERS, "客户来源"])
    result = cli("import", "leads", str(path), "--report", "r.xlsx")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "imported: 1 created, 0 merged, 3 skipped, 3 errors"
    report = sheets(tmp_path / "r.xlsx")
    assert [(int(n), reason) for n, reason, _ in report["跳过的行"]] == [
        (3, "没有客户名称，也没有电话"),
        (4, "负责人不是系统里的同事：「王五」"),
        (5, "日期无法识别：「最近跟进」列的「上个月」"),
    ]
    assert [column for column, _ in report["未识别的列"]] == ["客户来源"]


def test_strict_refuses_the_whole_file_when_a_row_is_bad(
    cli: Callable[..., Result], reps: Runtime, tmp_path: Path
) -> None:
    bad = ["温州大成", None, None, "没这个人", None, None, None, None, None, None]
    result = cli("import", "leads", str(write_xlsx(tmp_path / "l.xlsx", [ROW, bad])), "--strict")
    assert result.exit_code == 1
    assert "nothing written" in result.output.splitlines()[-1]
    assert (count(reps, Lead), count(reps, Activity)) == (0, 0)


def test_a_dry_run_reports_everything_and_writes_nothing(
    cli: Callable[..., Result], reps: Runtime, tmp_path: Path
) -> None:
    result = cli("import", "leads", str(write_xlsx(tmp_path / "l.xlsx", [ROW])), "--dry-run")
    assert result.output.splitlines()[-1] == "nothing written: 1 created, 0 merged, 0 skipped, 0 errors"
    assert (count(reps, Lead), count(reps, Activity), count(reps, Reminder)) == (0, 0, 0)


def test_rows_without_an_owner_go_to_the_default_owner(
    cli: Callable[..., Result], reps: Runtime, tmp_path: Path
) -> None:
    row = ["温州大成", None, None, None, None, None, None, None, None, None]
    result = cli("import", "leads", str(write_xlsx(tmp_path / "l.xlsx", [row])), "--owner", "wecom:lisi")
    assert result.exit_code == 0, result.output
    with reps.transaction() as s:
        [owner] = s.scalars(select(User.name).join(Lead, Lead.owner_id == User.id))
    assert owner == "李四"


def test_a_database_error_midway_leaves_nothing_behind(reps: Runtime, db_url: str, tmp_path: Path) -> None:
    """A trigger refuses one lead far into the file (after several batches were written)."""
    with reps.engine.begin() as conn:
        if db_url.startswith("sqlite"):
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON leads WHEN NEW.company = '第4500号客户' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.company = '第4500号客户' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION refuse()"))
    rows = [[f"第{i}号客户", None, None, "张伟", None, None, None, None, None, None] for i in range(1, 5001)]
    try:
        with pytest.raises(Exception, match="refused"):
            import_ledger(reps, write_csv(tmp_path / "l.csv", rows, "utf-8"), now=NOW)
        assert (count(reps, Lead), count(reps, Activity)) == (0, 0)
    finally:
        with reps.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse" + ("" if db_url.startswith("sqlite") else " ON leads")))
            if not db_url.startswith("sqlite"):
                conn.execute(text("DROP FUNCTION refuse()"))


def test_stale_imported_leads_are_escalated_in_capped_batched_cards(reps: Runtime, tmp_path: Path) -> None:
    rows = [[f"老客户{i:03d}", None, None, "张伟", "初访", None, "2026-09-01", None, None, None] for i in range(100)]
    import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", rows), now=NOW)
    result = escalate(NOW.isoformat())
    assert result == {"new_alerts": 100, "cards": 3}  # ALERTS_PER_CARD 10 × CARDS_PER_RUN 3; the rest counted
    with reps.transaction() as s:
        alerts = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")).all()
    assert [m.recipient for m in alerts] == ["wecom:boss"] * 3
    assert "70" in json.dumps(alerts[-1].payload, ensure_ascii=False)  # the last card counts the rest


def test_a_2000_row_ledger_with_messy_headers_then_a_chat_note_lands_on_an_imported_lead(
    reps: Runtime, sent: RecordingSender, tmp_path: Path
) -> None:
    headers = [
        "公司名称",
        "联系人姓名",
        "联系电话",
        "业务员",
        "状态",
        "预计金额(万元)",
        "最后联系时间",
        "备注说明",
        "来源",
    ]
    places = ["杭州", "宁波", "温州", "苏州", "无锡"]
    rows = []
    for i in range(2000):
        if i % 100 == 99:
            rows.append([None, "某人", "12345", "张伟", None, None, None, None, "展会"])  # bad: no name, bad phone
        elif i % 50 == 49:
            rows.append(
                [
                    f"{places[(i - 1) % 5]}客户{i - 1:04d}贸易有限公司",
                    None,
                    None,
                    "张伟",
                    None,
                    None,
                    None,
                    "又联系了",
                    None,
                ]
            )
        else:
            phone = f"139{i:08d}"
            rows.append(
                [
                    f"{places[i % 5]}客户{i:04d}贸易",
                    f"王{i}",
                    phone,
                    "张伟",
                    "初访",
                    3,
                    "2026/11/20",
                    f"嫌贵 第{i}次",
                    "官网",
                ]
            )
    report = import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", rows, headers=headers), now=NOW)
    assert (report.created, len(report.merged), len(report.skipped)) == (1960, 20, 20)
    assert report.columns is not None and report.columns.unknown == ("来源",)
    reply = Chat(reps, sent).say("今天又去了杭州客户0005贸易 王5 说下周三签合同")
    assert "杭州客户0005贸易" in reply
    with reps.transaction() as s:
        lead = s.scalar(select(Lead).where(Lead.company == "杭州客户0005贸易"))
        assert lead is not None
        notes = s.scalars(select(Activity).where(Activity.lead_id == lead.id).order_by(Activity.id)).all()
        assert [n.source for n in notes] == ["import", "chat"]
        assert [t.id for t in notes[0].tags] == ["price_sensitive"]  # the 备注 was read
    assert count(reps, Lead) == 1960


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_imports_back_unchanged(
    cli: Callable[..., Result], reps: Runtime, tmp_path: Path, fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rows = [
        ROW,
        ["宁波永盛贸易", "李经理", "0574-88886666", "李四", "谈判", 8.25, "2026-11-20 14:30:05", None, None, None],
        ["温州大成", None, None, "张伟", None, None, None, "2026-12-01 15:00", "要方案", "要方案 月底定"],
    ]
    assert cli("import", "leads", str(write_xlsx(tmp_path / "l.xlsx", rows))).exit_code == 0
    result = cli("export", "leads", "--format", fmt, "out")
    assert result.exit_code == 0, result.output
    before = cli("leads", "list", "--json", "--now", NOW.isoformat()).output

    fresh = tmp_path_factory.mktemp("fresh")
    env = {"SALESBOT_DATABASE_URL": f"sqlite:///{fresh / 'fresh.db'}"}
    runner = CliRunner()
    for who, name in (("wecom:zhangwei", "张伟"), ("wecom:lisi", "李四")):
        runner.invoke(main, ["users", "add", who, "--name", name], env=env)
    imported = runner.invoke(main, ["import", "leads", str(tmp_path / f"out.{fmt}")], env=env)
    assert imported.output.splitlines()[-1] == "imported: 3 created, 0 merged, 0 skipped, 0 errors"
    after = runner.invoke(main, ["leads", "list", "--json", "--now", NOW.isoformat()], env=env).output

    def shown(listing: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in lead.items() if k not in ("id", "created_at")} for lead in json.loads(listing)]

    assert shown(after) == shown(before)


def test_export_activities_for_one_team(cli: Callable[..., Result], tmp_path: Path) -> None:
    cli("import", "leads", str(write_xlsx(tmp_path / "l.xlsx", [ROW])))
    assert cli("export", "activities", "--format", "xlsx", "--team", "华东", "a.xlsx").exit_code == 0
    [row] = sheets(tmp_path / "a.xlsx")["跟进记录"]
    assert row[:6] == [
        "杭州华力机械有限公司",
        "13912345678",
        "wecom:zhangwei",
        "2026-11-03",
        "嫌贵 要样机",
        "价格敏感、需要样机",
    ]


def test_with_no_stage_column_a_note_moves_the_lead_as_a_rep_note_would(reps: Runtime, tmp_path: Path) -> None:
    rows = [
        ["温州大成", None, None, "张伟", None, None, None, None, None, "客户说定了别家 不做了"],
        ["宁波永盛贸易", None, None, "张伟", None, None, None, None, "要报价", None],
        ["苏州美固", None, None, "张伟", "初访", None, None, None, "要报价", None],
    ]
    import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", rows), now=NOW)
    assert [lead.stage for lead in leads(reps)] == ["lost", "proposal", "contacted"]  # the column, where given


def test_an_import_is_not_the_weeks_work_on_the_leaderboard(reps: Runtime, tmp_path: Path) -> None:
    rows = [[f"客户{i}", None, None, "张伟", None, None, None, None, None, "电话沟通 要报价"] for i in range(5)]
    import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", rows), now=NOW)
    with reps.transaction() as s:
        team = s.scalar(select(Team))
        start = week_start(NOW, TZ)
        assert team is not None
        week = leaderboard(s, team, start, start + timedelta(days=7), TZ, reps.rules, default_calendar())
    [zhangwei] = [r for r in week if r.rep.name == "张伟"]
    assert (zhangwei.activities, zhangwei.new_leads) == (0, 0)


def test_sheet_picks_the_sheet_to_read_and_an_unknown_one_is_named(cli: Callable[..., Result], tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["说明：本表第二页是客户"])
    second = book.create_sheet("客户")
    second.append(HEADERS)
    second.append(ROW)
    book.save(tmp_path / "l.xlsx")
    result = cli("import", "leads", "l.xlsx", "--sheet", "客户")
    assert result.output.splitlines()[-1] == "imported: 1 created, 0 merged, 0 skipped, 0 errors"
    result = cli("import", "leads", "l.xlsx", "--sheet", "线索")
    assert result.exit_code == 1
    assert "l.xlsx has no sheet '线索'; its sheets: Sheet, 客户" in result.output


def test_a_file_without_a_header_row_is_refused(cli: Callable[..., Result], reps: Runtime, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [["杭州华力", "王总"]] * 12, "utf-8", headers=["甲", "乙"])
    result = cli("import", "leads", str(path))
    assert result.exit_code == 1
    assert "no header row in the first 10 rows" in result.output
    assert count(reps, Lead) == 0


def test_export_leads_of_one_owner(cli: Callable[..., Result], tmp_path: Path) -> None:
    other = ["宁波永盛贸易", "李经理", None, "李四", None, None, None, None, None, None]
    cli("import", "leads", str(write_xlsx(tmp_path / "l.xlsx", [ROW, other])))
    assert cli("export", "leads", "--owner", "wecom:lisi", "mine.csv").exit_code == 0
    with (tmp_path / "mine.csv").open(encoding="utf-8-sig") as fh:
        header, *rows = list(csv.reader(fh))
    assert header == [
        "客户名称",
        "联系人",
        "手机",
        "负责人",
        "阶段",
        "预计金额（万元）",
        "最近跟进",
        "下次跟进",
        "标签",
        "备注",
    ]
    assert [row[:4] for row in rows] == [["宁波永盛贸易", "李经理", "", "wecom:lisi"]]


def test_a_row_that_may_be_one_of_several_leads_is_created_and_reported_as_a_possible_duplicate(
    cli: Callable[..., Result], reps: Runtime, tmp_path: Path
) -> None:
    rows = [
        [name, None, None, "张伟", None, None, None, None, None, None]
        for name in ("杭州华力机械", "杭州华力电子", "华力")
    ]
    result = cli("import", "leads", str(write_xlsx(tmp_path / "l.xlsx", rows)), "--report", "r.xlsx")
    assert result.output.splitlines()[-1] == "imported: 3 created, 0 merged, 0 skipped, 0 errors"
    assert sheets(tmp_path / "r.xlsx")["可能重复"] == [[4.0, "#3", "华力", "#1、#2"]]


def test_two_rows_merged_into_a_known_lead_with_the_same_follow_up_give_it_one_reminder(
    reps: Runtime, sent: RecordingSender, tmp_path: Path
) -> None:
    Chat(reps, sent).say("今天拜访杭州华力机械 王总 嫌贵")
    again = ["华力机械", None, None, "张伟", None, None, None, "2026-12-10", None, "再约"]
    report = import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", [again, again]), now=NOW + timedelta(hours=1))
    assert (report.created, len(report.merged)) == (0, 2)
    with reps.transaction() as s:
        due = s.scalars(select(Reminder.due_at).where(Reminder.kind == "follow_up")).all()
    assert due == [datetime(2026, 12, 10, 8, 30, tzinfo=TZ)]


def test_a_customer_in_an_earlier_batch_of_the_file_is_found_from_a_later_one(
    reps: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH", 2)  # the later rows are placed after the first ones are written
    other = ["宁波恒通电子", None, None, "张伟", None, None, None, None, None, None]
    later = ["华力机械", None, "13800001111", "张伟", None, None, None, None, None, "已寄样机"]
    report = import_ledger(reps, write_xlsx(tmp_path / "l.xlsx", [ROW, other, other, later]), now=NOW)
    first, second = leads(reps)
    assert (report.created, [(row, lead) for row, lead, _, _ in report.merged]) == (2, [(4, second.id), (5, first.id)])


def test_a_lead_renamed_since_the_last_import_is_found_by_its_new_name(reps: Runtime, tmp_path: Path) -> None:
    import_ledger(reps, write_xlsx(tmp_path / "first.xlsx", [ROW]), now=NOW)
    with reps.transaction() as s:
        lead = s.scalars(select(Lead)).one()
        lead.company, lead.company_key = "宁波恒通电子有限公司", company_key("宁波恒通电子有限公司")
    row = ["恒通电子", "刘工", None, "张伟", None, None, None, None, None, None]
    report = import_ledger(reps, write_xlsx(tmp_path / "second.xlsx", [row]), now=NOW)
    assert (report.created, [lead for _, lead, _, _ in report.merged]) == (0, [lead.id])
