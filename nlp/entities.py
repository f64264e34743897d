"""Entities in a note: phone, amount, company, contact and activity type."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from nlp import lexicon as lx
from nlp.numbers import PHONE_DIGITS, parse_number
from nlp.scan import Scan
from nlp.tags import is_cancelled

_PHONE = re.compile(r"(?<![0-9a-z])(?:\+?86[-\s]?|0086[-\s]?)?(1[-\s]?[3-9](?:[-\s.]?[0-9]){9})(?![0-9a-z])")
_CJK_NUMERAL = "零〇一二两三四五六七八九十百千"
_AMOUNT = re.compile(
    rf"([¥￥]\s?)?(?<![0-9.,a-z])((?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|[{_CJK_NUMERAL[:-2]}][{_CJK_NUMERAL}万亿]*)"
    r"(?:[多余来]?(?:千万|百万|[万亿千wk]))?(?:\d+(?:\.\d+)?|[一二两三四五六七八九])?(?:[多余来]?[万亿])?)"
    r"([多余来])?(?:\s?(块钱|元|块|rmb))?"
)
_MONEY_UNITS = frozenset("万亿千wk")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NAME_STOPS = frozenset("说电手的是在要和跟觉表反讲问想也都很对讲称加回发打聊约")
_TIME_WORDS = frozenset(a + b for a in "今明后上下" for b in "天午周个年晚早")
_DEPARTMENT_ENDS = frozenset("部科处室组")
# A place followed by one of these is a location (苏州工业园区, 上海总部), not a company.
_LOCATION_ENDS = ("区", "园", "市", "县", "省", "镇", "路", "街", "村", "总部", "本地")
_FILLERS = ("那个", "这个", "那家", "这家", "一家")
_CROSSABLE = frozenset("的和")
# Kinds of lexicon words that may stand inside a company name.
_NAME_KINDS = frozenset({lx.SUFFIX, lx.TERM, lx.PLACE, lx.NOT_NEG, lx.PHONE_BLOCK, lx.KNOWN_COMPANY})
# Text right before the company that makes the note a visit: 去双汇发展, 去那个常熟的波司登.
# A dictated name after a filler and before 的那个/那边 (呃那个周黑鸭的那个冷库项目, 就是说华润三九那边的采购).
_SPOKEN = re.compile(
    r"(?:那个|就是说|就是|嗯|呃|啊)\s*((?:(?!那个|就是|嗯|呃|啊)[\u4e00-\u9fff]){2,6}?)(?=的那个|那边)"
)
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
        if scan.near_before(lx.DIFFERENCE, m.start(), 1) or scan.near_before(lx.UNIT_PRICE, m.start(), 3):
            continue
        if scan.near_after(lx.UNIT_PRICE, m.end(), 1):
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


def find_company(scan: Scan, lexicon: lx.Lexicon) -> Span | None:
    """The customer company as written: a name running back from a suffix (机械, 有限公司, 医院) to a
    stop word, punctuation or a digit, and on to a later suffix in the same run (…大学附属第一医院).
    A location joined with 的 is left out; a competitor's or system's name is skipped."""
    text = scan.text
    suffixes = scan.hits(lx.SUFFIX)
    stop_ends = _stop_ends(scan)
    for h in suffixes:
        start = h.start
        start = _walk_back(text, h.start, stop_ends)
        if h.start - start < 2 or scan.near_before(lx.NOT_CUSTOMER, start, 3):
            continue
        end = h.end
        for later in suffixes:
            gap = text[end : later.start]
            joined = len(gap) <= 8 and all(map(_name_char, gap))
            if later.end > end and joined and not any(end < s <= later.start for s in stop_ends):
                end = later.end
        return Span(start, end)
    return None


def find_place_company(scan: Scan, lexicon: lx.Lexicon) -> Span | None:
    """A company name without a known suffix that starts with a place (苏州博众精工, 北京四维图新): it runs
    to a space, punctuation, a stop or other lexicon word, or the contact (…王总). A place alone or a
    location (苏州工业园区) gives the name after it when joined with 的 (常熟的波司登, 福州的那个新大陆)
    or, in a typed note, the next item (佛山顺德 美的厨热 采购 …) of at least three characters."""
    places = scan.hits(lx.PLACE)
    if not places:
        return None
    text = scan.text
    stop_ends = _stop_ends(scan)
    blocked = _blocked_starts(scan)
    place_ends: dict[int, int] = {}
    for h in places:
        place_ends[h.start] = max(h.end, place_ends.get(h.start, 0))
    for h in places:
        if h.start > 0 and _name_char(text[h.start - 1]) and h.start not in stop_ends:
            continue
        if scan.near_before(lx.NOT_CUSTOMER, h.start, 3):
            continue
        rest = h.end
        while rest in place_ends:
            rest = place_ends[rest]
        end = _run_end(scan, lexicon, h.start, blocked)
        name = text[rest:end]
        if len(name) >= 2 and not name.endswith(_LOCATION_ENDS):
            after = _after_de(scan, lexicon, end, blocked)
            return after if after and len(name) <= 3 else Span(h.start, end)
        if name:
            continue
        joined = text[end : end + 1] == "的"
        if joined or text[end : end + 1] == " ":
            pos = _skip_fillers(text, end + 1)
            after = Span(pos, _run_end(scan, lexicon, pos, blocked))
            least = 2 if joined else 3
            item = joined or text[after.end : after.end + 1] in ("", " ")
            if item and least <= after.end - after.start <= 10 and _plausible_name(scan, after.start, after.end):
                return after
    return None


def _after_de(scan: Scan, lexicon: lx.Lexicon, end: int, blocked: frozenset[int]) -> Span | None:
    """The name of at least three characters after a 的 at `end` (湖州南浔的 大亚木业), not a contact."""
    text = scan.text
    if text[end : end + 1] != "的":
        return None
    pos = _skip_fillers(text, end + 1)
    if lexicon.titled_name.match(text, pos):
        return None
    after = Span(pos, _run_end(scan, lexicon, pos, blocked))
    if 3 <= after.end - after.start <= 10 and _plausible_name(scan, after.start, after.end):
        return after
    return None


def choose_company(scan: Scan, suffixed: Span | None, placed: Span | None) -> Span | None:
    """The earlier of the two names; at the same start the longer, unless what it adds is a department
    (武汉长江医院设备科 → 武汉长江医院)."""
    if suffixed is None or placed is None:
        return suffixed or placed
    if placed.start != suffixed.start:
        return placed if placed.start < suffixed.start else suffixed
    longer, shorter = (placed, suffixed) if placed.end > suffixed.end else (suffixed, placed)
    department = scan.text[longer.end - 1] in _DEPARTMENT_ENDS
    return shorter if department and not any(h.end == longer.end for h in scan.hits(lx.SUFFIX)) else longer


def _run_end(scan: Scan, lexicon: lx.Lexicon, pos: int, blocked: frozenset[int]) -> int:
    """Where a name from `pos` ends: at most 12 characters, before a character that is not CJK or a
    letter, a lexicon word that cannot stand in a name, or a contact (王总)."""
    text = scan.text
    end = pos
    while end < len(text) and end - pos < 12 and _name_char(text[end]) and end not in blocked:
        if end > pos and lexicon.titled_name.match(text, end):
            break
        end += 1
    return end


def _skip_fillers(text: str, pos: int) -> int:
    """`pos` moved past spaces and filler words (那个, 这家)."""
    moved = True
    while moved:
        moved = False
        while text[pos : pos + 1] == " ":
            pos, moved = pos + 1, True
        for filler in _FILLERS:
            if text.startswith(filler, pos):
                pos, moved = pos + len(filler), True
    return pos


def _blocked_starts(scan: Scan) -> frozenset[int]:
    return frozenset(h.start for kind, hits in scan.all_hits() if kind not in _NAME_KINDS for h in hits)


def find_header_company(scan: Scan, lexicon: lx.Lexicon, contact: Span | None, *, strict: bool = False) -> Span | None:
    """The first item of a typed note when it looks like a name (伊利 牛经理 …, 北京字节跳动 HR …):
    2-12 CJK characters holding no lexicon word, followed by more items, and either followed by the
    contact, a role or a part of the company (美团 到店事业部, 晶科光伏 嘉兴基地) or (unless `strict`, when a
    company was found elsewhere) at least four characters long. An item that is the contact is skipped."""
    segments = [m.span() for m in re.finditer(r"\S+", scan.text)]
    for (start, end), (next_start, next_end) in pairwise(segments[:3]):
        if contact and (start, end) == (contact.start, contact.end):
            continue
        followed = (
            (contact and contact.start == next_start)
            or any(h.start == next_start for h in scan.hits(lx.NAME_CUE))
            or _is_unit(scan, lexicon, next_start, next_end)
        )
        if _only_places(scan, start, end):
            return None
        if _plausible_name(scan, start, end) and (followed or (not strict and end - start >= 4)):
            return Span(start, end)
        return None
    return None


def _is_unit(scan: Scan, lexicon: lx.Lexicon, start: int, end: int) -> bool:
    """True when text[start:end] names a part of a company or a role in it: it ends with a word of
    `company_units` (嘉兴基地, 鞋服供应链), a department character (采购部) or a role (工程负责人, 的采购)."""
    item = scan.text[start:end]
    if not item or item.endswith(lexicon.company_units) or item[-1] in _DEPARTMENT_ENDS:
        return bool(item)
    return any(h.end == end and h.start >= start for h in scan.hits(lx.NAME_CUE))


def _only_places(scan: Scan, start: int, end: int) -> bool:
    """True when text[start:end] is a run of place names (佛山顺德)."""
    ends: dict[int, int] = {}
    for h in scan.hits(lx.PLACE):
        ends[h.start] = max(h.end, ends.get(h.start, 0))
    while start in ends and start < end:
        start = ends[start]
    return start == end


def find_company_fallback(scan: Scan, lexicon: lx.Lexicon, contact: Span | None) -> Span | None:
    """A company name without a known suffix: written right before the contact (跟萧山传化的牛总), also
    across a role or a part of the company between them (跟 海底捞 的采购 韦经理, 蔚来 的 供应链 何经理), or
    right after a visit word (去洛阳一拖; 去常州的东风农机 drops the location joined with 的)."""
    text = scan.text
    if contact:
        end = len(text[: contact.start].rstrip())
        item = end - len(text[:end].split()[-1]) if text[:end].split() else end
        if item < end and _is_unit(scan, lexicon, item, end):
            cue = [h.start for h in scan.hits(lx.NAME_CUE) if h.end == end and h.start >= item]
            unit_start = min(cue) if cue else item
            if text[unit_start - 1 : unit_start] == "的" or unit_start == item:
                end = len(text[:unit_start].rstrip())
        if text[end - 1 : end] == "的":
            end = len(text[: end - 1].rstrip())
        start = _walk_back(text, end, _stop_ends(scan))
        if _plausible_name(scan, start, end):
            return Span(start, end)
    visits = [h.end for h in scan.hits(lx.ACTIVITY) if h.payload == "visit"]
    visits += [m.end() for m in re.finditer("去", text)]
    for pos in sorted(visits):
        pos = _skip_fillers(text, pos)
        end = _name_end(scan, pos)
        if text[end : end + 1] == "的" and _name_end(scan, _skip_fillers(text, end + 1)) > end + 1:
            pos = _skip_fillers(text, end + 1)
            end = _name_end(scan, pos)
        if 3 <= end - pos <= 10 and _plausible_name(scan, pos, end) and not text[pos:end].endswith(_LOCATION_ENDS):
            return Span(pos, end)
    spoken = [m.span(1) for m in _SPOKEN.finditer(text)]
    for i, (start, end) in enumerate(spoken):
        if i + 1 < len(spoken) and text.startswith("的那个", end) and spoken[i + 1][0] == end + 3:
            continue  # 永康的那个众泰: a location joined with 的
        end = max([h.start for h in scan.hits(lx.PLACE) if h.end == end and h.start > start + 1] or [end])
        if _plausible_name(scan, start, end) and not _only_places(scan, start, end):
            return Span(start, end)
    return None


def _name_end(scan: Scan, pos: int) -> int:
    """Where a run of CJK characters from `pos` ends: before a non-CJK character or a lexicon word."""
    end = pos
    while end < len(scan.text) and _CJK.match(scan.text[end]) and not _hit_starts_at(scan, end):
        end += 1
    return end


def _stop_ends(scan: Scan) -> dict[int, int]:
    """Where a company name cannot run back across: the end of a stop, activity or clause-break word
    (电联, 结果), with that word's length."""
    return {h.end: h.end - h.start for kind in (lx.COMPANY_STOP, lx.ACTIVITY, lx.BREAK) for h in scan.hits(kind)}


