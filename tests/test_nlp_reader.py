"""The trained reader on top of the rule layer: where the rules still decide, stage signals, notes about
several customers, and the model file."""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config import DATA_DIR
from nlp import lexicon, parse_note
from nlp.model import SHIPPED, ReaderModel, default_model
from nlp.training import examples_from_record, renamed_examples, synthetic_examples, synthetic_name, train

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def record(text: str, tags: list[str], activity: str = "other", stage: str | None = None) -> dict:
    return {"text": text, "tags": tags, "activity_type": activity, "stage_signal": stage}


def tiny_model(records: list[dict], tags: tuple[str, ...]) -> ReaderModel:
    examples = [ex for r in records for ex in examples_from_record(r)]
    return train(examples, tags, trained_at="2026-12-01T00:00:00+00:00", sources={"corpus": len(examples)})


@pytest.fixture
def sample_happy_model() -> ReaderModel:
    """A model that learned 样机 means needs_sample and knows nothing of negation."""
    notes = [record(f"{name}要样机", ["needs_sample"]) for name in ("华力", "恒通", "东升", "瑞丰", "新锐", "博众")]
    notes += [record(f"{name}嫌贵", ["price_sensitive"]) for name in ("华力", "恒通", "东升", "瑞丰", "新锐", "博众")]
    return tiny_model(notes, ("needs_sample", "price_sensitive"))


def test_explicit_negation_removes_a_tag_the_model_would_set(sample_happy_model) -> None:
    assert sample_happy_model.predict(["c:样机"]).tag_probability["needs_sample"] > 0.5
    assert "needs_sample" not in parse_note("客户说不需要样机", NOW, model=sample_happy_model).tags


def test_a_tag_the_model_was_not_trained_on_is_read_by_the_rules(sample_happy_model) -> None:
    assert "urgent" not in sample_happy_model.tags
    assert "urgent" in parse_note("客户很急 越快越好", NOW, model=sample_happy_model).tags


def test_a_keyword_added_after_training_counts_as_sure(sample_happy_model) -> None:
    forgot = replace(sample_happy_model, keywords={**sample_happy_model.keywords, "price_sensitive": frozenset()})
    assert "price_sensitive" in parse_note("客户嫌贵", NOW, model=forgot).tags


