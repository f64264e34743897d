"""The contract a chat platform fulfils: what `bot.platforms.ADAPTERS` lists, one entry per platform.

An adapter module declares its `ADAPTER` and nothing heavy: its factories import the platform's SDK when they
are called, which is only when the platform is configured (lark_oapi alone costs 1.5 s and 160 MB).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.platforms.base import Preparer, Sender
from config.settings import Settings

# Reads a directory to its last page; raises SendError when the platform fails on any of them.
DirectoryReader = Callable[[], "Directory"]

if TYPE_CHECKING:
    import redis
    from flask import Blueprint

    from bot.longconn import Link
    from bot.runtime import Runtime
    from storage.org import Directory


@dataclass(frozen=True)
class GroupChannel:
    """An outbox channel that reaches a group chat (the weekly leaderboard). `salesbot groups add` offers it as
    `--{channel with dashes}` (`wecom_webhook` → `--wecom-webhook`), taking the address `help` describes."""

    channel: str
    help: str

    @property
    def option(self) -> str:
        return "--" + self.channel.replace("_", "-")


@dataclass(frozen=True)
class PlatformAdapter:
    """One chat platform.

    `name` is the identity prefix (`wecom` in `wecom:zhangwei`) and the channel its messages arrive on and are
    answered over. `senders` is called in every process and returns what works there (group bots need only
    their URL, so they work without the platform's app configured); `webhook` and `preparer` only when
    `configured(settings)`.
    """

    name: str
    configured: Callable[[Settings], bool]
    senders: Callable[[Settings, redis.Redis], dict[str, Sender]]
    # The Flask blueprint of the inbound endpoint: verification and translation, ending in bot.webhook.receive
    # (None when the platform is configured to receive over a long connection instead).
    webhook: Callable[[Settings], Blueprint | None] | None = None
    # The worker-side work on a message before the conversation sees it (voice, display name).
    preparer: Callable[[Settings, redis.Redis], Preparer | None] | None = None
    group_channels: tuple[GroupChannel, ...] = ()
    # Reads the whole company directory (departments, leaders, members) for `salesbot org sync`.
    directory: Callable[[Settings, redis.Redis], DirectoryReader] | None = None
    # Whether `settings` have the platform receive over a long connection out (no public URL), and that
    # connection, which the worker holding its lease keeps open (bot/longconn.py).
    connects: Callable[[Settings], bool] = lambda settings: False
    long_connection: Callable[[Runtime], Link] | None = None

    @property
    def identity_prefix(self) -> str:
        return self.name


def imported_when_called(module: str, name: str) -> Callable[..., Any]:
    """`module.name`, imported on the first call: how an adapter names a factory that needs the SDK."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call
