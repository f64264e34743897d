"""Behaviour of parse_note on whole notes: the interface, negation scope, entities and follow-up times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from nlp import ParsedNote, parse_note

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


def parse(text: str, now: datetime = NOW) -> ParsedNote:
    return parse_note(text, now)


def test_visit_note_from_the_design_reads_every_field() -> None:
    note = parse("今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约")
    assert note.tags == ("price_sensitive", "needs_sample")
    assert (note.company, note.contact_name, note.phone) == ("杭州华力机械", "王总", "13912345678")
    assert note.activity_type == "visit"
    assert note.follow_up_at == datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
    assert note.follow_up_has_time is False


def test_call_note_with_clock_time_has_time() -> None:
    note = parse("明天下午三点给杭州华力机械王总打电话 13912345678 要报价")
    assert note.activity_type == "call"
    assert note.tags == ("wants_quote",)
    assert note.follow_up_at == datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
    assert note.follow_up_has_time is True


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_note("明天再约", datetime(2026, 11, 25, 10, 0))


def test_relative_times_are_read_in_the_zone_of_now() -> None:
    new_york = datetime(2026, 11, 25, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    note = parse("明天上午10点电话", new_york)
    assert note.follow_up_at == datetime(2026, 11, 26, 10, 0, tzinfo=timezone(timedelta(hours=-5)))


def test_to_json_matches_the_parse_contract() -> None:
    data = parse("今天拜访杭州华力机械王总 13912345678 嫌贵 预算50万 下周三再约").to_json()
    fields = {
        "tags": ["price_sensitive", "budget_confirmed"],
        "activity_type": "visit",
        "contact_name": "王总",
        "company": "杭州华力机械",
        "phone": "13912345678",
        "amount": 500000,
        "follow_up_at": "2026-12-02T10:00:00+08:00",
        "follow_up_has_time": False,
        "risk_words": ["嫌贵"],
        "stage_signal": None,
    }
    assert data == {**fields, "parts": [fields]}
