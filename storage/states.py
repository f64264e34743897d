"""The closed sets of values storage keeps: roles, the life cycle of each kind of row, and where a lead came from.

Each is a StrEnum, so a member is the very string stored and compares equal to it. The database holds them in
VARCHAR columns with a CHECK constraint (migration 0004), so a value outside the set is refused there too.
Vocabularies that other layers extend (message and outbox kinds, platforms, channels, reminder kinds, the
config-driven lead stages) stay plain strings.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class LeadSource(StrEnum):
    NOTE = "note"  # created or matched from a rep's note
    ASSIGNED = "assigned"  # added by a manager or the CLI for a rep
    IMPORT = "import"  # brought in from a ledger file (`salesbot import leads`)


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    CANCELLED = "cancelled"


class InboundStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class AlertRule(StrEnum):
    UNTOUCHED = "untouched"  # assigned and never followed up
    STALE = "stale"  # no activity for the stage's red threshold


class AlertLevel(StrEnum):
    HIGH = "high"
    RED = "red"


class AlertStatus(StrEnum):
    OPEN = "open"
    SNOOZED = "snoozed"
    HANDLED = "handled"
    RESOLVED = "resolved"


class CorrectionField(StrEnum):
    """What a correction set right (storage/corrections.py)."""

    TAGS = "tags"
    COMPANY = "company"
    CONTACT = "contact"
    PHONE = "phone"
    FOLLOW_UP = "follow_up"
    STAGE = "stage"


class LostReason(StrEnum):
    """Why a deal was lost, as the weekly report counts it."""

    PRICE = "price"
    COMPETITOR = "competitor"
    NO_BUDGET = "no_budget"
    OTHER = "other"
