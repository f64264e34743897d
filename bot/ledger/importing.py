"""`salesbot import leads FILE`: a ledger's rows become leads, in one transaction.

The rows are streamed from the file and handled in batches: each cell read (`nlp.sheet`), the owner found by
identity or name, the 备注 read by the note reader and each company name taken apart for the duplicate index
(both in worker processes when there are many), the customer looked up among the database's leads, which hold
the batches before, and the batch's rows before it (`nlp.duplicates`), and the batch written
(`storage.ledger_import`). Memory stays flat however long the file: what is held is one batch, its index and
the report, while the leads a batch may duplicate are looked up in the database by block, phone and company key
(each lead's block is brought up to date first). Everything is one transaction: a
failure anywhere, `--dry-run`, or `--strict` with a bad row rolls it all back. What the resolver calls ambiguous
(ASK) is never merged: the row becomes a new lead and the report names the leads it may duplicate.
"""

from __future__ import annotations

import multiprocessing
import os
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import texts
from bot.ledger.files import open_sheet
from bot.runtime import Runtime
from config.rules import Rules
from nlp import ParsedNote, parse_note
from nlp.duplicates import DuplicateIndex, block_key
from nlp.lexicon import default_lexicon
from nlp.resolve import Candidate, Mention, Outcome
from nlp.sheet import Columns, Flaw, LedgerRow, Names, Problem, match_headers, read_row
from storage.identity import IdentityKey, InvalidIdentity
from storage.leads import company_key
from storage.ledger_import import (
    ImportedNote,
    LeadDetails,
    add_notes,
    create_leads,
    fill_leads,
    lead_names,
    leads_sharing,
    set_name_blocks,
)
from storage.models import Activity, Identity, User
from storage.stages import stage_implied

BATCH = 2000
AHEAD = 2  # batches read ahead of the one being written
HEADER_SEARCH = 10  # the header row is the first of these with two known columns (a title row may come first)
PARALLEL = 400  # a batch with this many notes (or new company names) has them read in worker processes
NOTES_PER_JOB = 100
NAMES_PER_JOB = 250
BLOCK_PAGE = 5000  # the database's leads whose blocks are brought up to date at a time
Item = TypeVar("Item")
Result = TypeVar("Result")
Parts = list[list[Result] | Future[list[Result]]]  # a list worked out in pieces, some perhaps still in a worker


class LedgerError(Exception):
    """The file as a whole cannot be imported (no header row, an unreadable file); English, for the operator."""


@dataclass
class ImportReport:
    file: str
    columns: Columns | None = None
    created: int = 0
    merged: list[tuple[int, int, str, str]] = field(default_factory=list)  # row, lead, company, fields filled
    possible: list[tuple[int, int, str, tuple[int, ...]]] = field(default_factory=list)  # row, new lead, company, ids
    skipped: list[tuple[int, list[Flaw], list[Any]]] = field(default_factory=list)  # row, flaws, cells
    notices: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False

    @property
    def errors(self) -> int:
        return sum(len(flaws) for _, flaws, _ in self.skipped)

    def summary(self) -> str:
        outcome = "imported" if self.written else "nothing written"
        return (
            f"{outcome}: {self.created} created, {len(self.merged)} merged, {len(self.skipped)} skipped, "
            f"{self.errors} errors"
        )


class _RollBack(Exception):
    """Undo the whole import (a dry run, or --strict with bad rows)."""


def import_ledger(
    rt: Runtime,
    path: Path,
    *,
    now: datetime,
    sheet: str | None = None,
    default_owner: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    progress: Callable[[int], None] = lambda n: None,
    total: Callable[[int | None], None] = lambda n: None,
) -> ImportReport:
    """Import the ledger at `path`; the report says what happened to every row."""
    opened = open_sheet(path, sheet)
    total(opened.total)
    report = ImportReport(path.name)
    local_now = now.astimezone(rt.settings.tz).replace(microsecond=0)  # a ledger's dates have seconds at most
    try:
        with rt.transaction() as session, _readers() as pool:
            run = _Import(session, rt.rules, local_now, report, pool)
            run.owners.default = run.owners.find(default_owner) if default_owner else None
            if default_owner and run.owners.default is None:
                raise LedgerError(f"--owner {default_owner}: no such user; add them with `salesbot users add`")
            run.all(opened.rows, progress)
            if dry_run or (strict and report.skipped):
                raise _RollBack
            report.written = True
    except _RollBack:
        report.written = False
    return report


