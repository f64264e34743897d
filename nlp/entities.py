"""Entities in a note: phone, amount, company, contact and activity type."""

from __future__ import annotations

import re
from itertools import pairwise

from nlp import lexicon as lx
from nlp.numbers import PHONE_DIGITS, parse_number
from nlp.scan import Scan
from nlp.tags import is_cancelled

_PHONE = re.compile(r"(?<![0-9a-z])(?:\+?86[-\s]?|0086[-\s]?)?(1[-\s]?[3-9](?:[-\s.]?[0-9]){9})(?![0-9a-z])")
_CJK_NUMERAL = "零〇一二两三四五六七八九十百千"
_AMOUNT = re.compile(
    rf"(?<![0-9.a-z])((?:\d+(?:\.\d+)?|[{_CJK_NUMERAL[:-2]}][{_CJK_NUMERAL}万亿]*)"
    r"(?:[多余来]?(?:千万|百万|[万亿千wk]))?(?:\d+(?:\.\d+)?|[一二两三四五六七八九])?(?:[多余来]?[万亿])?)"
    r"([多余来])?(块钱|元|块|rmb)?"
)
_MONEY_UNITS = frozenset("万亿千wk")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NAME_STOPS = frozenset("说电手的是在要和跟今明下上觉表反讲问想也都很对讲称加回发打聊约")


def find_phone(scan: Scan, lexicon: lx.Lexicon) -> str | None:
    """The customer's mobile number as 11 digits; the one after a correction (说错了，是…) wins."""
    digits = scan.text.translate(PHONE_DIGITS)
    phones: list[tuple[int, str]] = []
    for m in _PHONE.finditer(digits):
        if scan.near_before(lx.PHONE_BLOCK, m.start(), 8):
            continue
        phones.append((m.start(), re.sub(r"\D", "", m.group(1))))
    if not phones:
        return None
    corrections = [h.start for h in scan.hits(lx.CORRECTION)]
    chosen = phones[0][1]
    for (prev_start, _), (start, number) in pairwise(phones):
        if any(prev_start < c < start for c in corrections):
            chosen = number
    return chosen


def find_amount(scan: Scan, lexicon: lx.Lexicon) -> int | float | None:
    """The deal, budget or quote amount in yuan; not unit prices, price differences or quantities."""
    text = scan.text
    candidates: list[tuple[bool, int | float]] = []
    for m in _AMOUNT.finditer(text):
        body, currency = m.group(1), m.group(3)
        if not currency and not _MONEY_UNITS.intersection(body[1:]):
            continue
        after = text[m.end() : m.end() + 1]
        if (after.isascii() and after.isalpha()) or (not currency and after in lexicon.quantity_units):
            continue
        if scan.near_before(lx.DIFFERENCE, m.start(), 1) or scan.near_before(lx.UNIT_PRICE, m.start(), 3):
            continue
        if scan.near_after(lx.UNIT_PRICE, m.end(), 1):
            continue
        value = parse_number(body)
        if not value:
            continue
        cued = scan.near_before(lx.AMOUNT_CUE, m.start(), 6) is not None
        candidates.append((cued, int(value) if value == int(value) else round(value, 2)))
    for cued, value in candidates:
        if cued:
            return value
    return candidates[0][1] if candidates else None


def find_company(scan: Scan, lexicon: lx.Lexicon) -> str | None:
    """The customer company as written: a name running back from a suffix (机械, 有限公司, 医院) to a
    stop word, punctuation or a digit; a location joined with 的 is left out. Competitors are skipped."""
    text = scan.text
    suffixes = scan.hits(lx.SUFFIX)
    ends = {}
    for h in suffixes:
        ends[h.start] = max(ends.get(h.start, h.end), h.end)
    stop_ends = {h.end for h in scan.hits(lx.COMPANY_STOP)}
    seen_end = -1
    for h in suffixes:
        if h.start < seen_end:
            continue
        end = ends[h.start]
        while end in ends:
            end = ends[end]
        seen_end = end
        start = h.start
        while start > 0 and h.start - start < 12 and start not in stop_ends and _name_char(text[start - 1]):
            start -= 1
        if h.start - start < 2 or scan.near_before(lx.NOT_CUSTOMER, start, 3):
            continue
        return text[start:end]
    return None


def _name_char(ch: str) -> bool:
    return bool(_CJK.match(ch)) or (ch.isascii() and ch.isalpha())


def find_contact(scan: Scan, lexicon: lx.Lexicon) -> str | None:
    """The contact as the rep refers to them: 王总, 钱工, 老胡, 小李, or a full name after 联系人 or
    right before a phone number. A bare role (采购) is no name."""
    text = scan.text
    for i in range(len(text)):
        surname = _surname_at(text, i, lexicon)
        if not surname:
            continue
        rest = i + len(surname)
        for title in lexicon.titles:
            if text.startswith(title, rest) and (surname + title) not in lexicon.not_names:
                word = text[rest : rest + len(title) + 1]
                if len(title) == 1 and word in lexicon.not_names:
                    break
                return surname + title
    for i in range(len(text) - 1):
        if text[i] in "老小" and _surname_at(text, i + 1, lexicon) and text[i : i + 2] not in lexicon.not_names:
            return text[i : i + 2]
    for cue in scan.hits(lx.NAME_CUE):
        start = cue.end + (1 if text[cue.end : cue.end + 1] in (":", "是", "叫", "为", " ") else 0)
        name = _full_name_at(text, start, lexicon)
        if name:
            return name
    return None


def _surname_at(text: str, i: int, lexicon: lx.Lexicon) -> str | None:
    for compound in lexicon.compound_surnames:
        if text.startswith(compound, i):
            return compound
    return text[i] if text[i : i + 1] in lexicon.surnames else None


def _full_name_at(text: str, start: int, lexicon: lx.Lexicon) -> str | None:
    surname = _surname_at(text, start, lexicon)
    if not surname:
        return None
    given_start = start + len(surname)
    given = ""
    for ch in text[given_start : given_start + 2]:
        if not _CJK.match(ch) or ch in _NAME_STOPS:
            break
        given += ch
    return surname + given if given else None


def find_activity(scan: Scan, lexicon: lx.Lexicon) -> str:
    """The activity type of the first activity word in the note (`order` breaks ties); else other."""
    best: tuple[int, int, str] | None = None
    for h in scan.hits(lx.ACTIVITY):
        if is_cancelled(scan, lexicon, h.start, h.end):
            continue
        key = (h.start, lexicon.activity_order.index(h.payload), h.payload)
        if best is None or key < best:
            best = key
    return best[2] if best else "other"
