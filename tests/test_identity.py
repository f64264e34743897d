"""Identities as a value: `PLATFORM:ID` parsed once, and storage checking its syntax but naming no platform."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import runtime
from storage.identity import IdentityKey, InvalidIdentity
from storage.people import InvalidInput, add_group_target, add_team, ensure_user, find_user

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["wecom:zhangwei", "feishu:ou_84aad35d084aa403a838cf73ee18467", "chat:demo:2"])
def test_an_identity_reads_back_as_it_was_written(text: str) -> None:
    assert str(IdentityKey.parse(text)) == text


def test_the_id_is_everything_after_the_first_colon() -> None:
    assert IdentityKey.parse(" chat:demo:2 ") == IdentityKey("chat", "demo:2")


@pytest.mark.parametrize(
    "text", ["zhangwei", ":zhangwei", "wecom:", "WeCom:zhangwei", "we com:x", "wecom:" + "x" * 129]
)
def test_anything_but_platform_colon_id_is_refused(text: str) -> None:
    with pytest.raises(InvalidIdentity, match="is not an identity like wecom:zhangwei"):
        IdentityKey.parse(text)


def test_storage_keeps_people_of_any_platform_the_bot_knows(rt: runtime.Runtime) -> None:
    with rt.transaction() as s:
        ensure_user(s, "beeper:alice", name="Alice", now=NOW)
        add_team(s, "华东", manager_key="beeper:alice", now=NOW)
        target = add_group_target(s, "华东", channel="beeper_room", address="room-7", secret=None, now=NOW)
        assert (target.channel, find_user(s, "beeper:alice").name) == ("beeper_room", "Alice")


def test_storage_refuses_a_group_channel_that_is_not_a_name(rt: runtime.Runtime) -> None:
    with rt.transaction() as s:
        ensure_user(s, "wecom:zhangwei", name="张伟", now=NOW)
        add_team(s, "华东", manager_key="wecom:zhangwei", now=NOW)
        with pytest.raises(InvalidInput, match="is not a channel name"):
            add_group_target(s, "华东", channel="https://hook", address="x", secret=None, now=NOW)
