"""A customer ledger's cells read as a colleague reads them: which field a header names, and each cell's value.

Pure: cells come in as a spreadsheet reader gives them (text, numbers, dates, datetimes, None) and leave as
typed values, or as a `Problem` that says what is wrong with the cell. Headers are matched by the synonyms in
`config/ledger.toml`; stages by `config/stages.toml` (id, label or synonyms); tags by their id or label.
Dates are read in the forms people type: Excel serial numbers, 2026/11/3, 2026-11-03, 2026.11.3, 2026年11月3日,
11月3日 (the year nearest the reading: before it for a contact that happened, either side for a follow-up).
Phones lose +86, spaces and dashes; a bare amount is in 万 unless its header says 元.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from config import DATA_DIR
from config.rules import RuleFileError, Rules, read_toml
from nlp.numbers import parse_number


class Field(StrEnum):
    COMPANY = "company"
    CONTACT = "contact"
    PHONE = "phone"
    OWNER = "owner"
    STAGE = "stage"
    AMOUNT = "amount"
    LAST_CONTACT = "last_contact"
    NEXT_FOLLOW_UP = "next_follow_up"
    TAGS = "tags"
    NOTE = "note"


class Problem(StrEnum):
    """Why a row cannot be imported (bot/texts.py says each in Chinese)."""

    NO_NAME = "no_name"  # neither a company nor a phone
    BAD_PHONE = "bad_phone"
    BAD_DATE = "bad_date"
    BAD_AMOUNT = "bad_amount"
    BAD_STAGE = "bad_stage"
    NO_OWNER = "no_owner"
    UNKNOWN_OWNER = "unknown_owner"
    AMBIGUOUS_OWNER = "ambiguous_owner"


@dataclass(frozen=True)
class Flaw:
    problem: Problem
    column: str = ""  # the header of the cell
    value: str = ""  # the cell as written


class CellError(ValueError):
    def __init__(self, problem: Problem, value: Any) -> None:
        super().__init__(f"{problem}: {value!r}")
        self.problem, self.value = problem, value


# ---------------------------------------------------------------- headers


@cache
def header_words(directory: Path = DATA_DIR) -> dict[Field, tuple[str, ...]]:
    """Each field's header synonyms from ledger.toml, the one an export writes first."""
    table = read_toml(directory / "ledger.toml").get("headers", {})
    words = {}
    for f in Field:
        value = table.get(f.value)
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and w for w in value):
            raise RuleFileError(f"ledger.toml [headers]: `{f.value}` must be a non-empty list of headers")
        words[f] = tuple(_header_text(w) for w in value)
    return words


_REMARK = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_NOT_WORD = re.compile(r"[\W\d_]+")


def _header_text(raw: Any) -> str:
    text = unicodedata.normalize("NFKC", "" if raw is None else str(raw)).lower()
    return _NOT_WORD.sub("", _REMARK.sub("", text))


@dataclass(frozen=True)
class Columns:
    """Which columns hold which field (a field may have several: 手机 and 电话), and the columns no field names."""

    by_field: dict[Field, tuple[int, ...]]
    headers: tuple[str, ...]  # as written
    unknown: tuple[str, ...]
    yuan: bool = False  # the amount column says its unit is 元 (else a bare number is 万)

    @property
    def matched(self) -> int:
        return sum(len(c) for c in self.by_field.values())


def match_headers(cells: list[Any]) -> Columns:
    """Columns for one header row: exact synonyms first, then headers ending with one, then headers starting
    with one, the longest synonym winning; a field already found exactly takes no approximate column."""
    words = header_words()
    headers = tuple("" if c is None else str(c).strip() for c in cells)
    texts = [_header_text(h) for h in headers]
    found: dict[Field, list[int]] = {}
    taken: set[int] = set()
    for how in (str.__eq__, str.endswith, str.startswith):
        exact = how is str.__eq__
        for i, text in enumerate(texts):
            if i in taken or not text:
                continue
            hits = [(len(w), f) for f, ws in words.items() for w in ws if how(text, w)]
            if not hits:
                continue
            best = max(hits)[1]
            if exact or best not in found:
                found.setdefault(best, []).append(i)
                taken.add(i)
    unknown = tuple(h for i, h in enumerate(headers) if h and i not in taken)
    amount = found.get(Field.AMOUNT, [])
    yuan = bool(amount) and "元" in headers[amount[0]] and "万" not in headers[amount[0]]
    return Columns({f: tuple(found[f]) for f in found}, headers, unknown, yuan)


# ---------------------------------------------------------------- values