@pytest.fixture
def operator_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config/ as an operator edits it, read by the parser instead of the shipped one."""
    directory = tmp_path / "config"
    shutil.copytree(DATA_DIR, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    yield directory
    monkeypatch.setattr(lexicon.default_lexicon, "built", [])


def use(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexicon.default_lexicon, "built", [lexicon.load_lexicon(directory)])


def test_an_operators_keyword_only_tag_works_without_training(operator_config, monkeypatch) -> None:
    tags = operator_config / "tags.toml"
    tags.write_text(
        tags.read_text(encoding="utf-8") + '\n[[tag]]\nid = "wants_training"\nlabel = "要培训"\nkeywords = ["培训"]\n',
        encoding="utf-8",
    )
    use(operator_config, monkeypatch)
    note = parse_note("华力机械王总说设备到了要安排培训", NOW)
    assert "wants_training" in note.tags
    assert "wants_training" not in parse_note("华力机械王总说不用培训", NOW).tags


def test_an_operators_new_keyword_for_a_trained_tag_works_without_training(operator_config, monkeypatch) -> None:
    note = "华力机械王总说这个数过红线了"
    assert "price_sensitive" not in parse_note(note, NOW).tags
    tags = operator_config / "tags.toml"
    body = tags.read_text(encoding="utf-8")
    keywords = body.index("keywords = [", body.index('id = "price_sensitive"')) + len("keywords = [")
    tags.write_text(body[:keywords] + '"过红线", ' + body[keywords:], encoding="utf-8")
    use(operator_config, monkeypatch)
    assert "price_sensitive" in parse_note(note, NOW).tags


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("签了！华力机械合同额85万", "won"),
        ("恒通那单拿下了", "won"),
        ("瑞丰包装黄了", "lost"),
        ("东升模具定了别家", "lost"),
        ("被截胡了 新锐电子选了对手", "lost"),
        ("华力机械说不考虑了", "lost"),
        ("报价已经发给华力机械王总了", "quote_sent"),
        ("合同发过去了 等他们盖章", "contract"),
        ("本来以为要黄了 结果还是签了", "won"),
        ("华力机械王总嫌贵 要样机", None),
    ],
)
def test_stage_signals_are_read_from_the_note(text: str, signal: str | None) -> None:
    assert parse_note(text, NOW).stage_signal == signal


@pytest.mark.parametrize("text", ["合同还没签 下周再催", "华力机械还没拿下", "没成交 客户说再等等"])
def test_a_deal_not_yet_closed_is_not_won(text: str) -> None:
    assert parse_note(text, NOW).stage_signal != "won"


def test_two_customers_in_one_note_are_two_parts() -> None:
    note = parse_note("今天跑了两家：上午苏州恒通自动化李工要报价，下午无锡瑞丰包装周总说太贵了，周五再打给他", NOW)
    first, second = note.parts
    assert (first.company, first.contact_name, first.tags) == ("苏州恒通自动化", "李工", ("wants_quote",))
    assert (second.company, second.contact_name, second.tags) == ("无锡瑞丰包装", "周总", ("price_sensitive",))
    assert first.follow_up_at is None
    assert second.follow_up_at == datetime(2026, 12, 4, 10, 0, tzinfo=NOW.tzinfo)
    assert (note.company, note.tags) == (first.company, first.tags)


def test_a_day_told_in_order_is_cut_at_each_next_visit() -> None:
    text = "先去的绥化北林丰润合作社 老潘说烘干塔今年不上了 钱不够 然后去了望奎禾丰农业 丁经理要播种机的资料 周五送过去"
    note = parse_note(text, NOW)
    assert [part.company for part in note.parts] == ["绥化北林丰润合作社", "望奎禾丰农业"]
    assert (note.parts[0].follow_up_at, note.parts[1].follow_up_at is not None) == (None, True)


def test_one_customer_named_twice_is_one_part() -> None:
    note = parse_note("杭州华力机械王总嫌贵。华力那边下周三再约", NOW)
    assert len(note.parts) == 1
    assert note.parts[0] == replace(note, parts=())


def test_a_word_that_only_looks_like_a_name_in_a_later_sentence_does_not_cut_the_note() -> None:
    note = parse_note("常州新锐模具吴经理想上两台注塑机，还有几个在无锡的工厂也要换。周五前发方案。", NOW)
    assert [part.company for part in note.parts] == ["常州新锐模具"]
    assert note.tags == ("wants_proposal",)
    assert note.follow_up_at == datetime(2026, 12, 4, 10, 0, tzinfo=NOW.tzinfo)


def test_a_piece_of_sentence_is_not_taken_for_the_company() -> None:
    assert parse_note("演示做完了，孙主任觉得软件界面不如他们现在用的那套顺手", NOW).company is None


def test_model_file_round_trips_to_the_same_bytes(sample_happy_model, tmp_path: Path) -> None:
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    sample_happy_model.to_file(first)
    ReaderModel.from_file(first).to_file(second)
    assert first.read_bytes() == second.read_bytes()


def dated(text: str, now: str, follow_up: str | None) -> dict:
    return {**record(text, []), "now": now, "follow_up_date": follow_up}


@pytest.fixture
def dates_model() -> ReaderModel:
    """A model whose notes say when goods arrive (no follow-up) and when the rep goes (the follow-up)."""
    names = ("华力", "恒通", "东升", "瑞丰", "新锐", "博众")
    notes = [dated(f"{name}的车周四到", "2026-11-23T09:00:00+08:00", None) for name in names]
    notes += [dated(f"周四去{name}", "2026-11-23T09:00:00+08:00", "2026-11-26") for name in names]
    return tiny_model(notes, ("needs_sample",))


def test_the_model_learns_which_dates_are_follow_ups(dates_model) -> None:
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert parse_note("宏达的车周三到", monday, model=dates_model).follow_up_at is None
    assert parse_note("宏达的车周三到", monday, model=None).follow_up_at is not None
    visit = parse_note("周三去宏达", monday, model=dates_model).follow_up_at
    assert visit is not None and visit.date().isoformat() == "2026-12-02"


def test_the_judge_of_dates_round_trips_through_the_model_file(dates_model, tmp_path: Path) -> None:
    path = tmp_path / "reader_model.json.gz"
    dates_model.to_file(path)
    loaded = ReaderModel.from_file(path)
    assert loaded.follow_up is not None and loaded.follow_up.features == dates_model.follow_up.features
    assert parse_note("宏达的车周三到", NOW, model=loaded).follow_up_at is None


def test_a_model_file_from_before_the_judge_of_dates_leaves_dates_to_the_rules(tmp_path: Path) -> None:
    doc = json.loads(gzip.decompress(SHIPPED.read_bytes()))
    doc.pop("follow_up")
    old = tmp_path / "reader_model.json.gz"
    old.write_bytes(gzip.compress(json.dumps(doc).encode()))
    model = ReaderModel.from_file(old)
    assert model.follow_up is None
    assert parse_note("宏达的车周三到", NOW, model=model).follow_up_at is not None


def test_a_damaged_model_file_is_refused_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "reader_model.json.gz"
    broken.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match=r"reader_model\.json\.gz"):
        ReaderModel.from_file(broken)


def test_the_shipped_model_is_in_use_by_default() -> None:
    model = default_model()
    assert model is not None and model.path == SHIPPED
    assert model.follow_up is not None


def test_a_day_summary_with_first_and_second_is_cut_per_customer() -> None:
    note = parse_note("今天见了两个客户 一个是丹阳明视光学 要检测报告 另一个是常熟天润机械 说交期不能超过一个月", NOW)
    assert [part.company for part in note.parts] == ["丹阳明视光学", "常熟天润机械"]
    assert "wants_proposal" in note.parts[0].tags and "delivery_concern" in note.parts[1].tags


@pytest.mark.parametrize(
    ("text", "company"), [("盒马那边又在压价", "盒马"), ("跟招商银行的Ms. Tan过了一遍方案", "招商银行")]
)
def test_a_well_known_name_without_a_suffix_is_the_company(text: str, company: str) -> None:
    assert parse_note(text, NOW).company == company


def test_digits_and_latin_letters_stay_in_the_company_name() -> None:
    assert parse_note("58同城签了！年费42万", NOW).company == "58同城"
    assert parse_note("3M中国想换供应商 现在那家老是断货", NOW).company == "3M中国"


@pytest.mark.parametrize(("text", "contact"), [("今天见了王建国 他说要报价", "王建国"), ("Jason说下周再聊", "Jason")])
def test_a_full_or_english_name_is_the_contact(text: str, contact: str) -> None:
    assert parse_note(text, NOW).contact_name == contact


def test_renamed_copies_teach_the_span_tagger_only_with_the_borrowed_name() -> None:
    records = [
        {**record("那个华力机械的王工要报价", ["wants_quote"]), "company": "华力机械", "contact_name": "王工"},
        {**record("恒通自动化嫌贵", ["price_sensitive"]), "company": "恒通自动化", "contact_name": None},
    ]
    renamed = renamed_examples(records)
    assert [ex.spans_only for ex in renamed] == [True, True]
    features, labels = renamed[0].spans
    company = "".join(f[0][2:] for f, label in zip(features, labels, strict=True) if label.endswith("-CO"))
    assert company == "恒通自动化"
    assert renamed[0].features == () and renamed[0].tags == frozenset()


def test_made_up_names_come_in_the_shapes_reps_write_and_are_the_same_every_time() -> None:
    names = [synthetic_name(seed) for seed in range(64)]
    assert names == [synthetic_name(seed) for seed in range(64)]
    assert any(name.isascii() and name[0].isupper() for name in names)  # a Latin brand (Woody's, Greenbox)
    assert any(name[0].isdigit() for name in names)  # numbered (1927面包房, 88精密)
    assert any(name[-1] in "楼坊轩阁记斋行居堂园馆铺" and not name.isascii() for name in names)  # a shop (湘满楼)


def test_made_up_copies_teach_the_span_tagger_only_with_the_made_up_name() -> None:
    records = [{**record("那个华力机械的王工要报价", ["wants_quote"]), "company": "华力机械", "contact_name": "王工"}]
    [copy] = synthetic_examples(records)
    features, labels = copy.spans
    company = "".join(f[0][2:] for f, label in zip(features, labels, strict=True) if label.endswith("-CO"))
    assert copy.spans_only and company == synthetic_name(0).lower()


def test_an_activity_word_that_opens_the_note_is_its_activity_whatever_else_it_says() -> None:
    assert parse_note("拜访苏州恒通自动化李工 要样机", NOW).activity_type == "visit"


@pytest.mark.parametrize(
    ("text", "companies"),
    [
        (
            "今日小结：1.上杭一中 要P2.5报价，明天发；2.客乡农商行 钟主任说样机先不用了；3.金源酒店 定了别家，黄了",
            ["上杭一中", "客乡农商行", "金源酒店"],
        ),
        (
            "两件事：一、溪口超市 陈老板要12家店的报价；二、南安实验中学 钟老师说更想要拼接屏，还在跟海康的比",
            ["溪口超市", "南安实验中学"],
        ),
    ],
)
def test_each_item_of_a_numbered_list_is_a_customers_part(text: str, companies: list[str]) -> None:
    assert [part.company for part in parse_note(text, NOW).parts] == companies


def test_a_next_customer_after_a_filler_starts_its_own_part() -> None:
    text = "嗯今天两个事啊 一个是会昌中学的钟校长说要出报告厅的方案 呃第二个是会昌农商行的邓主任说要先看看样机"
    assert [part.company for part in parse_note(text, NOW).parts] == ["会昌中学", "会昌农商行"]
