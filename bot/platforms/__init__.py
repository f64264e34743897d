"""The chat platforms. Each is one module; `build_senders` is the explicit list of who can send."""

from __future__ import annotations

from bot.platforms.base import Sender
from config.settings import Settings


def build_senders(settings: Settings) -> dict[str, Sender]:
    """Senders for every platform configured in `settings`, keyed by outbox channel."""
    return {}
