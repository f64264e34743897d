"""Corrections in chat: on the rep's last note or on a named lead, each one stored, and exported for the reader."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.correction_examples import correction_records
from bot.runtime import Runtime
from nlp.model import ReaderModel
from nlp.training import examples_from_record, read_records
from storage.models import Activity, Correction, Lead, Reminder, StageChange
from storage.states import CorrectionField, ReminderStatus
from tests.conftest import Chat, RecordingSender

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday
NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"
LATER = NOW + timedelta(minutes=20)


def logged(rt: Runtime, sent: RecordingSender, note: str = NOTE) -> Chat:
    chat = Chat(rt, sent)
    chat.say(note)
    return chat


def tags_of(rt: Runtime, activity_id: int = 1) -> list[str]:
    with rt.transaction() as s:
        activity = s.get(Activity, activity_id)
        assert activity is not None
        return [t.id for t in activity.tags]


def lead(rt: Runtime, lead_id: int = 1) -> Lead:
    with rt.transaction() as s:
        found = s.get(Lead, lead_id)
        assert found is not None
        s.expunge(found)
        return found


def corrections(rt: Runtime) -> list[tuple]:
    with rt.transaction() as s:
        rows = s.scalars(select(Correction).order_by(Correction.id))
        return [(c.actor_id, c.lead_id, c.activity_id, c.field, c.before, c.after) for c in rows]


def test_removing_a_tag_takes_it_off_the_last_note_and_keeps_the_correction(rt: Runtime, sent: RecordingSender) -> None:
    reply = logged(rt, sent).say("去掉 价格敏感", LATER)
    assert reply == "已去掉「价格敏感」标签（杭州华力机械）。"
    assert tags_of(rt) == ["needs_sample"]
    assert corrections(rt) == [(1, 1, 1, CorrectionField.TAGS, "needs_sample,price_sensitive", "needs_sample")]


def test_adding_a_tag_by_its_label_puts_it_on_the_last_note(rt: Runtime, sent: RecordingSender) -> None:
    assert logged(rt, sent).say("加 竞品对比", LATER) == "已加上「竞品对比」标签（杭州华力机械）。"
    assert sorted(tags_of(rt)) == ["competitor", "needs_sample", "price_sensitive"]


def test_a_tag_named_by_part_of_one_label_is_that_tag(rt: Runtime, sent: RecordingSender) -> None:
    assert logged(rt, sent).say("加 竞品", LATER) == "已加上「竞品对比」标签（杭州华力机械）。"


def test_an_unknown_tag_is_answered_with_the_tags_there_are(rt: Runtime, sent: RecordingSender) -> None:
    reply = logged(rt, sent).say("加 大客户", LATER)
    assert reply.startswith("没有「大客户」这个标签。可用的标签：价格敏感、需要样机、竞品对比")
    assert corrections(rt) == []


def test_a_note_that_reads_like_adding_a_tag_is_logged_as_a_note(rt: Runtime, sent: RecordingSender) -> None:
    reply = logged(rt, sent).say("加微信 杭州华力机械王总说下周再聊", LATER)
    assert reply.startswith("【已记录：杭州华力机械】")


def test_a_tag_the_note_lacks_is_said_to_be_absent(rt: Runtime, sent: RecordingSender) -> None:
    assert logged(rt, sent).say("去掉 竞品对比", LATER) == "「杭州华力机械」的记录里本来就没有「竞品对比」标签。"
    assert corrections(rt) == []


def test_a_lead_named_by_number_has_its_stage_set_through_a_stage_change(rt: Runtime, sent: RecordingSender) -> None:
    assert logged(rt, sent).say("#1 阶段 报价", LATER) == "阶段已改为「方案/报价」（杭州华力机械）。"
    assert lead(rt).stage == "proposal"
    with rt.transaction() as s:
        assert s.scalars(select(StageChange.to_stage).order_by(StageChange.id)).all() == ["contacted", "proposal"]
    assert corrections(rt) == [(1, 1, None, CorrectionField.STAGE, "contacted", "proposal")]


def test_an_unknown_stage_is_answered_with_the_stages_there_are(rt: Runtime, sent: RecordingSender) -> None:
    reply = logged(rt, sent).say("阶段 搁置", LATER)
    assert reply == "没有「搁置」这个阶段。可用的阶段：线索、初访、需求确认、方案/报价、谈判、成交、丢单。"


def test_a_lead_named_by_part_of_its_company_is_corrected_on_every_note(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    chat.say("电话华力机械王总 13912345678 还是嫌贵", NOW + timedelta(hours=1))
    chat.say("拜访苏州恒通自动化李工 要样机", NOW + timedelta(hours=2))
    assert chat.say("华力 去掉 价格敏感", NOW + timedelta(hours=3)) == "已去掉「价格敏感」标签（杭州华力机械）。"
    assert (tags_of(rt, 1), tags_of(rt, 2)) == (["needs_sample"], [])
    assert [c[2] for c in corrections(rt)] == [1, 2]


def test_a_name_that_fits_two_leads_asks_which_one_and_a_tap_corrects_it(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    chat.say("拜访华力电子赵总 13811112222 要样机", NOW + timedelta(hours=1))
    reply = chat.say("华力 联系人 王建国", NOW + timedelta(hours=2))
    assert reply.splitlines() == [
        "【哪一家？】",
        "「华力」对应你的好几个客户，请点一下要改的那家，或回复带编号的指令，如「#1 联系人 王建国」。",
        "[#1 杭州华力机械 王总]  [#2 华力电子 赵总]",
    ]
    assert corrections(rt) == []
    [button] = [b for b in sent.sent[-1][1].buttons if b.value["lead_id"] == 2]
    assert chat.click(button.action, button.value) == "联系人已改为王建国（华力电子）。"
    assert (lead(rt, 1).contact_name, lead(rt, 2).contact_name) == ("王总", "王建国")


def test_a_name_that_fits_none_of_the_reps_leads_says_so(rt: Runtime, sent: RecordingSender) -> None:
    reply = logged(rt, sent).say("恒通 阶段 报价", LATER)
    assert reply == "你的客户里没有「恒通」。发「我的线索」看看编号，再写「#编号 …」更正。"


def test_the_company_is_renamed_and_matched_by_its_new_name(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    assert chat.say("公司是 杭州华利机械", LATER) == "公司名已改为「杭州华利机械」（线索 #1）。"
    assert (lead(rt).company, lead(rt).company_key) == ("杭州华利机械", "杭州华利机械")
    assert "已有线索 #1" in chat.say("拜访杭州华利机械 送样机", LATER + timedelta(hours=1))


def test_a_company_another_lead_has_is_refused_naming_that_lead(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    chat.say("拜访苏州恒通自动化李工 要样机", LATER)
    assert chat.say("公司是 杭州华力机械", LATER) == (
        "这个公司名已在你的线索 #1（杭州华力机械）上，没有改。如果是同一家，回复「合并 #2 到 #1」。"
    )
    assert lead(rt, 2).company == "苏州恒通自动化"


def test_the_contact_is_set_on_the_last_notes_lead(rt: Runtime, sent: RecordingSender) -> None:
    assert logged(rt, sent).say("联系人 王建国", LATER) == "联系人已改为王建国（杭州华力机械）。"
    assert lead(rt).contact_name == "王建国"
    assert corrections(rt) == [(1, 1, 1, CorrectionField.CONTACT, "王总", "王建国")]


def test_a_phone_written_with_spaces_is_kept_as_eleven_digits(rt: Runtime, sent: RecordingSender) -> None:
    assert logged(rt, sent).say("电话 139 1234 5679", LATER) == "电话已改为13912345679（杭州华力机械）。"
    assert lead(rt).phone == "13912345679"


def test_a_phone_that_is_no_mobile_number_is_refused(rt: Runtime, sent: RecordingSender) -> None:
    reply = logged(rt, sent).say("电话 1391234", LATER)
    assert reply == "这个手机号不对，请发11位手机号，如「电话 13912345678」。"
    assert lead(rt).phone == "13912345678"


def test_a_phone_another_lead_has_is_refused_naming_that_lead(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    chat.say("拜访苏州恒通自动化李工 13800001111 要样机", LATER)
    assert chat.say("电话 13912345678", LATER) == (
        "这个电话已在你的线索 #1（杭州华力机械）上，没有改。如果是同一家，回复「合并 #2 到 #1」。"
    )
    assert lead(rt, 2).phone == "13800001111"


def test_the_next_follow_up_moves_and_its_reminder_with_it(rt: Runtime, sent: RecordingSender) -> None:
    reply = logged(rt, sent).say("下次跟进 周五下午3点", LATER)
    assert reply == "好的，下次跟进改到后天 11月27日（周五） 15:00，到时提醒你（杭州华力机械）。"
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=TZ)
    assert lead(rt).next_follow_up_at == friday
    with rt.transaction() as s:
        rows = s.execute(select(Reminder.due_at, Reminder.status).where(Reminder.kind == "follow_up")).all()
    assert rows == [(friday, ReminderStatus.PENDING)]


def test_a_correction_without_a_note_today_asks_for_the_lead(rt: Runtime, sent: RecordingSender) -> None:
    chat = logged(rt, sent)
    reply = chat.say("去掉 价格敏感", NOW + timedelta(days=1))
    assert reply == "今天还没有可更正的记录。要改某个客户，请在前面写上编号或名称，如「#3 阶段 报价」。"
    assert tags_of(rt) == ["needs_sample", "price_sensitive"]


def test_corrected_notes_are_exported_as_labelled_notes_the_trainer_reads(
    rt: Runtime, sent: RecordingSender, tmp_path: Path
) -> None:
    chat = logged(rt, sent)
    chat.say("去掉 价格敏感", LATER)
    chat.say("联系人 王建国", LATER)
    chat.say("拜访苏州恒通自动化李工 要样机", LATER)  # not corrected: not exported
    with rt.transaction() as s:
        [record] = correction_records(s, tz=TZ, rules=rt.rules)
    assert record == {
        "text": NOTE,
        "now": "2026-11-25T10:00:00+08:00",
        "tags": ["needs_sample"],
        "activity_type": "visit",
        "company": "杭州华力机械",
        "contact_name": "王建国",
        "phone": "13912345678",
        "corrected": ["contact", "tags"],
    }
    path = tmp_path / "corrections.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    [example] = examples_from_record(read_records(path)[0])
    assert (example.tags, example.activity) == (frozenset({"needs_sample"}), "visit")


def corrected_in_chat(tmp_path: Path, monkeypatch):
    """A deployment in `tmp_path` where a rep logged NOTE and removed a tag; returns a CLI runner for it."""
    monkeypatch.chdir(tmp_path)
    env = {"SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SALESBOT_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str, stdin: str = ""):
        return CliRunner().invoke(main, list(args), input=stdin, env=env)

    now = "2026-11-25T10:00:00+08:00"
    assert run("chat", "--as", "wecom:zhangwei", "--now", now, stdin=f"{NOTE}\n去掉 价格敏感\n").exit_code == 0
    return run


def test_salesbot_nlp_corrections_prints_what_salesbot_nlp_train_learns(tmp_path: Path, monkeypatch) -> None:
    run = corrected_in_chat(tmp_path, monkeypatch)
    exported = run("nlp", "corrections", "--jsonl")
    assert exported.exit_code == 0, exported.output
    [line] = exported.output.splitlines()
    assert json.loads(line)["tags"] == ["needs_sample"]
    corpus, own = tmp_path / "corpus", tmp_path / "corrections.jsonl"
    corpus.mkdir()
    seed = {"text": "华力机械王总嫌贵", "tags": ["price_sensitive"], "activity_type": "other", "stage_signal": None}
    (corpus / "ours.jsonl").write_text(json.dumps(seed, ensure_ascii=False) + "\n", encoding="utf-8")
    own.write_text(exported.output, encoding="utf-8")
    trained = run("nlp", "train", "--corpus", str(corpus), "--examples", str(own))
    assert trained.exit_code == 0, trained.output
    assert trained.output.startswith("trained on 2 examples")


def test_salesbot_nlp_train_with_corrections_learns_reps_corrections_into_the_deployments_model(
    tmp_path: Path, monkeypatch
) -> None:
    run = corrected_in_chat(tmp_path, monkeypatch)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed = {"text": "华力机械王总嫌贵", "tags": ["price_sensitive"], "activity_type": "other", "stage_signal": None}
    (corpus / "ours.jsonl").write_text(json.dumps(seed, ensure_ascii=False) + "\n", encoding="utf-8")
    trained = run("nlp", "train", "--corpus", str(corpus), "--with-corrections")
    assert trained.exit_code == 0, trained.output
    assert trained.output.startswith("trained on 2 examples")
    saved = ReaderModel.from_file(tmp_path / "data" / "reader_model.json.gz")
    assert saved.sources == {"corpus": 1, "corrections": 1}


def test_the_shipped_model_is_never_trained_on_a_deployments_corrections(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main,
        ["nlp", "train", "--shipped", "--with-corrections"],
        env={"SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
    )
    assert result.exit_code == 2 and "corpus alone" in result.output
