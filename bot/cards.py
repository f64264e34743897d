"""The platform-neutral card model. Platforms render it; the conversation and jobs only build it.

A Card round-trips through JSON (it is stored in the outbox) with to_dict/from_dict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The most buttons a card carries: WeCom's template card shows six and drops the rest (Feishu shows more).
# Cards the conversation builds stay within it; what does not fit is said in words instead.
MAX_BUTTONS = 6


@dataclass(frozen=True)
class Field:
    """One labelled line of a card: 标签 / 价格敏感、需要样机."""

    label: str
    value: str


@dataclass(frozen=True)
class Button:
    """A button. `action` names a card action the handler knows; `value` carries its ids. A button with a `url`
    opens that page in the platform's client instead of calling back (the 看板 button)."""

    label: str
    action: str
    value: dict[str, Any] = field(default_factory=dict)
    style: str = "default"  # default | primary | danger
    url: str = ""

    @classmethod
    def link(cls, label: str, url: str) -> Button:
        return cls(label, "open_url", url=url)


@dataclass(frozen=True)
class Card:
    """A message to a person or group: a title, optional text lines, fields and buttons.

    `level` colours the header where the platform can (info, success, warning, danger); `refusal` marks
    a refused button click.
    A card with no title, fields or buttons is sent as plain text.
    """

    title: str = ""
    lines: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    level: str = "info"
    note: str = ""

    @classmethod
    def text(cls, *lines: str) -> Card:
        return cls(lines=tuple(lines))

    @classmethod
    def refusal(cls, text: str) -> Card:
        """A 'no' to a button click: platforms show it to the clicker without replacing the card."""
        return cls(lines=(text,), level="refusal")

    @property
    def is_refusal(self) -> bool:
        return self.level == "refusal"

    @property
    def is_plain_text(self) -> bool:
        return not (self.title or self.fields or self.buttons)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Card:
        return cls(
            title=data.get("title", ""),
            lines=tuple(data.get("lines", ())),
            fields=tuple(Field(**f) for f in data.get("fields", ())),
            buttons=tuple(Button(**b) for b in data.get("buttons", ())),
            level=data.get("level", "info"),
            note=data.get("note", ""),
        )


def render_text(card: Card) -> str:
    """The card as readable plain text (the terminal, and platforms' text fallback)."""
    out: list[str] = []
    if card.title:
        out.append(f"【{card.title}】")
    out.extend(card.lines)
    out.extend(f"{f.label}：{f.value}" for f in card.fields)
    if card.buttons:
        out.append("  ".join(f"[{b.label}]" for b in card.buttons))
    if card.note:
        out.append(card.note)
    return "\n".join(out)