def _walk_back(text: str, end: int, stop_ends: dict[int, int]) -> int:
    """Where a name ending at `end` starts: at most 12 name characters back, up to a stop word. A
    crossable stop (的, 和) is crossed while the name is still shorter than two (佛山美的集团, 北京协和医院)."""
    start = end
    while start > 0 and end - start < 12 and _name_char(text[start - 1]):
        if start in stop_ends and (end - start >= 2 or text[start - 1] not in _CROSSABLE):
            break
        start -= 1
    return start


def _hit_starts_at(scan: Scan, pos: int) -> bool:
    return any(h.start == pos for kind, hits in scan.all_hits() if kind not in _NAME_KINDS for h in hits)


def _plausible_name(scan: Scan, start: int, end: int) -> bool:
    """2-12 CJK characters, not a short department name (采购部, 设备科), holding no other lexicon word."""
    name = scan.text[start:end]
    department = 0 < len(name) <= 4 and name[-1] in _DEPARTMENT_ENDS
    if not 2 <= len(name) <= 12 or department or not all(_CJK.match(ch) for ch in name):
        return False
    return not any(
        start <= h.start and h.end <= end and not (kind == lx.COMPANY_STOP and start < h.start == h.end - 1 < end - 1)
        for kind, hits in scan.all_hits()
        if kind not in _NAME_KINDS
        for h in hits
    )


def _name_char(ch: str) -> bool:
    return bool(_CJK.match(ch)) or (ch.isascii() and ch.isalpha())


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
    if phone:
        end = phone.start
        while end > 0 and text[end - 1] == " ":
            end -= 1
        for length in (3, 2):
            start = end - length
            if start >= 0 and (start == 0 or not _CJK.match(text[start - 1])):
                span = _full_name_at(text, start, lexicon)
                if span and span.end == end:
                    return span
    return None


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
        if not _CJK.match(text[i]) or text[i] in _NAME_STOPS or text[i : i + 2] in _TIME_WORDS:
            break
        given += text[i]
    name = surname + given
    if not given or name in lexicon.not_names or name[:2] in lexicon.not_names:
        return None
    return Span(start, start + len(name))


def find_activity(scan: Scan, lexicon: lx.Lexicon, company: Span | None) -> str:
    """The activity type of the first activity word in the note (`order` breaks ties); else visit
    when the company follows 去/到 (去双汇发展), else other. A word that labels a number (电话 139…,
    微信号) or stands inside a tag keyword (签了 in 签了别家) is no activity."""
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
        return best[2]
    before = scan.text[max(0, company.start - 10) : company.start] if company else ""
    return "visit" if _VISITED.search(before) else "other"
