"""The periodic jobs: follow-up reminders, escalation, the morning digest and the weekly leaderboard.

Each takes `now` (ISO) and is idempotent: a second run at the same moment finds nothing new, because every
push is an outbox row with a dedup key and every alert a row unique per episode. Who gets what is decided
in storage/; the cards are built in bot/notices.py. `PERIODIC` is the one list of periodic jobs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import notices, runtime, tasks, texts
from bot.console.doors import with_console_button
from bot.org_sync import DirectoryUnreadable, directory_platforms, sync_platform
from bot.tasks import parse_now
from config.rules import Rules
from config.workdays import default_calendar
from jobs import schedule
from storage.alerts import alerts_to_notify, mark_notified, open_alerts, red_leads, untouched_leads
from storage.models import Alert, GroupTarget, Lead, Team, User
from storage.outbox import add_message
from storage.outcomes import lost_reasons
from storage.people import InvalidInput
from storage.reminders import drop_if_moot, due_reminders, mark_sent
from storage.reports import digest_for, leaderboard_due, pressing_leads, ranking
from storage.reports import leaderboard as leaderboard_rows
from storage.roles import managers, reps

log = logging.getLogger(__name__)

ALERTS_PER_CARD = 10
CARDS_PER_RUN = 3


def _push_allowed(moment: datetime) -> bool:
    rt = runtime.current()
    return default_calendar().push_allowed(moment.astimezone(rt.settings.tz), rt.rules.quiet_start, rt.rules.quiet_end)


def reminders(now: str | None = None) -> dict[str, int]:
    """Push every due reminder (follow-ups and SOP nudges), unless it is quiet time: then they wait."""
    rt = runtime.current()
    moment = parse_now(now)
    if not _push_allowed(moment):
        return {"sent": 0, "skipped": 0, "quiet": 1}
    sent = skipped = 0
    with rt.transaction() as session:
        for reminder in due_reminders(session, moment):
            lead = session.get(Lead, reminder.lead_id)
            assert lead is not None
            if drop_if_moot(reminder, lead, rt.rules):
                skipped += 1
                continue
            user = session.get(User, reminder.user_id)
            assert user is not None
            card = notices.reminder_card(reminder, lead, moment, rt.settings.tz)
            key = f"reminder:{reminder.id}:{reminder.due_at:%Y%m%dT%H%M}"
            sent += notices.push(session, user, card, kind="reminder", dedup_key=key)
            mark_sent(reminder, moment)
    return {"sent": sent, "skipped": skipped, "quiet": 0}


def escalate(now: str | None = None) -> dict[str, int]:
    """Open alerts for untouched and red leads; push each manager one card with their new alerts."""
    rt = runtime.current()
    moment = parse_now(now)
    tz = rt.settings.tz
    cards = 0
    with rt.transaction() as session:
        findings = untouched_leads(session, moment, tz, rt.rules, default_calendar()) + red_leads(
            session, moment, rt.rules
        )
        opened = open_alerts(session, findings, moment)
        if _push_allowed(moment):
            session.flush()
            for manager_id, alerts in alerts_to_notify(session, moment, tz).items():
                manager = session.get(User, manager_id)
                assert manager is not None
                cards += _push_alert_cards(session, manager, alerts, moment, tz, rt.rules)
                mark_notified(alerts, moment)
    return {"new_alerts": opened, "cards": cards}


def _push_alert_cards(
    session: Session, manager: User, alerts: list[Alert], moment: datetime, tz: tzinfo, rules: Rules
) -> int:
    """Up to CARDS_PER_RUN cards of ALERTS_PER_CARD alerts: readable, and each card's buttons act only on what it
    shows. After a flood (an import, a long holiday) the rest is counted on the last card, not pushed."""
    shown = alerts[: ALERTS_PER_CARD * CARDS_PER_RUN]
    cards = 0
    for start in range(0, len(shown), ALERTS_PER_CARD):
        batch = shown[start : start + ALERTS_PER_CARD]
        more = len(alerts) - len(shown) if start + ALERTS_PER_CARD >= len(shown) else 0
        episode = ",".join(f"{a.id}@{a.snoozed_until.isoformat() if a.snoozed_until else ''}" for a in batch)
        key = f"alert:m{manager.id}:{hashlib.sha1(episode.encode()).hexdigest()[:20]}"
        card = with_console_button(
            notices.alert_card(session, batch, moment, tz, rules, more=more), runtime.current().settings, manager
        )
        cards += notices.push(session, manager, card, kind="alert", dedup_key=key)
    return cards


def digest(now: str | None = None) -> dict[str, int]:
    """On working mornings: each manager's digest, and each rep's 今日必做 card."""
    rt = runtime.current()
    moment = parse_now(now)
    if not _push_allowed(moment):
        return {"digests": 0, "rep_cards": 0}
    tz = rt.settings.tz
    day = moment.astimezone(tz).date().isoformat()
    digests = rep_cards = 0
    with rt.transaction() as session:
        for manager in managers(session):
            figures = digest_for(session, manager, moment, tz, rt.rules)
            if figures is not None:
                card = with_console_button(notices.digest_card(manager, figures, moment, tz), rt.settings, manager)
                digests += notices.push(session, manager, card, kind="digest", dedup_key=f"digest:{manager.id}:{day}")
        for rep in reps(session):
            pressing = pressing_leads(session, rep, moment, tz, rt.rules)
            if pressing:
                card = notices.rep_morning_card(pressing, moment, tz)
                rep_cards += notices.push(session, rep, card, kind="today", dedup_key=f"today:{rep.id}:{day}")
    return {"digests": digests, "rep_cards": rep_cards}


def leaderboard(now: str | None = None) -> dict[str, int]:
    """Post last week's leaderboard to each team's groups and each ranked rep's own numbers, once per ISO week,
    when storage says it is due (the first working day on or after the configured weekday, from its time)."""
    rt = runtime.current()
    moment = parse_now(now)
    tz, rules, calendar = rt.settings.tz, rt.rules, default_calendar()
    week = leaderboard_due(moment, tz, rules, calendar)
    if week is None or not _push_allowed(moment):
        return {"posts": 0, "private": 0}
    year, number = week.iso_week
    label = texts.week_label(number, week.start.date(), week.last_day)
    posts = private = 0
    with rt.transaction() as session:
        for team in session.scalars(select(Team).order_by(Team.id)):
            targets = session.scalars(select(GroupTarget).where(GroupTarget.team_id == team.id)).all()
            rows = leaderboard_rows(session, team, week.start, week.end, tz, rules, calendar)
            if not rows:
                continue
            ranked = ranking(rows)
            lost = lost_reasons(session, team.id, week.start, week.end, rules)
            card = notices.leaderboard_card(team.name, label, ranked, sum(r.activities for r in rows), lost, rules)
            for target in targets:
                posts += (
                    add_message(
                        session,
                        kind="leaderboard",
                        recipient=target.address,
                        channel=target.channel,
                        dedup_key=f"leaderboard:team{team.id}:target{target.id}:{year}-W{number:02d}",
                        payload={
                            "card": card.to_dict(),
                            "update_ref": {"secret": target.secret} if target.secret else None,
                        },
                    )
                    is not None
                )
            # A rep with nothing logged is not ranked, and gets no card: the group post is encouragement enough.
            for entry in ranked:
                mine = notices.private_rank_card(label, entry, len(ranked), rules)
                private += notices.push(
                    session,
                    entry.row.rep,
                    mine,
                    kind="leaderboard",
                    dedup_key=f"leaderboard:rep{entry.row.rep.id}:{year}-W{number:02d}",
                )
    return {"posts": posts, "private": private}


def org_sync(now: str | None = None) -> dict[str, object]:
    """Sync every configured platform's directory (a platform that fails is reported and the others go on)."""
    rt = runtime.current()
    moment = parse_now(now)
    result: dict[str, object] = {}
    for platform in directory_platforms(rt):
        try:
            result[platform] = sync_platform(rt, platform, now=moment).counts()
        except (DirectoryUnreadable, InvalidInput) as exc:
            log.warning("org sync: %s", exc)
            result[platform] = {"error": str(exc)}
    return result


PERIODIC: tuple[schedule.Periodic, ...] = (
    schedule.Periodic("reminders", reminders, every=timedelta(minutes=1)),
    schedule.Periodic("escalate", escalate, every=timedelta(minutes=15)),
    schedule.Periodic("sweep", tasks.sweep, every=timedelta(minutes=5)),
    schedule.Periodic("digest", digest, daily_at=lambda rules: rules.morning),
    schedule.Periodic("leaderboard", leaderboard, daily_at=lambda rules: rules.leaderboard_time),
    schedule.Periodic("org_sync", org_sync, daily_at=lambda rules: rules.org_sync_time),
)

JOBS: dict[str, Callable[..., object]] = {p.name: p.func for p in PERIODIC}


def tick(rt: runtime.Runtime, now: datetime) -> list[str]:
    """This process's scheduler tick: enqueue every periodic job due in `now`'s slot (see jobs.schedule)."""
    return schedule.tick(PERIODIC, rt.queue, now, tz=rt.settings.tz, rules=rt.rules)