def text_of(value: Any) -> str | None:
    """A cell as text: stripped, None when empty; a whole number written without its `.0`."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not unicodedata.is_normalized("NFKC", text):  # full-width digits and letters, ideographic spaces
        text = unicodedata.normalize("NFKC", text)
    return text.strip() or None


_EXCEL_EPOCH = datetime(1899, 12, 30)
_FULL = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:[\sT]*(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})?(?:\s*[:：分]\s*(?P<S>\d{1,2}))?\s*[秒分]?)?$"
)
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_NO_YEAR = re.compile(
    r"^(?P<m>\d{1,2})\s*(?:月|/|-)\s*(?P<d>\d{1,2})\s*[日号]?(?:\s*(?P<H>\d{1,2})\s*[:：点]\s*(?P<M>\d{1,2})?\s*分?)?$"
)


@dataclass(frozen=True)
class When:
    at: datetime  # aware, in the reading's time zone
    has_time: bool


def read_date(value: Any, now: datetime, *, past: bool) -> When | None:
    """A date cell; None when empty. A date without a year is the nearest one to `now` (`past`: not after it).
    Raises CellError when the cell is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return _date(value, now, past)
    except ValueError as exc:  # not a date, or none that exists (2026-02-30)
        raise CellError(Problem.BAD_DATE, value) from exc


def _date(value: Any, now: datetime, past: bool) -> When:
    tz = now.tzinfo
    if isinstance(value, datetime):
        return _moment(value, now)
    if isinstance(value, date):
        return When(datetime.combine(value, time(), tz), False)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value), now)
    text = text_of(value) or ""
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
        return _serial(float(text), now)
    m = _FULL.match(text) or _COMPACT.match(text)
    if m:
        parts = m.groupdict()
        hour, minute, second = (int(parts.get(k) or 0) for k in ("H", "M", "S"))
        at = datetime(int(parts["y"]), int(parts["m"]), int(parts["d"]), hour, minute, second, tzinfo=tz)
        return When(at, parts.get("H") is not None)
    m = _NO_YEAR.match(text)
    if m:
        hour, minute = int(m["H"] or 0), int(m["M"] or 0)
        options = [
            datetime(y, int(m["m"]), int(m["d"]), hour, minute, tzinfo=tz) for y in range(now.year - 1, now.year + 2)
        ]
        if past:
            options = [o for o in options if o.date() <= now.date()]
        return When(min(options, key=lambda o: abs(o - now)), m["H"] is not None)
    return _moment(datetime.fromisoformat(text), now)


def _moment(value: datetime, now: datetime) -> When:
    local = value.astimezone(now.tzinfo) if value.tzinfo else value.replace(tzinfo=now.tzinfo)
    return When(local, local.time() != time())


def _serial(days: float, now: datetime) -> When:
    """An Excel serial date (days since 1899-12-30, the fraction the time of day)."""
    if not 20_000 <= days <= 80_000:  # 1954 to 2119: anything else is not a date someone typed
        raise ValueError(f"{days} is no date")
    return _moment(_EXCEL_EPOCH + timedelta(seconds=round(days * 86_400)), now)  # 14:29:59.99 is 14:30


_PHONE_SEPARATORS = re.compile(r"[/,，;；、|]|\s{2,}|或")
_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^(0(?:1\d|2\d|[3-9]\d{2}))(\d{7,8})$")


def read_phone(value: Any) -> str | None:
    """A phone cell as stored: 11 digits for a mobile, 0571-88886666 for a landline; of several numbers the
    first. None when empty; raises CellError when no number in it is a phone."""
    text = text_of(value)
    if text is None:
        return None
    for piece in _PHONE_SEPARATORS.split(text):
        digits = re.sub(r"[\s\-()（）.+]", "", piece.strip())
        digits = "86" + digits[2:] if piece.strip().startswith("+86") else digits
        if m := _MOBILE.match(digits):
            return m[1]
        if m := _LANDLINE.match(digits):
            return f"{m[1]}-{m[2]}"
    raise CellError(Problem.BAD_PHONE, text)


_UNITS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "k": 1_000, "千": 1_000, "元": 1}


