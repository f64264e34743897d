"""Refusals: the known business reasons to say no (not yours, not found, too late).

Storage names the reason and what it concerns; the bot words it for the person (bot/texts.py), and
`str()` is an English line for operators (the CLI, logs).
"""

from __future__ import annotations

from enum import StrEnum

from storage.models import Lead


class Why(StrEnum):
    LEAD_GONE = "the lead no longer exists (undone or deleted)"
    LEAD_NOT_YOURS = "the lead is someone else's to handle"
    LEAD_EXISTS = "a lead with this phone or company exists already"
    REMINDER_GONE = "the reminder no longer exists"
    REMINDER_NOT_YOURS = "the reminder was sent to someone else"
    REMINDER_CLOSED = "the reminder was handled already"
    ACTIVITY_GONE = "the activity was undone already"
    NOT_AUTHOR = "only the author may undo an activity"
    UNDO_EXPIRED = "the undo window has passed"
    ALERT_GONE = "the alert no longer exists"
    ALERT_NOT_YOURS = "the alert card is for a manager"
    ALERTS_HANDLED = "every alert on the card was handled already"
    STALE_BUTTON = "the button's value is stale or forged"
    MANAGERS_ONLY = "only managers may assign leads"
    NOT_IN_TEAM = "leads may be reassigned only to the manager's own reps"
    NO_NOTE = "there is no recent note to correct"
    MERGE_SAME = "a lead cannot be merged into itself"
    MERGE_GONE = "the merge was undone already"
    MERGE_EXPIRED = "the merge can no longer be undone"
    NOTHING_TO_HAND_OVER = "the leaver's open leads were handed on already, or are not the actor's to hand on"
    USER_NOT_IN_SCOPE = "the person is outside the viewer's teams"
    TEAM_NOT_IN_SCOPE = "the team is not one the viewer manages"


class Refusal(Exception):
    """A known business reason to say no: `why`, and the lead it concerns when there is one."""

    def __init__(self, why: Why, *, lead: Lead | None = None) -> None:
        self.why, self.lead = why, lead
        about = f" (lead #{lead.id} {lead.company or lead.phone}, owner {lead.owner.name})" if lead else ""
        super().__init__(f"{why.value}{about}")
