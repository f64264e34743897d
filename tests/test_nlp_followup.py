"""Follow-up times relative to the note's `now` (Wednesday 2026-11-25 10:00 in Shanghai unless said)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from nlp import parse_note

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("phrase", "expected", "has_time"),
    [
        ("明天下午三点", at(2026, 11, 26, 15, 0), True),
        ("下周三", at(2026, 12, 2, 10, 0), False),
        ("后天上午", at(2026, 11, 27, 9, 0), True),
        ("3天后", at(2026, 11, 28, 10, 0), False),
        ("48小时内", at(2026, 11, 27, 10, 0), True),
        ("月底前", at(2026, 11, 30, 10, 0), False),
        ("周五之前", at(2026, 11, 27, 10, 0), False),
        ("下下周二", at(2026, 12, 8, 10, 0), False),
        ("今晚8点", at(2026, 11, 25, 20, 0), True),
        ("过两天", at(2026, 11, 27, 10, 0), False),
        ("下月15号", at(2026, 12, 15, 10, 0), False),
        ("1月5号", at(2027, 1, 5, 10, 0), False),
        ("明早9点半", at(2026, 11, 26, 9, 30), True),
    ],
)
def test_follow_up_phrase_resolves_against_now(phrase: str, expected: datetime, has_time: bool) -> None:
    note = parse_note(f"{phrase}再联系", NOW)
    assert (note.follow_up_at, note.follow_up_has_time) == (expected, has_time)


def test_next_week_crosses_the_year_boundary() -> None:
    note = parse_note("下周三再约", at(2026, 12, 30, 16, 0))
    assert note.follow_up_at == at(2027, 1, 6, 10, 0)


def test_weeks_start_on_monday() -> None:
    sunday = at(2026, 11, 29, 10, 0)
    assert parse_note("下周一再约", sunday).follow_up_at == at(2026, 11, 30, 10, 0)


def test_rescheduled_date_wins() -> None:
    note = parse_note("原定周四拜访，改到下周二上午十点", NOW)
    assert note.follow_up_at == at(2026, 12, 1, 10, 0)


def test_delivery_deadline_is_not_a_follow_up() -> None:
    assert parse_note("周五之前必须交货", NOW).follow_up_at is None


def test_a_date_whose_clause_says_what_happens_then_is_not_a_follow_up() -> None:
    assert parse_note("他说十二月一号他们那个新院区开业", NOW).follow_up_at is None
    assert parse_note("两台设备12月10号从乌鲁木齐仓库发货", NOW).follow_up_at is None


def test_a_follow_up_word_before_the_event_keeps_the_date() -> None:
    assert parse_note("周五过去看他们新院区开业的准备", NOW).follow_up_at == at(2026, 11, 27, 10, 0)


def test_tender_date_is_skipped_for_the_follow_up() -> None:
    note = parse_note("下周四开标 明天下午跟段工确认参数", NOW)
    assert note.follow_up_at == at(2026, 11, 26, 14, 0)


def test_vague_span_gives_no_date_and_asks() -> None:
    note = parse_note("下周找时间再去拜访", NOW)
    assert (note.follow_up_at, note.follow_up_vague) == (None, True)


def test_today_without_a_time_is_the_activity_not_the_follow_up() -> None:
    assert parse_note("今天拜访了王总", NOW).follow_up_at is None


def test_clock_time_later_in_the_clause_attaches_to_the_date() -> None:
    note = parse_note("明天要去客户那边演示嗯两点钟", NOW)
    assert note.follow_up_at == at(2026, 11, 26, 14, 0)


def test_bare_clock_time_already_past_today_means_tomorrow() -> None:
    assert parse_note("下午三点再打", at(2026, 11, 25, 16, 0)).follow_up_at == at(2026, 11, 26, 15, 0)


def test_default_hour_comes_from_config() -> None:
    from nlp.lexicon import default_lexicon

    assert parse_note("下周三再约", NOW).follow_up_at.hour == default_lexicon().default_hour


def test_a_part_of_the_day_alone_is_later_today() -> None:
    note = parse_note("报价单下午发他邮箱", NOW)
    assert (note.follow_up_at, note.follow_up_has_time) == (at(2026, 11, 25, 14, 0), True)


def test_a_part_of_the_day_that_says_when_a_visit_was_is_no_follow_up() -> None:
    note = parse_note("今天跑了两家：上午恒通李工要报价，下午瑞丰包装周总说太贵了", NOW)
    assert note.parts[1].follow_up_at is None


def test_a_part_of_the_day_already_past_is_no_follow_up() -> None:
    assert parse_note("上午跟王总聊了", at(2026, 11, 25, 16, 0)).follow_up_at is None


def test_a_day_said_again_with_a_time_takes_the_time() -> None:
    assert parse_note("周四 不对 周四上午再过去", NOW).follow_up_at == at(2026, 11, 26, 9, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("李工说明天 不对 后天上午过来看样机", at(2026, 11, 27, 9, 0)),
        ("下周二 说错了 应该是下周三 再去一趟", at(2026, 12, 2, 10, 0)),
    ],
)
def test_a_day_the_rep_takes_back_gives_way_to_the_corrected_one(text: str, expected: datetime) -> None:
    assert parse_note(text, NOW).follow_up_at == expected


def test_a_part_of_the_day_alone_is_today_when_every_day_named_is_a_deadline() -> None:
    note = parse_note("他们要求下个月五号前到货 我下午给他发报价", NOW)
    assert (note.follow_up_at, note.follow_up_has_time) == (at(2026, 11, 25, 14, 0), True)


def test_a_power_on_date_is_not_the_follow_up() -> None:
    assert parse_note("机房十二月底要送电 明天上午跟厂里确认再回他", NOW).follow_up_at == at(2026, 11, 26, 9, 0)


def test_cantonese_tomorrow_afternoon_is_read() -> None:
    assert parse_note("听日下昼再打", NOW).follow_up_at == at(2026, 11, 26, 14, 0)


def test_first_thing_tomorrow_is_nine() -> None:
    assert parse_note("明天一早就过去", NOW).follow_up_at == at(2026, 11, 26, 9, 0)


def test_a_size_is_not_a_day_of_the_month() -> None:
    assert parse_note("要个小一号的方案", NOW).follow_up_at is None


def test_a_payment_or_production_deadline_is_no_follow_up() -> None:
    assert parse_note("尾款说月底前结清", NOW).follow_up_at is None
    assert parse_note("新线一月五号必须投产", NOW).follow_up_at is None


def test_a_weekday_already_past_with_a_done_action_is_no_follow_up() -> None:
    assert parse_note("周一和恩施州中心医院开了视频会", NOW).follow_up_at is None
    assert parse_note("周一再和恩施州中心医院开会", NOW).follow_up_at == at(2026, 11, 30, 10, 0)


def test_a_numbered_shop_or_room_is_not_a_day() -> None:
    assert parse_note("1号店要年付改季付", NOW).follow_up_at is None
    assert parse_note("装在了超声科三号诊室", NOW).follow_up_at is None


def test_a_customers_go_live_or_trial_end_is_no_follow_up() -> None:
    assert parse_note("测试期到12月20号", NOW).follow_up_at is None
    assert parse_note("系统1月15号前必须部署完", NOW).follow_up_at is None


@pytest.mark.parametrize(
    "text",
    ["注塑机最晚15号要到", "下周一前一定要到厂 冇货就停线", "线上的治具坏了 明天就要", "年底经费必须12月20号前花完"],
)
def test_the_date_a_customer_needs_the_goods_by_is_no_follow_up(text: str) -> None:
    assert parse_note(text, NOW).follow_up_at is None
