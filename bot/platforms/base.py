"""Neutral types every platform translates to and from. No platform detail passes beyond them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, Self

from bot.cards import Card
from storage.identity import IdentityKey, InvalidIdentity


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


class MessageKind(StrEnum):
    """What a person sent. The values are what inbound-event rows and the conversation read."""

    TEXT = "text"
    VOICE = "voice"  # still a voice note: it could not be turned into text (the conversation asks to type)
    CHAT_OPENED = "chat_opened"  # the person opened (entered, subscribed to) the chat with the bot
    UNSUPPORTED = "unsupported"  # an image, file, location…


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
    kind: str = MessageKind.TEXT
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
    """Sending (or any platform call) failed. `permanent` errors are not retried (bad recipient, message
    rejected, a file that is gone); `retry_after` is when a transient one is worth trying again, in seconds,
    where the platform or a rate limit says so."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def recipient_on(recipient: str, *platforms: str) -> IdentityKey:
    """`recipient` as an identity on one of `platforms` (`wecom:zhangwei`); a permanent SendError otherwise."""
    try:
        identity = IdentityKey.parse(recipient)
    except InvalidIdentity:
        identity = None
    if identity is None or identity.platform not in platforms:
        raise SendError(f"{recipient!r} is not a recipient on {' or '.join(platforms)}", permanent=True)
    return identity


def replaces_card(card: Card) -> bool:
    """Whether the answer to a click replaces the clicked card. A refusal does not: the card may be shared in
    a group, and its buttons still work for whom they are meant; the refusal goes to the clicker alone."""
    return not card.is_refusal


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
