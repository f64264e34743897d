"""Entities in a note: phone, amount, contact and activity type (the company is read in nlp.company)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from nlp import lexicon as lx
from nlp.numbers import PHONE_DIGITS, parse_number
from nlp.scan import Scan
from nlp.tags import is_cancelled

_PHONE = re.compile(r"(?<![0-9a-z])(?:\+?86[-\s]?|0086[-\s]?)?(1[-\s]?[3-9](?:[-\s.]?[0-9]){9})(?![0-9a-z])")
_CJK_NUMERAL = "零〇一二两三四五六七八九十百千"
_AMOUNT = re.compile(
    rf"([¥￥]\s?)?(?<![0-9.a-z])(?<![0-9],)((?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|[{_CJK_NUMERAL[:-2]}][{_CJK_NUMERAL}万亿]*)"
    r"(?:[多余来]?(?:千万|百万|[万亿千])(?:\d+(?:\.\d+)?|[一二两三四五六七八九])?|[多余来]?[wk]\d*)?(?:[多余来]?[万亿])?)"
    r"([多余来])?(?:\s?(块钱|元|块|rmb))?"
)
_MONEY_UNITS = frozenset("万亿千wk")
# What may follow 块 when it is money (三十块钱, 四块五, 五十块左右); before anything else 块 counts things (四块电池).
_AFTER_KUAI = frozenset("钱零一二两三四五六七八九十多左上以的")
CJK = re.compile(r"[\u4e00-\u9fff]")
_NAME_STOPS = frozenset("说电手的是在要和跟觉表反讲问想也都很对讲称加回发打聊约")
_TIME_WORDS = frozenset(a + b for a in "今明后上下" for b in "天午周个年晚早")
# Text right before the company that makes the note a visit: 去双汇发展, 去那个常熟的波司登.
_VISITED = re.compile(r"(?:去了?|到)\s*(?:那个|这个)?(?:\w{2,6}的)?\s*$")
_LABEL_AFTER = re.compile(r"\s*(?:[0-9:号是+]|[零一二三四五六七八九幺]{3})")


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def text(self, scan: Scan) -> str:
        """The span as the rep wrote it (full-width and case kept)."""
        return scan.raw[self.start : self.end]


def find_phone(scan: Scan, lexicon: lx.Lexicon) -> Span | None:
    """The customer's mobile number (its span in the note); the one after a correction (说错了，是…)
    wins. Numbers after a waybill, order or ID word are skipped."""
    digits = scan.text.translate(PHONE_DIGITS)
    phones = [
        Span(m.start(), m.end()) for m in _PHONE.finditer(digits) if not scan.near_before(lx.PHONE_BLOCK, m.start(), 8)
    ]
    if not phones:
        return None
    corrections = [h.start for h in scan.hits(lx.CORRECTION)]
    chosen = phones[0]
    for prev, span in pairwise(phones):
        if any(prev.start < c < span.start for c in corrections):
            chosen = span
    return chosen


def phone_digits(scan: Scan, span: Span) -> str:
    """The 11 digits of a phone span (drops +86, spaces and dashes; reads 一五八 and 幺)."""
    return re.sub(r"\D", "", scan.text[span.start : span.end].translate(PHONE_DIGITS))[-11:]


def _per_unit(text: str, start: int, end: int, lexicon: lx.Lexicon) -> bool:
    """A price per thing: 每亩7元, 4.8k一块, 5.9万/台 (每, 单, 一 or / with a measure word of `quantity_units`)."""
    after, before = _per_unit_patterns(lexicon.quantity_units)
    return bool(after.match(text, end) or before.search(text[max(0, start - 3) : start]))


@cache
def _per_unit_patterns(quantity_units: frozenset[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The patterns `_per_unit` looks for after and before an amount, built once per lexicon."""
    units = re.escape("".join(sorted(quantity_units | {"亩", "块"})))
    return re.compile(rf"\s?(?:每|一|/)[{units}]"), re.compile(rf"(?:每|单)[{units}]\s?$")


def find_amount(scan: Scan, lexicon: lx.Lexicon) -> int | float | None:
    """The deal, budget or quote amount in yuan; not unit prices, price differences or quantities.
    The last amount after a cue word (预算, 合同, 压到) wins, else the first amount."""
    text = scan.text
    candidates: list[tuple[bool, int | float]] = []
    for m in _AMOUNT.finditer(text):
        body, currency = m.group(2), m.group(1) or m.group(4)
        if not currency and not _MONEY_UNITS.intersection(body[1:]):
            continue
        after = text[m.end() : m.end() + 1]
        if (after.isascii() and after.isalpha()) or (not currency and after in lexicon.quantity_units):
            continue
        if currency == "块" and CJK.match(after) and after not in _AFTER_KUAI:
            continue  # 四块电池: 块 counts the batteries
        if scan.near_before(lx.DIFFERENCE, m.start(), 1) or scan.near_before(lx.UNIT_PRICE, m.start(), 3):
            continue
        if scan.near_after(lx.UNIT_PRICE, m.end(), 1) or _per_unit(text, m.start(), m.end(), lexicon):
            continue
        value = parse_number(body.replace(",", ""))
        if not value:
            continue
        cued = scan.near_before(lx.AMOUNT_CUE, m.start(), 6) is not None
        candidates.append((cued, int(value) if value == int(value) else round(value, 2)))
    cued_values = [value for cued, value in candidates if cued]
    if cued_values:
        return cued_values[-1]
    return candidates[0][1] if candidates else None


