"""The neutral Card as Feishu card JSON 2.0 (app messages, card callback answers, custom group bots).

Everything a person typed is shown as `plain_text`, never markdown, so a company called `*华力*` cannot
restyle the card.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot.cards import Button, Card, render_text

# Header colours by Card.level.
TEMPLATES = {"info": "blue", "success": "green", "warning": "orange", "danger": "red"}
# "card/post ≤ 30 KB" for im/v1/messages; custom bots take a 20 KB request body in all.
APP_CARD_BYTES = 30_000
WEBHOOK_BODY_BYTES = 20_000
TRUNCATED = "……内容过长，未全部显示"


def _text(content: str, **style: str) -> dict[str, Any]:
    return {"tag": "div", "text": {"tag": "plain_text", "content": content, **style}}


def _button(button: Button) -> dict[str, Any]:
    if button.url:
        behaviour = {"type": "open_url", "default_url": button.url}
    else:
        behaviour = {"type": "callback", "value": {"action": button.action, "value": button.value}}
    return {
        "tag": "button",
        "text": {"tag": "plain_text", "content": button.label},
        "type": button.style if button.style in ("primary", "danger") else "default",
        "behaviors": [behaviour],
    }


def _card_json(card: Card, *, buttons: bool) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    if card.lines:
        elements.append(_text("\n".join(card.lines)))
    if card.fields:
        elements.append(_text("\n".join(f"{f.label}：{f.value}" for f in card.fields)))
    if buttons and card.buttons:
        columns = [{"tag": "column", "width": "auto", "elements": [_button(b)]} for b in card.buttons]
        # flow: buttons that do not fit the width (a phone, six stages) wrap to the next row instead of shrinking.
        elements.append({"tag": "column_set", "flex_mode": "flow", "columns": columns})
    if card.note:
        elements.append(_text(card.note, text_size="notation", text_color="grey"))
    summary = card.title or next((line for line in card.lines if line), "")
    body: dict[str, Any] = {
        "schema": "2.0",
        "config": {"update_multi": True, "summary": {"content": summary[:60]}},
        "body": {"elements": elements},
    }
    if card.title:
        body["header"] = {
            "title": {"tag": "plain_text", "content": card.title},
            "template": TEMPLATES.get(card.level, "blue"),
        }
    return body


def size(data: dict[str, Any]) -> int:
    return len(json.dumps(data, ensure_ascii=False).encode())


def render_card(card: Card, *, buttons: bool = True, limit: int = APP_CARD_BYTES) -> dict[str, Any]:
    """Card JSON 2.0 for `card` (a plain-text Card too: card callbacks and patches must answer with a
    card), dropping trailing lines until it fits in `limit` bytes."""
    data = _card_json(card, buttons=buttons)
    lines = list(card.lines)
    while size(data) > limit and lines:
        lines.pop()
        data = _card_json(replace(card, lines=(*lines, TRUNCATED)), buttons=buttons)
    return data


def render_plain(card: Card, *, limit: int) -> str:
    """The card as text, cut to `limit` bytes of UTF-8."""
    text = render_text(card)
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - len(TRUNCATED.encode()) - 1].decode(errors="ignore") + "\n" + TRUNCATED
