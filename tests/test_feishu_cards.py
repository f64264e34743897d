"""The neutral Card as Feishu card JSON 2.0."""

from __future__ import annotations

import json

from bot.cards import Button, Card, Field
from bot.platforms.feishu_cards import APP_CARD_BYTES, TRUNCATED, render_card, size

CARD = Card(
    title="已记录：杭州华力机械",
    lines=("🎤 听到：今天拜访杭州华力机械王总",),
    fields=(Field("客户", "杭州华力机械（新线索 #1）"), Field("下次跟进", "12月2日(周三) 09:00")),
    buttons=(Button("撤销", "undo", {"activity_id": 7}, style="danger"), Button("我来跟进", "claim", {"lead_id": 3})),
    level="warning",
    note="识别有误？10分钟内点「撤销」。",
)


def test_a_card_is_json_2_0_with_a_shared_update_and_a_header_coloured_by_level() -> None:
    data = render_card(CARD)
    assert (data["schema"], data["config"]["update_multi"]) == ("2.0", True)
    assert data["header"] == {"title": {"tag": "plain_text", "content": "已记录：杭州华力机械"}, "template": "orange"}


def test_lines_fields_and_the_note_are_plain_text() -> None:
    texts = [
        (e["tag"], e["text"]["tag"], e["text"]["content"])
        for e in render_card(CARD)["body"]["elements"]
        if e["tag"] == "div"
    ]
    assert texts == [
        ("div", "plain_text", "🎤 听到：今天拜访杭州华力机械王总"),
        ("div", "plain_text", "客户：杭州华力机械（新线索 #1）\n下次跟进：12月2日(周三) 09:00"),
        ("div", "plain_text", "识别有误？10分钟内点「撤销」。"),
    ]


def test_buttons_call_back_with_their_action_and_value() -> None:
    [row] = [e for e in render_card(CARD)["body"]["elements"] if e["tag"] == "column_set"]
    buttons = [column["elements"][0] for column in row["columns"]]
    assert [(b["text"]["content"], b["type"], b["behaviors"]) for b in buttons] == [
        ("撤销", "danger", [{"type": "callback", "value": {"action": "undo", "value": {"activity_id": 7}}}]),
        ("我来跟进", "default", [{"type": "callback", "value": {"action": "claim", "value": {"lead_id": 3}}}]),
    ]


def test_a_card_over_the_size_limit_loses_trailing_lines_and_says_so() -> None:
    lines = tuple(f"🟢 客户{n:04d} · 王总 · 线索 · 价格敏感/需要样机 · 下次 12月2日(周三)" for n in range(1000))
    data = render_card(Card(title="我的线索（1000）", lines=lines))
    shown = data["body"]["elements"][0]["text"]["content"].split("\n")
    assert size(data) <= APP_CARD_BYTES < len(json.dumps(lines, ensure_ascii=False).encode())
    assert shown[0] == lines[0] and shown[-1] == TRUNCATED
