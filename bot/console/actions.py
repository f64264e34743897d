"""The cockpit's action buttons: 我来跟进 / 提醒销售 / 改派 / 暂缓 on a lead's alerts.

A POST names the lead's open alerts, or, for a lead no scan has alerted yet, the lead (its alert is opened on
demand, as escalation would have). It runs the very handler the alert card's button runs
(`bot.conversation.handle_action`, with the button's value), so the permissions, the effects (the rep's nudge
card, the reassignment cards) and the record of who acted are the card's. A refusal is shown with 403.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request

from bot.console.csrf import check_csrf
from bot.console.web import cockpit_path, console, now, runtime, transaction, viewer
from bot.conversation import handle_action
from bot.platforms.base import CardAction
from storage.alerts import alert_for_lead
from storage.identity import IdentityKey
from storage.people import primary_identity
from storage.roles import is_manager

# The cockpit's actions and the alert-card actions they are.
ACTIONS = {
    "take": "alert_take",
    "nudge": "alert_nudge",
    "reassign": "alert_reassign_to",
    "snooze": "alert_snooze",
}


def _ids(field: str, *, required: bool = True) -> list[int]:
    values = request.form.getlist(field)
    if (required and not values) or not all(v.isdigit() for v in values):
        abort(400)
    return [int(v) for v in values]


@console.post("/act/<name>")
def act(name: str):
    check_csrf()
    action = ACTIONS.get(name)
    if action is None:
        abort(404)
    alert_ids, lead_ids = _ids("alert_id", required=False), _ids("lead_id", required=False)
    if not alert_ids and len(lead_ids) != 1:
        abort(400)
    value: dict = {}
    if name == "reassign":
        value["user_id"] = _ids("user_id")[0]
    rt = runtime()
    with transaction() as db:
        user = viewer(db)
        if not alert_ids:  # a lead no scan alerted yet: the alert its card would have had, opened now
            if not is_manager(user):
                abort(403)
            alert_ids = [alert_for_lead(db, user, lead_ids[0], now()).id]
        value["alert_ids"] = alert_ids
        identity = primary_identity(user)
        click = CardAction(
            channel=IdentityKey.parse(identity).platform,
            actor=identity,
            action=action,
            value=value,
            received_at=now(),
        )
        card = handle_action(db, click, tz=rt.settings.tz, rules=rt.rules)
        if card.is_refusal:
            return render_template("console/error.html", message=card.lines[0], code=403), 403
    flash(card.lines[-1] if card.lines else card.title)
    return redirect(cockpit_path(request.form.get("next", "")))
