"""Neutral types every platform translates to and from. No platform detail passes beyond them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.cards import Card


@dataclass(frozen=True)
class InboundMessage:
    """A message a person sent the bot, as the conversation sees it.

    `sender` is the person (`wecom:zhangwei`); replies go to `reply_to` over `channel`, which is the
    sender on the platform it came from, or the terminal for `salesbot chat`.
    """

    channel: str
    sender: str
    text: str
    received_at: datetime
    kind: str = "text"  # text | voice | event | unsupported
    sender_name: str | None = None
    reply_to: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def recipient(self) -> str:
        return self.reply_to or self.sender

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> InboundMessage:
        return cls(**{**data, "received_at": datetime.fromisoformat(data["received_at"])})


@dataclass(frozen=True)
class Reply:
    """A card the conversation wants delivered to `recipient` over `channel`."""

    channel: str
    recipient: str
    card: Card


class SendError(Exception):
    """Sending failed. `permanent` errors are not retried (bad recipient, message rejected)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    """Delivers cards on one channel. Raises SendError; returns the platform's message id if any."""

    channel: str

    def send(self, recipient: str, card: Card, *, dedup_key: str) -> str | None: ...
