"""A ledger's headers and cells, read as people write them (nlp.sheet: no database)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from config.rules import default_rules
from nlp.sheet import (
    CellError,
    Field,
    Names,
    Problem,
    match_headers,
    read_amount,
    read_date,
    read_phone,
    read_row,
    read_stage,
    read_tags,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)


def test_messy_headers_are_matched_by_their_synonyms_and_the_rest_are_listed() -> None:
    columns = match_headers(
        [
            "客户名称（必填）",
            "联系人姓名",
            "联系人电话",
            "业务员",
            "跟进阶段",
            "预计金额(万元)",
            "最后联系时间",
            "下次跟进",
            "客户标签",
            "跟进记录",
            "客户来源",
            "",
            "备注",
        ]
    )
    assert columns.by_field == {
        Field.COMPANY: (0,),
        Field.CONTACT: (1,),
        Field.PHONE: (2,),
        Field.OWNER: (3,),
        Field.STAGE: (4,),
        Field.AMOUNT: (5,),
        Field.LAST_CONTACT: (6,),
        Field.NEXT_FOLLOW_UP: (7,),
        Field.TAGS: (8,),
        Field.NOTE: (9, 12),
    }
    assert columns.unknown == ("客户来源",)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (46329, datetime(2026, 11, 3, tzinfo=TZ)),  # an Excel serial
        (46329.5, datetime(2026, 11, 3, 12, tzinfo=TZ)),
        (46329.604166666664, datetime(2026, 11, 3, 14, 30, tzinfo=TZ)),  # a float a hair under 14:30
        ("46329", datetime(2026, 11, 3, tzinfo=TZ)),
        ("2026/11/3", datetime(2026, 11, 3, tzinfo=TZ)),
        ("2026-11-03", datetime(2026, 11, 3, tzinfo=TZ)),
        ("2026.11.3", datetime(2026, 11, 3, tzinfo=TZ)),
        ("2026年11月3日", datetime(2026, 11, 3, tzinfo=TZ)),
        ("2026-11-03 14:30", datetime(2026, 11, 3, 14, 30, tzinfo=TZ)),
        ("20261103", datetime(2026, 11, 3, tzinfo=TZ)),
        ("11月3日", datetime(2026, 11, 3, tzinfo=TZ)),
        ("12月20日", datetime(2025, 12, 20, tzinfo=TZ)),  # a contact is never after the import
        (datetime(2026, 11, 3, 9, 15), datetime(2026, 11, 3, 9, 15, tzinfo=TZ)),
        (date(2026, 11, 3), datetime(2026, 11, 3, tzinfo=TZ)),
    ],
)
def test_last_contact_dates_in_the_forms_people_type(cell: object, expected: datetime) -> None:
    when = read_date(cell, NOW, past=True)
    assert when is not None and when.at == expected


def test_a_follow_up_without_a_year_is_the_nearest_one() -> None:
    when = read_date("12月20日", NOW, past=False)
    assert when is not None and (when.at.date(), when.has_time) == (date(2026, 12, 20), False)


@pytest.mark.parametrize("cell", ["昨天", "2026-02-30", "13:00", 12, "下周"])
def test_a_cell_that_is_no_date_is_refused(cell: object) -> None:
    with pytest.raises(CellError) as refused:
        read_date(cell, NOW, past=True)
    assert refused.value.problem is Problem.BAD_DATE


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        (13912345678.0, "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("13912345678 / 13800001111", "13912345678"),
        ("0571-88886666", "0571-88886666"),
        ("(010)66668888", "010-66668888"),
        ("", None),
    ],
)
def test_phones_are_normalised(cell: object, expected: str | None) -> None:
    assert read_phone(cell) == expected


def test_a_phone_that_is_no_number_is_refused() -> None:
    with pytest.raises(CellError):
        read_phone("12345")


@pytest.mark.parametrize(
    ("cell", "yuan", "expected"),
    [
        (12.5, False, 125_000),
        ("12.5", False, 125_000),
        ("12.5万", False, 125_000),
        ("八万", False, 80_000),
        ("125,000元", False, 125_000),
        ("3万元", False, 30_000),
        (125000, True, 125_000),
        (None, False, None),
    ],
)
def test_amounts_are_in_wan_unless_the_cell_or_column_says_otherwise(cell: object, yuan: bool, expected: int) -> None:
    assert read_amount(cell, yuan=yuan) == expected


def test_tags_are_named_by_label_or_id_and_unknown_words_are_kept_apart() -> None:
    assert read_tags("价格敏感、needs_sample，老客户", Names.of(default_rules())) == (
        ("price_sensitive", "needs_sample"),
        ("老客户",),
    )


def test_a_row_without_company_or_phone_is_flawed() -> None:
    columns = match_headers(["客户名称", "手机", "负责人"])
    row = read_row(2, [None, None, "张伟"], columns, NOW, Names.of(default_rules()))
    assert [f.problem for f in row.flaws] == [Problem.NO_NAME]


@pytest.mark.parametrize(
    ("cell", "stage"),
    [("已报价", "proposal"), ("成交", "won"), (" 谈判 ", "negotiation"), ("WON", "won"), ("方案/报价", "proposal")],
)
def test_stages_are_named_by_id_label_or_synonym(cell: str, stage: str) -> None:
    assert read_stage(cell, Names.of(default_rules())) == stage


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(CellError) as refused:
        read_stage("搁置", Names.of(default_rules()))
    assert refused.value.problem is Problem.BAD_STAGE
