"""The rule layer's tagging (the reader without its model): keywords from config/tags.toml, with negation,
contrast and hypothetical scope. tests/test_nlp_reader.py covers the model on top."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from nlp import parse_note

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def tags(text: str) -> tuple[str, ...]:
    return parse_note(text, NOW, model=None).tags


def test_negated_sample_request_is_not_needs_sample() -> None:
    assert "needs_sample" not in tags("客户不需要样机")


def test_sample_cancelled_after_the_keyword_is_not_needs_sample() -> None:
    assert "needs_sample" not in tags("样品就不用寄了")


def test_no_objection_to_price_is_not_price_sensitive() -> None:
    assert tags("价格方面没意见") == ()


def test_competitor_not_mentioned_is_not_competitor() -> None:
    assert tags("没提到其他供应商") == ()


def test_feared_loss_that_turned_into_a_win_is_not_lost() -> None:
    assert tags("本以为要黄了，结果还是定了我们") == ()


def test_lower_competitor_quote_is_competitor_and_price_sensitive() -> None:
    assert tags("对手报价低了三万") == ("price_sensitive", "competitor")


def test_our_lower_price_is_not_price_sensitive() -> None:
    assert "price_sensitive" not in tags("我们比对手便宜两万")


def test_hedges_are_hesitant() -> None:
    for hedge in ("再考虑", "看情况", "可能", "尽量", "争取", "回头再说"):
        assert tags(f"客户说{hedge}") == ("hesitant",), hedge


def test_system_to_integrate_with_is_not_competitor() -> None:
    assert "competitor" not in tags("他们要对接金蝶ERP和钉钉")


def test_double_negation_keeps_the_tag() -> None:
    assert "needs_sample" in tags("王总没说不要样机")


def test_negation_reaches_only_the_first_keyword_after_it() -> None:
    assert tags("不需要方案 只要一个报价") == ("wants_quote",)


def test_negation_character_inside_an_industry_term_negates_nothing() -> None:
    assert tags("不锈钢样品要两根") == ("needs_sample",)


def test_question_form_is_not_negation() -> None:
    assert tags("价格能不能再让一点") == ("price_sensitive",)


def test_keyword_inside_the_company_name_does_not_tag() -> None:
    assert "decision_maker" not in tags("杭州老板电器的田经理要报价")


def test_longer_keyword_of_another_tag_wins() -> None:
    assert tags("下周三去催款") == ("payment_terms",)


def test_urgency_denied_is_not_urgent() -> None:
    assert "urgent" not in tags("客户说不着急")


def test_risk_words_are_the_words_behind_risk_tags_in_text_order() -> None:
    note = parse_note("嫌贵 要样机 还在跟另外两家比价 可能下个月再说", NOW)
    assert note.risk_words == ("嫌贵", "比价", "可能", "再说")


def test_tags_come_in_taxonomy_order() -> None:
    assert tags("要报价 嫌贵 老板在") == ("price_sensitive", "wants_quote", "decision_maker")


@pytest.mark.parametrize("text", ["瑞丰包装的设备下周一进场", "恒达冷链的两台车礼拜三送过去", "华源精密的系统月底上线"])
def test_a_delivery_or_installation_day_set_is_delivery_concern(text: str) -> None:
    assert "delivery_concern" in tags(text)