@contextmanager
def _readers() -> Iterator[Executor | None]:
    """Worker processes for the note reader (~1,100 notes/s on one core) and the company names, when there is a
    second core. They are forked (where there is fork: not the default everywhere, nor from Python 3.14) with
    the model, jieba and the name rules loaded, so they share those pages with this process, copy-on-write,
    instead of each loading its own: a worker's RSS is ~400 MB, but ~385 MB of it is this process's pages and
    ~15 MB its own (USS, measured on 100,000 rows)."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    parse_note("预热", datetime.now(UTC))
    block_key("预热")
    fork = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    pool = ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1), mp_context=fork)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def _read_notes(jobs: list[tuple[str, datetime]]) -> list[ParsedNote]:
    return [parse_note(text, now) for text, now in jobs]


def _block_keys(companies: list[str]) -> list[str | None]:
    return [block_key(company) for company in companies]


def _block_keys_of(pool: Executor | None, companies: list[str]) -> Parts[str | None]:
    return _spread(pool, _block_keys, companies, NAMES_PER_JOB)


def _spread(
    pool: Executor | None, work: Callable[[list[Item]], list[Result]], items: list[Item], per_job: int
) -> Parts[Result]:
    """`work` done on `items`: by the workers, `per_job` items a job, when there are PARALLEL or more."""
    if pool is None or len(items) < PARALLEL:
        return [work(items)]
    return [pool.submit(work, items[i : i + per_job]) for i in range(0, len(items), per_job)]


def _gathered(parts: Parts[Result]) -> list[Result]:
    """What `_spread` worked out, in order, waiting for the workers if need be."""
    return [x for part in parts for x in (part.result() if isinstance(part, Future) else part)]


class _Owners:
    """Who a 负责人 cell names: a PLATFORM:ID, or a user's name (unique)."""

    def __init__(self, session: Session) -> None:
        self.by_identity: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        for user_id, name, platform, external_id in session.execute(
            select(User.id, User.name, Identity.platform, Identity.external_id).join(Identity)
        ):
            self.by_identity[f"{platform}:{external_id}"] = user_id
            ids = self.by_name.setdefault(_name_key(name), [])
            if user_id not in ids:
                ids.append(user_id)
        self.default: int | None = None

    def find(self, written: str) -> int | None:
        try:
            return self.by_identity.get(str(IdentityKey.parse(written)))
        except InvalidIdentity:
            return None

    def owner_of(self, row: LedgerRow) -> int | None:
        if not row.owner:
            if self.default is None:
                row.flaws.append(Flaw(Problem.NO_OWNER))
            return self.default
        found = self.find(row.owner) if ":" in row.owner else None
        ids = [found] if found else self.by_name.get(_name_key(row.owner), [])
        if len(ids) == 1:
            return ids[0]
        row.flaws.append(Flaw(Problem.AMBIGUOUS_OWNER if ids else Problem.UNKNOWN_OWNER, "", row.owner))
        return None


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


def _job(row: LedgerRow, now: datetime) -> tuple[str, datetime]:
    """What reading a row's note takes: its text, and the moment it is read from (the last contact, else now)."""
    assert row.note is not None
    return row.note, row.last_contact.at if row.last_contact else now


