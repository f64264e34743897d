"""Neutral types every platform translates to and from. No platform detail passes beyond them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol, Self

from bot.cards import Card


class _Stored:
    """A delivery as the JSON an inbound-event row keeps: every field, the time in ISO 8601."""

    received_at: datetime

    def to_payload(self) -> dict[str, Any]:
        data = asdict(self)  # type: ignore[call-overload]
        data["received_at"] = self.received_at.isoformat()
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Self:
        return cls(**{**data, "received_at": datetime.fromisoformat(data["received_at"])})


@dataclass(frozen=True)
class InboundMessage(_Stored):
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


@dataclass(frozen=True)
class CardAction(_Stored):
    """A person clicked a button on a card the bot sent.

    `action` and `value` are the Button's; `update_ref` is whatever the platform needs to update the
    clicked card in place (WeCom's response_code, Feishu's message id), handed back to its sender.
    """

    channel: str
    actor: str
    action: str
    value: dict[str, Any]
    received_at: datetime
    update_ref: dict[str, Any] = field(default_factory=dict)


class SendError(Exception):
    """Sending failed. `permanent` errors are not retried (bad recipient, message rejected)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    """Delivers cards on one channel."""

    channel: str

    def send(
        self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None
    ) -> str | None:
        """Send `card` to `recipient`, or with `update_ref` replace the card it names (for group webhooks,
        `update_ref` carries the target's signing secret instead).

        `dedup_key` is unique per message (use it as the platform's idempotency key where there is one).
        Returns the platform's message id if any; raises SendError.
        """
        ...


class Preparer(Protocol):
    """A platform's network work on a message before the conversation sees it, run in the worker."""

    def prepare(self, message: InboundMessage) -> InboundMessage:
        """Return the message made ready: voice downloaded and transcribed into `text` (kind "text",
        `extra["transcript"] = True`), the sender's display name read from the directory, and so on.
        Raises SendError(permanent=False) for a transient platform failure, so the job is retried.
        """
        ...
