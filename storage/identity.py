"""A person's (or a group's) address on one platform, written `PLATFORM:ID`: `wecom:zhangwei`, `feishu:ou_7d8a…`,
`chat:demo`.

Storage checks the syntax only. Which platforms exist is the bot's to know (its registry of adapters), so the
callers that take an identity from outside (the CLI, the webhooks) check the platform against that list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A platform or channel name: lower-case letters, digits and underscores, at most the 16 characters the
# `identities.platform` column holds.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,15}")
MAX_ID_LENGTH = 128


class InvalidIdentity(ValueError):
    """Not written PLATFORM:ID, or written for a platform this deployment does not know."""


@dataclass(frozen=True, order=True)
class IdentityKey:
    platform: str
    external_id: str

    @classmethod
    def parse(cls, text: str) -> IdentityKey:
        """`wecom:zhangwei` → IdentityKey("wecom", "zhangwei"); raises InvalidIdentity for anything else."""
        platform, sep, external_id = text.strip().partition(":")
        if not sep or not NAME_PATTERN.fullmatch(platform) or not external_id or len(external_id) > MAX_ID_LENGTH:
            raise InvalidIdentity(f"{text!r} is not an identity like wecom:zhangwei")
        return cls(platform, external_id)

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"
