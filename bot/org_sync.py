"""`salesbot org sync` and the daily job: read a platform's directory whole, then sync it in one transaction,
and hand each leaver's open leads to their manager on one card (storage/org.py has the rules).

A dry run is the very same sync rolled back at the end: what it prints is what a real run would do, and
nothing (no row, no card) is left behind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import notices, runtime
from bot.platforms import ADAPTERS
from bot.platforms.base import SendError
from config.rules import Rules
from storage.leads import team_members
from storage.leavers import open_leads_of
from storage.org import SyncReport, sync_directory
from storage.people import InvalidInput, manager_of


class DirectoryUnreadable(Exception):
    """The platform failed while the directory was being read; nothing was changed."""


class _RolledBack(Exception):
    def __init__(self, report: SyncReport) -> None:
        self.report = report


def directory_platforms(rt: runtime.Runtime) -> list[str]:
    """The configured platforms that have a directory to sync."""
    return [a.name for a in ADAPTERS if a.directory is not None and a.configured(rt.settings)]


def sync_platform(rt: runtime.Runtime, platform: str, *, now: datetime, dry_run: bool = False) -> SyncReport:
    """Sync one platform's directory. Raises DirectoryUnreadable, or InvalidInput for a directory that cannot be
    synced as configured (an unknown root, nobody in it); either way nothing changed."""
    adapter = next(a for a in ADAPTERS if a.name == platform)
    if adapter.directory is None or not adapter.configured(rt.settings):
        raise InvalidInput(f"{platform} is not configured, or has no directory to sync")
    try:
        directory = adapter.directory(rt.settings, rt.queue.connection)()
    except SendError as exc:
        raise DirectoryUnreadable(f"reading the {platform} directory failed: {exc}; nothing was changed") from exc
    try:
        with rt.transaction() as session:
            report = sync_directory(session, directory, roots=rt.settings.org_roots, now=now)
            _hand_over(session, report, rt.rules)
            if dry_run:
                raise _RolledBack(report)
    except _RolledBack as rolled_back:
        return rolled_back.report
    return report


def _hand_over(session: Session, report: SyncReport, rules: Rules) -> None:
    """One card per leaver with open leads, to the manager up their chain, with a 改派 button per rep."""
    for leaver in report.leavers:
        leads = open_leads_of(session, leaver, rules)
        if not leads:
            continue
        manager = manager_of(session, leaver)
        if manager is None:
            report.warnings.append(
                f"{leaver.name} left {len(leads)} open leads and there is no manager or admin to tell"
            )
            continue
        card = notices.handover_card(leaver, leads, team_members(session, manager), rules)
        stamp = f"{leaver.deactivated_at:%Y%m%dT%H%M%S}"
        notices.push(session, manager, card, kind="handover", dedup_key=f"handover:{leaver.id}:{stamp}")
        report.handovers.append(f"{len(leads)} leads of {leaver.name} → card to {manager.name}")