def find_contact(scan: Scan, lexicon: lx.Lexicon, company: Span | None, phone: Span | None) -> Span | None:
    """The contact as the rep refers to them: 王总, 钱工, 老胡, 小李, a full name after a cue
    (联系人刘洋, 产品经理吴倩) or right before the phone number. A bare role (采购) is no name; a
    match inside the company name (柳工 in 广西柳工机械) is none."""
    text = scan.text

    def outside(span: Span) -> bool:
        return not (company and company.start <= span.start < company.end)

    m = lexicon.titled_name.search(text)
    while m:
        surname, title = m.group("surname"), m.group("title")
        span = Span(m.start(), m.end())
        single_title_word = len(title) == 1 and text[span.start + len(surname) : span.end + 1] in lexicon.not_names
        if m.group() not in lexicon.not_names and not single_title_word and outside(span):
            return span
        m = lexicon.titled_name.search(text, m.start() + 1)
    for i in range(len(text) - 1):
        span = Span(i, i + 2)
        nickname = text[i] in "老小" and _surname_at(text, i + 1, lexicon)
        if nickname and text[i : i + 2] not in lexicon.not_names and outside(span):
            return span
    for cue in scan.hits(lx.NAME_CUE):
        start = cue.end + (1 if text[cue.end : cue.end + 1] in (":", "是", "叫", "为", " ") else 0)
        span = _full_name_at(text, start, lexicon)
        if span and outside(span):
            return span
    for m in _ENGLISH_NAME.finditer(scan.raw):
        group = "met" if m.group("met") else "said"
        if outside(span := Span(m.start(group), m.end(group))):
            return span
    if phone:
        end = phone.start
        while end > 0 and text[end - 1] == " ":
            end -= 1
        for length in (3, 2):
            start = end - length
            if start >= 0 and (start == 0 or not CJK.match(text[start - 1])):
                span = _full_name_at(text, start, lexicon)
                if span and span.end == end:
                    return span
    return None


# An English name as reps write it, capitalised, with what the person says or does right after it, or a meeting
# word before it (Max说先试做两周, Coco查收下, 见了Vivian): not POC or KOL, which are all capitals.
_ENGLISH_NAME = re.compile(
    r"(?:见了|跟|和|打给|约了|联系)\s?(?P<met>[A-Z][a-z]{1,11})(?![A-Za-z])"
    r"|(?<![A-Za-z])(?P<said>[A-Z][a-z]{1,11})(?=\s?(?:说|讲|问|回|觉得|反馈|答应|同意|查收|那边|确认|要))"
)


def _surname_at(text: str, i: int, lexicon: lx.Lexicon) -> str | None:
    for compound in lexicon.compound_surnames:
        if text.startswith(compound, i):
            return compound
    return text[i] if text[i : i + 1] in lexicon.surnames else None


def _full_name_at(text: str, start: int, lexicon: lx.Lexicon) -> Span | None:
    surname = _surname_at(text, start, lexicon)
    if not surname:
        return None
    given_start = start + len(surname)
    given = ""
    for i in range(given_start, min(given_start + 2, len(text))):
        if not CJK.match(text[i]) or text[i] in _NAME_STOPS or text[i : i + 2] in _TIME_WORDS:
            break
        given += text[i]
    name = surname + given
    if not given or name in lexicon.not_names or name[:2] in lexicon.not_names:
        return None
    return Span(start, start + len(name))


def find_activity(scan: Scan, lexicon: lx.Lexicon, company: Span | None) -> tuple[str, int]:
    """The activity type of the first activity word in the note (`order` breaks ties) and where that word
    starts; else visit when the company follows 去/到 (去双汇发展), else other, at -1. A word that labels a
    number (电话 139…, 微信号) or stands inside a tag keyword (签了 in 签了别家) is no activity."""
    best: tuple[int, int, str] | None = None
    tag_hits = scan.hits(lx.TAG)
    for h in scan.hits(lx.ACTIVITY):
        if any(t.start <= h.start and h.end <= t.end and t.end - t.start > h.end - h.start for t in tag_hits):
            continue
        labels_number = h.word in lexicon.activity_labels and _LABEL_AFTER.match(scan.text, h.end)
        if labels_number or is_cancelled(scan, lexicon, h.start, h.end):
            continue
        key = (h.start, lexicon.activity_order.index(h.payload), h.payload)
        if best is None or key < best:
            best = key
    if best:
        return best[2], best[0]
    before = scan.text[max(0, company.start - 10) : company.start] if company else ""
    return ("visit" if _VISITED.search(before) else "other"), -1
