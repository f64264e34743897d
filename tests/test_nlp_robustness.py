"""parse_note never raises on hostile input, and cuts overlong notes at the documented limit."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp import ParsedNote, parse_note
from nlp.lexicon import default_lexicon

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SALES_WORDS = ["王总", "样机", "不需要", "下周三", "明天下午三点", "预算", "65万", "13912345678", "机械", "的", " "]

hostile_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.text(alphabet="0123456789０１２３４５６７８９ -+"),
    st.text(alphabet="零一二两三四五六七八九十百千万亿幺点半号周天月底前后内"),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)),
    st.lists(st.sampled_from(SALES_WORDS)).map("".join),
    st.from_regex(r"<[a-z]{1,5}>[^<]{0,20}</[a-z]{1,5}>"),
)


@settings(max_examples=300, deadline=None)
@given(hostile_text)
def test_any_text_parses_to_a_note_with_valid_fields(text: str) -> None:
    note = parse_note(text, NOW)
    assert isinstance(note, ParsedNote)
    assert note.phone is None or (len(note.phone) == 11 and note.phone.isdigit())
    assert note.follow_up_at is None or note.follow_up_at.tzinfo is not None
    assert set(note.tags) <= {rule.id for rule in default_lexicon().tags}
    note.to_json()


def test_empty_and_whitespace_notes_read_nothing() -> None:
    for text in ("", "   ", "\n\t　"):
        assert parse_note(text, NOW).to_json() == ParsedNote().to_json()


def test_emoji_and_markup_do_not_hide_the_note() -> None:
    note = parse_note("😊<b>拜访</b>无锡小天鹅电器 王总🎉 要样机", NOW)
    assert (note.activity_type, note.contact_name, note.tags) == ("visit", "王总", ("needs_sample",))


def test_ten_thousand_character_note_is_truncated_at_the_limit() -> None:
    limit = default_lexicon().max_chars
    note = parse_note("嫌贵" + "哈" * 10_000 + "要样机", NOW)
    assert note.truncated is True
    assert note.tags == ("price_sensitive",)
    assert parse_note("嫌贵" + "哈" * (limit - 2), NOW).truncated is False
