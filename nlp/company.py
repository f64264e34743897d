"""The customer's company in a note, found by rules: after a known suffix, from a place name, as the first
item of a typed note, or, failing those, before the contact or after a visit word."""

from __future__ import annotations

import re
from itertools import pairwise

from nlp import lexicon as lx
from nlp.entities import CJK, Span
from nlp.scan import Scan

_DEPARTMENT_ENDS = frozenset("部科处室组")
# A place followed by one of these is a location (苏州工业园区, 上海总部), not a company.
_LOCATION_ENDS = ("区", "园", "市", "县", "省", "镇", "路", "街", "村", "总部", "本地")
_FILLERS = ("那个", "这个", "那家", "这家", "一家")
# Where a rep goes that is no customer's name: 去工地量尺寸, 去库里点货, 去现场看看, 去厂里调试.
_WHERE = (
    "工地",
    "现场",
    "库里",
    "仓库",
    "厂里",
    "车间",
    "机房",
    "店里",
    "项目上",
    "办公室",
    "楼上",
    "楼下",
    "隔壁",
    "对面",
)
_CROSSABLE = frozenset("的和")
# Kinds of lexicon words that may stand inside a company name.
_NAME_KINDS = frozenset({lx.SUFFIX, lx.TERM, lx.PLACE, lx.NOT_NEG, lx.PHONE_BLOCK, lx.KNOWN_COMPANY})
# A dictated name after a filler and before 的那个/那边 (呃那个周黑鸭的那个冷库项目, 就是说华润三九那边的采购).
_SPOKEN = re.compile(
    r"(?:那个|就是说|就是|嗯|呃|啊)\s*((?:(?!那个|就是|嗯|呃|啊)[\u4e00-\u9fff]){2,6}?)(?=的那个|那边)"
)


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
        if only_places(scan, start, end):
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


def only_places(scan: Scan, start: int, end: int) -> bool:
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
    right after a visit word (去洛阳一拖; 去常州的东风农机 drops the location joined with 的), unless it is where a
    rep goes (去工地量尺寸)."""
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
        name = text[pos:end]
        if (
            3 <= len(name) <= 10
            and _plausible_name(scan, pos, end)
            and not name.endswith(_LOCATION_ENDS)
            and not name.startswith(_WHERE)
        ):
            return Span(pos, end)
    spoken = [m.span(1) for m in _SPOKEN.finditer(text)]
    for i, (start, end) in enumerate(spoken):
        if i + 1 < len(spoken) and text.startswith("的那个", end) and spoken[i + 1][0] == end + 3:
            continue  # 永康的那个众泰: a location joined with 的
        end = max([h.start for h in scan.hits(lx.PLACE) if h.end == end and h.start > start + 1] or [end])
        if _plausible_name(scan, start, end) and not only_places(scan, start, end):
            return Span(start, end)
    return None


def _name_end(scan: Scan, pos: int) -> int:
    """Where a run of CJK characters from `pos` ends: before a non-CJK character or a lexicon word."""
    end = pos
    while end < len(scan.text) and CJK.match(scan.text[end]) and not _hit_starts_at(scan, end):
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
    if not 2 <= len(name) <= 12 or department or not all(CJK.match(ch) for ch in name):
        return False
    return not any(
        start <= h.start and h.end <= end and not (kind == lx.COMPANY_STOP and start < h.start == h.end - 1 < end - 1)
        for kind, hits in scan.all_hits()
        if kind not in _NAME_KINDS
        for h in hits
    )


def _name_char(ch: str) -> bool:
    return bool(CJK.match(ch)) or (ch.isascii() and ch.isalpha())
