"""The terminal as a platform: `salesbot chat` feeds lines in and prints the bot's cards as text."""

from __future__ import annotations

from typing import Any, TextIO

from bot.cards import Card, render_text
from bot.platforms.adapter import PlatformAdapter


class TerminalSender:
    """Prints each card to a stream, separated by a blank line."""

    channel = "chat"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def send(
        self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None
    ) -> str | None:
        self.stream.write(render_text(card) + "\n\n")
        self.stream.flush()
        return None


# `salesbot chat` and the commands that print what they would send install a TerminalSender themselves: the
# terminal has no endpoint, no preparer and no group channel, but `chat:NAME` is an identity like any other.
ADAPTER = PlatformAdapter(name="chat", configured=lambda settings: False, senders=lambda settings, connection: {})