def read_amount(value: Any, *, yuan: bool) -> int | None:
    """An amount cell in yuan: 12.5 is 12.5万 (125,000) unless the column says 元; 12.5万, 125000元, 八万 as
    written. None when empty; raises CellError for anything else."""
    if value is None:
        return None
    base = 1 if yuan else 10_000
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * base)
    text = (text_of(value) or "").lower().replace(",", "").replace("¥", "").replace("￥", "")
    if not text:
        return None
    if text.endswith("元"):
        text, base = text[:-1].rstrip("万"), (10_000 if text.endswith("万元") else 1)
    elif text[-1:] in _UNITS:
        base = 1
    number = parse_number(text)
    if number is None or number < 0:
        raise CellError(Problem.BAD_AMOUNT, value)
    return round(number * base)


_TAG_SEPARATORS = re.compile(r"[,，、;；/|\s]+")


def _name_key(text: str) -> str:
    return "".join(text.split()).lower()


@dataclass(frozen=True)
class Names:
    """What a ledger may call each stage (its id, label or a synonym) and each tag (its id or label), looked up
    without case or spaces; built once per import from the rules."""

    stages: dict[str, str]
    tags: dict[str, str]

    @classmethod
    def of(cls, rules: Rules) -> Names:
        stages = {_name_key(n): s.id for s in rules.stages for n in (s.id, s.label, *s.synonyms)}
        tags = {_name_key(n): tag_id for tag_id, label in rules.tag_labels.items() for n in (tag_id, label)}
        return cls(stages, tags)


def read_tags(value: Any, names: Names) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tag ids, words that are no tag) of a tags cell."""
    ids, unknown = [], []
    for word in _TAG_SEPARATORS.split(text_of(value) or ""):
        if word:
            tag = names.tags.get(_name_key(word))
            (ids if tag else unknown).append(tag or word)
    return tuple(dict.fromkeys(ids)), tuple(unknown)


def read_stage(value: Any, names: Names) -> str | None:
    text = text_of(value)
    if text is None:
        return None
    stage = names.stages.get(_name_key(text))
    if stage is None:
        raise CellError(Problem.BAD_STAGE, text)
    return stage


# ---------------------------------------------------------------- rows


@dataclass
class LedgerRow:
    """One data row read; `flaws` say why it cannot be imported (empty: it can)."""

    number: int  # as the spreadsheet shows it (the header row is 1 when it is the first)
    company: str | None = None
    contact: str | None = None
    phone: str | None = None
    owner: str | None = None  # a name or PLATFORM:ID, as written
    stage: str | None = None
    amount: int | None = None
    last_contact: When | None = None
    next_follow_up: When | None = None
    tags: tuple[str, ...] = ()
    unknown_tags: tuple[str, ...] = ()
    note: str | None = None
    flaws: list[Flaw] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.company, self.contact, self.phone, self.owner, self.note, self.tags))


def read_row(number: int, cells: list[Any], columns: Columns, now: datetime, names: Names) -> LedgerRow:
    """The row's values, each read by its column's field; unreadable cells become flaws."""
    row = LedgerRow(number)
    filled: dict[Field, list[tuple[str, Any, str]]] = {}  # field -> (header, cell, its text) of non-empty cells
    for f, indexes in columns.by_field.items():
        for i in indexes:
            if i < len(cells) and (written := text_of(cells[i])) is not None:
                filled.setdefault(f, []).append((columns.headers[i], cells[i], written))

    def text(f: Field) -> str | None:
        return filled[f][0][2] if f in filled else None

    def checked(f: Field, read: Any) -> Any:
        if f not in filled:
            return None
        column, value, written = filled[f][0]
        try:
            return read(value)
        except CellError as exc:
            row.flaws.append(Flaw(exc.problem, column, written))
            return None

    row.company, row.contact, row.owner = text(Field.COMPANY), text(Field.CONTACT), text(Field.OWNER)
    row.phone = checked(Field.PHONE, read_phone)
    row.stage = checked(Field.STAGE, lambda v: read_stage(v, names))
    row.amount = checked(Field.AMOUNT, lambda v: read_amount(v, yuan=columns.yuan))
    row.last_contact = checked(Field.LAST_CONTACT, lambda v: read_date(v, now, past=True))
    row.next_follow_up = checked(Field.NEXT_FOLLOW_UP, lambda v: read_date(v, now, past=False))
    tags = [read_tags(v, names) for _, v, _ in filled.get(Field.TAGS, ())]
    row.tags = tuple(dict.fromkeys(t for ids, _ in tags for t in ids))
    row.unknown_tags = tuple(w for _, words in tags for w in words)
    row.note = "\n".join(written for _, _, written in filled.get(Field.NOTE, ())) or None
    if not row.company and not row.phone and not any(f.problem is Problem.BAD_PHONE for f in row.flaws):
        row.flaws.append(Flaw(Problem.NO_NAME))
    return row
