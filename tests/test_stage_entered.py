"""`leads.stage_entered_at` (the pipeline's age in stage) follows every path that changes a lead's stage: a new
lead, a note, its undo, a correction, an outcome, a merge and its undo, an imported ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ledger.importing import import_ledger
from bot.runtime import Runtime
from storage.leads import add_assigned_lead
from storage.models import Lead
from storage.people import add_user, find_user
from tests.conftest import Chat, RecordingSender
from tests.test_import import ROW, write_xlsx

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday
NOTE = "今天拜访杭州华力机械王总 嫌贵 下周三再约"  # a visit: the new lead goes to 初访
QUOTE = "给杭州华力机械发了报价单"  # 方案/报价
LATER = NOW + timedelta(minutes=5)


def entered(rt: Runtime) -> list[tuple[int, str, datetime]]:
    """(id, stage, stage_entered_at) of every lead."""
    with rt.transaction() as s:
        return [tuple(r) for r in s.execute(select(Lead.id, Lead.stage, Lead.stage_entered_at).order_by(Lead.id))]


def logged(rt: Runtime, sent: RecordingSender) -> Chat:
    chat = Chat(rt, sent)
    chat.say(NOTE)
    return chat


def rep(rt: Runtime) -> None:
    """张伟 (wecom:zhangwei), who says the notes and owns the ledger's rows."""
    with rt.transaction() as s:
        add_user(s, "wecom:zhangwei", name="张伟", role="rep", team=None, now=NOW)


def add_lead(rt: Runtime, company: str, phone: str | None, at: datetime) -> None:
    with rt.transaction() as s:
        owner = find_user(s, "wecom:zhangwei")
        assert owner is not None
        add_assigned_lead(s, owner, company=company, contact_name=None, phone=phone, now=at, rules=rt.rules)


def test_a_lead_added_for_a_rep_enters_its_first_stage_as_it_is_created(rt: Runtime) -> None:
    rep(rt)
    add_lead(rt, "上海申通包装", None, NOW)
    assert entered(rt) == [(1, "lead", NOW)]


def test_a_note_that_moves_the_lead_sets_when_it_entered_the_new_stage(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    assert entered(rt) == [(1, "contacted", NOW)]
    chat.say(QUOTE, LATER)
    assert entered(rt) == [(1, "proposal", LATER)]


def test_a_note_that_leaves_the_stage_keeps_when_the_lead_entered_it(rt: Runtime, sent: RecordingSender) -> None:
    logged(rt, sent).say("杭州华力机械 王总说再考虑一下", LATER)
    assert entered(rt) == [(1, "contacted", NOW)]


def test_undoing_the_note_that_moved_the_lead_gives_back_its_entry_into_the_stage_before(
    rt: Runtime, sent: RecordingSender
) -> None:
    chat = logged(rt, sent)
    chat.say(QUOTE, LATER)
    chat.say("撤销", LATER + timedelta(minutes=1))
    assert entered(rt) == [(1, "contacted", NOW)]


def test_undoing_the_first_move_of_an_assigned_lead_goes_back_to_its_creation(
    rt: Runtime, sent: RecordingSender
) -> None:
    rep(rt)
    add_lead(rt, "杭州华力机械", None, NOW - timedelta(days=3))
    chat = Chat(rt, sent)
    chat.say(NOTE)
    assert entered(rt) == [(1, "contacted", NOW)]
    chat.say("撤销", LATER)
    assert entered(rt) == [(1, "lead", NOW - timedelta(days=3))]


def test_a_stage_correction_sets_when_the_lead_entered_the_corrected_stage(rt: Runtime, sent: RecordingSender) -> None:
    logged(rt, sent).say("阶段 报价", LATER)
    assert entered(rt) == [(1, "proposal", LATER)]


def test_won_and_lost_set_when_the_lead_was_closed(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    chat.say("赢单", LATER)
    assert entered(rt) == [(1, "won", LATER)]
    chat.say("拜访苏州恒通自动化李工 要样机", LATER + timedelta(minutes=1))
    chat.say("输单 原因：价格太高了", LATER + timedelta(minutes=2))
    assert entered(rt)[1] == (2, "lost", LATER + timedelta(minutes=2))


def _duplicate_that_got_further(rt: Runtime, sent: RecordingSender) -> Chat:
    """#1 杭州华力机械 in 初访 since NOW; its duplicate #2 华力 (by phone), quoted at LATER."""
    chat = logged(rt, sent)
    add_lead(rt, "华力", "13912345678", NOW)
    chat.say("#2 阶段 报价", LATER)
    assert entered(rt) == [(1, "contacted", NOW), (2, "proposal", LATER)]
    return chat


def test_a_merge_that_takes_the_duplicates_later_stage_takes_when_it_entered_it(
    rt: Runtime, sent: RecordingSender
) -> None:
    _duplicate_that_got_further(rt, sent).say("合并 #2 到 #1", LATER + timedelta(minutes=1))
    assert entered(rt) == [(1, "proposal", LATER)]


def test_undoing_a_merge_gives_both_leads_back_their_own_entry_into_their_stage(
    rt: Runtime, sent: RecordingSender
) -> None:
    chat = _duplicate_that_got_further(rt, sent)
    chat.say("合并 #2 到 #1", LATER + timedelta(minutes=1))
    chat.say("撤销合并", LATER + timedelta(minutes=2))
    assert entered(rt) == [(1, "contacted", NOW), (2, "proposal", LATER)]


def test_imported_leads_enter_the_ledgers_stage_at_the_import(rt: Runtime, tmp_path: Path) -> None:
    rep(rt)
    import_ledger(rt, write_xlsx(tmp_path / "l.xlsx", [ROW]), now=LATER)
    assert entered(rt) == [(1, "proposal", LATER)]


def test_a_ledger_row_that_advances_a_known_lead_sets_when_it_entered_the_stage(
    rt: Runtime, sent: RecordingSender, tmp_path: Path
) -> None:
    rep(rt)
    logged(rt, sent)
    row = ["华力机械", None, None, "张伟", "已报价", None, None, None, None, None]
    import_ledger(rt, write_xlsx(tmp_path / "l.xlsx", [row]), now=LATER)
    assert entered(rt) == [(1, "proposal", LATER)]