@dataclass
class _Reading:
    """What is read of a batch besides its cells, perhaps still by the workers: its notes (a note written the
    same way on the same day, 未接通 or 已报价, is read once) and the block keys of its company names."""

    rows: list[LedgerRow]
    now: datetime
    jobs: list[tuple[str, datetime]]  # each different (note, day) once
    notes: Parts[ParsedNote]
    companies: list[str]
    keys: Parts[str | None]

    def in_row_order(self) -> list[ParsedNote | None]:
        """One note per row (None for a row without one)."""
        by_job = dict(zip(self.jobs, _gathered(self.notes), strict=True))
        return [by_job[_job(row, self.now)] if row.note else None for row in self.rows]

    def block_keys(self) -> dict[str, str | None]:
        return dict(zip(self.companies, _gathered(self.keys), strict=True))


@dataclass
class _Planned:
    row: LedgerRow
    details: LeadDetails
    outcome: Outcome
    choices: tuple[int, ...] = ()


class _Import:
    def __init__(self, session: Session, rules: Rules, now: datetime, report: ImportReport, pool: Executor | None):
        self.session, self.rules, self.now, self.report, self.pool = session, rules, now, report, pool
        self.owners = _Owners(session)
        self.names = Names.of(rules)
        # Leads in the database a row of this batch fills, with the row's entry in report.merged.
        self.filled: list[tuple[int, LeadDetails, int]] = []
        # The batch being placed: the leads its rows may be, and its rows placed so far.
        self.index = DuplicateIndex()
        self.keys: dict[str, int] = {}  # company key -> lead id (negative: a row of this batch)
        self.phones: dict[str, int] = {}
        self._update_blocks()

    def _update_blocks(self) -> None:
        """Every lead's block worked out from its company, a page at a time, and stored where it changed (the
        conversation creates and renames leads without one)."""
        after = 0
        while page := lead_names(self.session, after=after, limit=BLOCK_PAGE):
            blocks = _gathered(_block_keys_of(self.pool, [company for _, company, _ in page]))
            set_name_blocks(self.session, [(i, b) for (i, _, old), b in zip(page, blocks, strict=True) if b != old])
            after = page[-1][0]

    def _look_up(self, rows: list[LedgerRow], blocks: dict[str, str | None]) -> None:
        """A new index for a batch: the database's leads its rows may be (those sharing a block, a phone or a
        company key; the batches before are among them), to which the rows are added as they are placed."""
        known = leads_sharing(
            self.session,
            blocks={b for b in blocks.values() if b},
            phones={row.phone for row in rows if row.phone},
            company_keys={k for row in rows if (k := company_key(row.company))},
        )
        self.index, self.keys, self.phones = DuplicateIndex(), {}, {}
        self.index.learn(blocks)
        self.index.learn({lead.company: lead.name_block for lead in known if lead.company})
        for lead in known:
            self._know(Candidate(lead.id, lead.company, lead.contact_name, lead.phone), lead.company_key)

    def _know(self, candidate: Candidate, key: str | None) -> None:
        self.index.add(candidate)
        if key:
            self.keys.setdefault(key, candidate.id)
        if candidate.phone:
            self.phones.setdefault(candidate.phone, candidate.id)

    def all(self, rows: Iterator[list[Any]], progress: Callable[[int], None]) -> None:
        """Read, check and write every row. While the workers read the notes and names of the next AHEAD
        batches, this process writes the batch before them (a worker slowed by a busy machine then rarely keeps
        it waiting)."""
        columns, number, waiting = None, 0, deque[tuple[list[tuple[LedgerRow, int]], _Reading]]()
        for cells in rows:
            number += 1
            progress(1)
            if columns is None:
                found = match_headers(cells)
                if found.matched >= 2:
                    columns = self.report.columns = found
                elif number >= HEADER_SEARCH:
                    raise LedgerError(f"no header row in the first {HEADER_SEARCH} rows (客户名称, 联系人, 手机, …)")
                continue
            batch = [(read_row(number, cells, columns, self.now, self.names), cells)]
            for more in _take(rows, BATCH - 1):
                number += 1
                progress(1)
                batch.append((read_row(number, more, columns, self.now, self.names), more))
            waiting.append(self._check(batch))
            if len(waiting) > AHEAD:
                self._write(*waiting.popleft())
        if columns is None:
            raise LedgerError("the file has no header row (客户名称, 联系人, 手机, …)")
        while waiting:
            self._write(*waiting.popleft())

    def _check(self, rows: list[tuple[LedgerRow, list[Any]]]) -> tuple[list[tuple[LedgerRow, int]], _Reading]:
        """The batch's good rows with their owners (the bad ones go to the report), and their notes and company
        names being read."""
        good: list[tuple[LedgerRow, int]] = []
        for row, cells in rows:
            if row.empty and all(f.problem is Problem.NO_NAME for f in row.flaws):
                continue  # a blank line
            owner = self.owners.owner_of(row)
            if row.flaws or owner is None:
                self.report.skipped.append((row.number, row.flaws, cells))
                continue
            good.append((row, owner))
        return good, self._read([row for row, _ in good])

    def _write(self, good: list[tuple[LedgerRow, int]], reading: _Reading) -> None:
        """Place each row of a checked batch (new, or merged into a known lead or a row before) and write them."""
        planned: dict[int, _Planned] = {}
        merged_before = len(self.report.merged)
        blocks = reading.block_keys()
        self._look_up([row for row, _ in good], blocks)
        for (row, owner), note in zip(good, reading.in_row_order(), strict=True):
            self._place(row, self._details(row, owner, note, blocks), planned)
        created = list(planned.values())
        self._fill([p.details for p in created])
        ids = create_leads(self.session, [p.details for p in created], now=self.now, rules=self.rules)
        self.session.flush()  # the leads filled in
        add_notes(self.session, [(t, d) for t, d, _ in self.filled], now=self.now, rules=self.rules, existing=True)
        self.filled = []
        renamed = {}
        for p, lead_id in zip(created, ids, strict=True):
            renamed[-p.row.number] = lead_id
            if p.outcome is Outcome.ASK:
                choices = tuple(sorted(renamed.get(i, i) for i in p.choices))  # rows of this batch have ids now
                self.report.possible.append((p.row.number, lead_id, p.row.company or "", choices))
        self.report.created += len(ids)
        merged = self.report.merged
        merged[merged_before:] = [(r, renamed.get(i, i), c, f) for r, i, c, f in merged[merged_before:]]

    def _fill(self, created: list[LeadDetails]) -> None:
        """The database's leads this batch's rows merge into get what the rows add (not a company key or phone
        a lead about to be created holds), and the report says what each row filled."""
        taken = {k for d in created if (k := company_key(d.company))}, {d.phone for d in created if d.phone}
        fills = fill_leads(
            self.session, [(t, d) for t, d, _ in self.filled], now=self.now, rules=self.rules, taken=taken
        )
        for (_, _, at), filled in zip(self.filled, fills, strict=True):
            number, lead_id, company, _ = self.report.merged[at]
            self.report.merged[at] = (number, lead_id, company, _filled_text(filled))

    def _read(self, rows: list[LedgerRow]) -> _Reading:
        """The rows' notes and new company names, being read from now on: by the workers when there are many."""
        jobs = list(dict.fromkeys(_job(row, self.now) for row in rows if row.note))
        companies = list(dict.fromkeys(row.company for row in rows if row.company))
        notes = _spread(self.pool, _read_notes, jobs, NOTES_PER_JOB)
        return _Reading(rows, self.now, jobs, notes, companies, _block_keys_of(self.pool, companies))

    def _details(
        self, row: LedgerRow, owner: int, note: ParsedNote | None, blocks: dict[str, str | None]
    ) -> LeadDetails:
        follow_up = row.next_follow_up
        at, has_time = (follow_up.at, follow_up.has_time) if follow_up else (None, False)
        if at is not None and not has_time:  # a day without a time, as a note's follow-up has it
            at = at.replace(hour=default_lexicon().default_hour)
        if at is None and note is not None and note.follow_up_at is not None:
            at, has_time = note.follow_up_at, note.follow_up_has_time
        amount = row.amount if row.amount is not None else (round(note.amount) if note and note.amount else None)
        tags = tuple(dict.fromkeys((*row.tags, *(note.tags if note else ()))))
        activity_type = note.activity_type if note else "other"
        details = LeadDetails(
            owner_id=owner,
            company=row.company,
            name_block=blocks.get(row.company) if row.company else None,
            contact_name=row.contact,
            phone=row.phone,
            stage=row.stage or self._implied_stage(activity_type, tags, note),
            amount=amount,
            last_contact_at=row.last_contact.at if row.last_contact else None,
            follow_up_at=at,
            follow_up_has_time=has_time,
        )
        if row.note or row.tags or row.unknown_tags:
            text = row.note or ""
            if row.unknown_tags:
                text = "\n".join(t for t in (text, texts.import_tags_line(row.unknown_tags)) if t)
                self.report.notices.append((row.number, texts.import_unknown_tags(row.unknown_tags)))
            when = row.last_contact.at if row.last_contact else self.now
            details.notes.append(ImportedNote(text, activity_type, tags, when))
        return details

    def _implied_stage(self, activity_type: str, tags: tuple[str, ...], note: ParsedNote | None) -> str | None:
        """With no 阶段 in the row, the stage its note and tags imply, as a rep's note would move a new lead."""
        if note is None and not tags:
            return None
        signal = note.stage_signal if note else None
        return stage_implied(self.rules.first_stage, Activity(type=activity_type), tags, signal, self.rules)

    def _place(self, row: LedgerRow, details: LeadDetails, planned: dict[int, _Planned]) -> None:
        """Decide what the row is (a new lead, or more about a known or earlier one) and act on it."""
        mention = Mention(row.company or "", company=row.company, contact=row.contact, phone=row.phone)
        found = self.index.find(mention)
        key = company_key(row.company)
        target = found.lead_id if found.outcome is Outcome.MATCH else None
        # The database allows one lead per company key and per phone: a row the resolver keeps apart but that
        # shares either is the same customer after all.
        target = target or (self.keys.get(key) if key else None) or self.phones.get(row.phone or "")
        if target is None:
            planned[row.number] = _Planned(row, details, found.outcome, found.choices)
            self._know(Candidate(-row.number, row.company, row.contact, row.phone), key)
            return
        self._note_unkept(row, details, target)
        if target < 0:
            into = planned[-target]
            before = _known(into.details)
            into.details.absorb(details, self.rules)
            filled = _filled_text(_filled(before, _known(into.details)))
            company = into.details.company
        else:
            filled = ""  # known when the batch's fills are made
            self.filled.append((target, details, len(self.report.merged)))
            company = self.index.get(target).company
        self.index.update(_candidate(target, self.index.get(target), details))
        self.report.merged.append((row.number, target, company or "", filled))

    def _note_unkept(self, row: LedgerRow, details: LeadDetails, target: int) -> None:
        """A merged row's contact or phone that its lead keeps no room for goes into the row's note text."""
        kept = self.index.get(target)
        contact = row.contact if row.contact and kept.contact and row.contact != kept.contact else None
        phone = row.phone if row.phone and kept.phone and row.phone != kept.phone else None
        if not (contact or phone):
            return
        if not details.notes:
            details.notes.append(ImportedNote("", "other", (), details.last_contact_at or self.now))
        details.notes[-1].text += texts.import_other_details(contact, phone)


def _known(details: LeadDetails) -> dict[str, Any]:
    return {f: getattr(details, f) for f in texts.IMPORT_FILLED}


def _filled(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [f for f in before if before[f] != after[f]]


def _filled_text(fields: list[str]) -> str:
    return "、".join(texts.IMPORT_FILLED[f] for f in fields)


def _candidate(lead_id: int, old: Candidate, details: LeadDetails) -> Candidate:
    return Candidate(
        lead_id, old.company or details.company, old.contact or details.contact_name, old.phone or details.phone
    )


def _take(rows: Iterator[list[Any]], n: int) -> Iterator[list[Any]]:
    for _ in range(n):
        cells = next(rows, None)
        if cells is None:
            return
        yield cells
