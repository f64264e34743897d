"""The 看板 button: a link button, rendered as each platform opens a page from a card."""

from __future__ import annotations

from bot.cards import Button, Card
from bot.platforms.feishu_cards import render_card
from bot.platforms.wecom_send import render_template_card

CARD = Card(
    title="早报",
    lines=("今日待跟进 3",),
    buttons=(
        Button("我来跟进", "alert_take", {"alert_ids": [1]}),
        Button.link("看板", "https://crm.example.com/console/login/wecom"),
    ),
)


def test_wecom_renders_a_link_button_as_one_that_opens_its_url() -> None:
    buttons = render_template_card(CARD, "task-1")["button_list"]
    assert buttons[0]["type"] == 0 and buttons[0]["key"].startswith("alert_take:")
    assert buttons[1] == {"type": 1, "text": "看板", "style": 2, "url": "https://crm.example.com/console/login/wecom"}


def test_feishu_renders_a_link_button_with_an_open_url_behaviour() -> None:
    columns = render_card(CARD)["body"]["elements"][-1]["columns"]
    behaviours = [column["elements"][0]["behaviors"] for column in columns]
    assert behaviours[0][0]["type"] == "callback"
    assert behaviours[1] == [{"type": "open_url", "default_url": "https://crm.example.com/console/login/wecom"}]


def test_a_link_button_survives_the_outbox_round_trip() -> None:
    assert Card.from_dict(CARD.to_dict()) == CARD
