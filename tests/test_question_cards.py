"""The "which customer?" card as WeCom and Feishu show it: every choice a button that calls back as itself."""

from __future__ import annotations

from datetime import timedelta

from bot.platforms.feishu_cards import render_card
from bot.platforms.wecom_send import decode_button_key, render_template_card
from bot.runtime import Runtime
from tests.conftest import NOW, Chat, RecordingSender


def question_card(rt: Runtime, sent: RecordingSender):
    chat = Chat(rt, sent)
    chat.say("拜访宁波永达注塑俞总 要样机", NOW - timedelta(days=2))
    chat.say("拜访杭州永达注塑章总 嫌贵", NOW - timedelta(days=1))
    chat.say("永达报价发了")
    card = sent.sent[-1][1]
    assert card.title == "这条记到哪家客户？" and len(card.buttons) == 3
    return card


def test_wecom_shows_each_choice_as_a_button_whose_key_is_the_choice(rt: Runtime, sent: RecordingSender) -> None:
    card = question_card(rt, sent)
    template = render_template_card(card, "task-1")
    assert [b["text"] for b in template["button_list"]] == [b.label for b in card.buttons]
    assert [decode_button_key(b["key"]) for b in template["button_list"]] == [(b.action, b.value) for b in card.buttons]


def test_feishu_shows_each_choice_as_a_button_calling_back_with_the_choice(rt: Runtime, sent: RecordingSender) -> None:
    card = question_card(rt, sent)
    body = render_card(card)
    columns = next(e for e in body["body"]["elements"] if e["tag"] == "column_set")["columns"]
    callbacks = [c["elements"][0]["behaviors"][0]["value"] for c in columns]
    assert callbacks == [{"action": b.action, "value": b.value} for b in card.buttons]
