"""Short messages that ask for something rather than report a visit."""

from __future__ import annotations

import pytest

from nlp import parse_note
from nlp.intents import Command, Intent, bare_name, read_command
from tests.conftest import NOW


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("查 华力", Command(Intent.LOOKUP, "华力")),
        ("查一下华力机械", Command(Intent.LOOKUP, "华力机械")),
        ("华力怎么样了", Command(Intent.LOOKUP, "华力")),
        ("华力什么情况？", Command(Intent.LOOKUP, "华力")),
        ("去掉 价格敏感", Command(Intent.REMOVE_TAG, "价格敏感")),
        ("加上需要样机标签", Command(Intent.ADD_TAG, "需要样机")),
        ("公司是 杭州华力机械", Command(Intent.SET_COMPANY, "杭州华力机械")),
        ("联系人 王建国", Command(Intent.SET_CONTACT, "王建国")),
        ("电话 139 1234 5678", Command(Intent.SET_PHONE, "139 1234 5678")),
        ("下次跟进 周五下午3点", Command(Intent.SET_FOLLOW_UP, "周五下午3点")),
        ("阶段 报价", Command(Intent.SET_STAGE, "报价")),
        ("#3 阶段 报价", Command(Intent.SET_STAGE, "报价", target="#3")),
        ("阶段 成交", Command(Intent.SET_STAGE, "成交")),
        ("华力 去掉 价格敏感", Command(Intent.REMOVE_TAG, "价格敏感", target="华力")),
        ("赢单", Command(Intent.WON)),
        ("华力赢单了", Command(Intent.WON, target="华力")),
        ("输单 原因：选了别家", Command(Intent.LOST, "选了别家")),
        ("合并 #5 到 #2", Command(Intent.MERGE, lead_ids=(5, 2))),
        ("2", Command(Intent.CHOOSE, "2")),
        ("第二个", Command(Intent.CHOOSE, "2")),
        ("新的", Command(Intent.CHOOSE, "new")),
    ],
)
def test_a_command_is_read_with_its_value_and_target(text, command):
    assert read_command(text) == command


@pytest.mark.parametrize(
    "text",
    [
        "今天加了微信",
        "客户说价格太高了",
        "公司有点远",
        "电话没人接",
        "加了王总微信 下周再约",
        "拜访杭州华力机械王总 嫌贵",
    ],
)
def test_a_note_that_starts_like_a_command_stays_a_note(text):
    assert read_command(text) is None


def test_a_bare_customer_name_is_a_look_up():
    assert bare_name("杭州华力机械", parse_note("杭州华力机械", NOW)) == "杭州华力机械"
    assert bare_name("华力机械 嫌贵", parse_note("华力机械 嫌贵", NOW)) is None
