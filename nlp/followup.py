"""The follow-up time of a note, relative to the note's `now` (weeks start on Monday).

A small rule grammar finds date phrases (明天, 下周三, 3天后, 48小时内, 月底前, 下月15号, 1月5日) and
times of day (下午三点, 今晚8点, 10:30, 上午); each date is resolved against `now`. Dates that are past,
today without a time (今天拜访 is the visit, not the follow-up), or next to a delivery or tender word are
dropped; a date after a reschedule word (改到) wins; otherwise the first remaining date is the follow-up.

With a trained model, a learned judge (`nlp.model.LinearHead`, trained on the corpus's follow-up labels)
decides instead which dates are follow-ups, from the words around each date and the rules' verdicts
(`date_features`): reps say a delivery, a payment or an installation in more ways than a word list holds
(首款下周一打, 明天装, 苏总的试用车周一到).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from nlp import lexicon as lx
from nlp.numbers import small_int
from nlp.scan import BOUNDARY_CHARS, Scan

# The judge of dates: the probability that a date the note names is its follow-up, from `date_features`.
DateJudge = Callable[[list[str]], float]
# A date is a follow-up when the judge gives it at least this probability.
DATE_THRESHOLD = 0.5
_DATE_KINDS = ("rel", "wk", "off", "pass", "md", "me", "ye")

_NUM = r"(?:\d{1,2}|[零一二两三四五六七八九十]{1,3})"
_PERIOD = r"凌晨|一早|早上|早晨|朝早|上午|中午|午饭后|下午|下昼|晏昼|傍晚|下班前|晚上|夜里"
_DATE = re.compile(
    r"(?<![0-9])(?:"
    r"(?P<rel>大后天|后天|明天|明日|明儿|明早|明晚|听日|听朝|今天|今日|今儿|今早|今晚|今夜)"
    r"|(?P<wk>(?P<wkp>下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<wkd>[一二三四五六日天1-7]))"
    rf"|(?P<off>(?P<offn>{_NUM}|半|几)个?(?P<offu>工作日|天|日|周|星期|礼拜|月|小时|钟头)"
    r"(?P<offd>之后|以后|后|之内|以内|内))"
    rf"|(?P<pass>过(?P<passn>{_NUM}|几)天)"
    rf"|(?<![小大加])(?P<md>(?:(?P<mdy>今年|明年)?(?P<mdm>{_NUM}|下个?|这个?|本)月)?(?P<mdd>{_NUM})(?:号|日)(?![店楼线机位门库厅仓诊室车]))"
    r"|(?P<me>(?P<mep>下个?|这个?|本)?月(?:底|末))"
    r"|(?P<ye>(?:今年)?年(?:底|末))"
    r")"
)
_TIME = re.compile(
    rf"\s?(?P<per>{_PERIOD}|晚|早)?\s?(?:(?P<h>{_NUM})(?:点|:|：)(?:(?P<half>半)|(?P<q>一刻|三刻)"
    rf"|(?P<min>\d{{2}}|{_NUM})分?)?(?P<zhong>钟)?)?"
)
# A clock time on its own (no date before it) must state the hour.
_CLOCK = re.compile(
    rf"(?P<per>{_PERIOD}|晚|早)?\s?(?P<h>{_NUM})(?:点|:|：)(?:(?P<half>半)|(?P<q>一刻|三刻)"
    rf"|(?P<min>\d{{2}}|{_NUM})分?)?(?P<zhong>钟)?"
)
# What may stand between a date and the word that makes it a deadline: 1月10号前 付清尾款.
_DEADLINE_GAP = re.compile(r"\s?(?:之前|以前|前)?\s?")
_WEEKDAYS = {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6} | {str(i + 1): i for i in range(7)}
_EVENING = ("下午", "傍晚", "晚上", "晚", "夜里", "今晚", "明晚", "今夜")


@dataclass(frozen=True)
class FollowUp:
    at: datetime | None
    has_time: bool
    vague: bool


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    day: date | None
    at: datetime | None
    has_time: bool
    # A bare weekday that is today or already past this week, read as next week's.
    rolled: bool = False
    # Which form of date it is: a group name of _DATE, "clock" or "period".
    kind: str = "period"


def find_follow_up(scan: Scan, lexicon: lx.Lexicon, now: datetime, judge: DateJudge | None = None) -> FollowUp:
    """The note's follow-up: the rules decide which dates are follow-ups, or `judge` when given."""
    found = _candidates(scan, lexicon, now)
    uncorrected = _uncorrected(found, scan)
    if judge is None:
        candidates = [c for c in uncorrected if _is_follow_up(c, scan, now)]
    else:
        candidates = [c for c, f in _judged(uncorrected, scan, now) if _judge_keeps(judge, c, f, scan, now)]
    if found and not candidates:
        # Every day named is past, a deadline or a delivery: a part of the day alone (下午给她发报价) is today's.
        candidates = [c for c in _bare_periods(scan.text, lexicon, now, found) if _is_follow_up(c, scan, now)]
    chosen = None
    for c in candidates:
        if scan.near_before(lx.RESCHEDULE, c.start, 2):
            chosen = c
    if chosen is None and candidates:
        cued = [c for c in candidates if _has_cue(scan, c)]
        chosen = (cued or candidates)[0]
    if chosen is not None:
        return FollowUp(chosen.at, chosen.has_time, False)
    spans = [(c.start, c.end) for c in found]
    vague = any(
        not any(s <= h.start < e for s, e in spans) and not scan.near_after(lx.NOT_FOLLOW_UP, h.end, 4)
        for h in scan.hits(lx.VAGUE)
    )
    return FollowUp(None, False, vague)


# How far apart a date and the one a rep corrects it to may be (明天 不对 后天上午; 下个礼拜一 不对 是礼拜二).
_CORRECTION_GAP = 12


def _uncorrected(found: list[_Candidate], scan: Scan) -> list[_Candidate]:
    """The dates without those the rep took back: a date followed by a correction word and then another
    date (周四 不对 他说周五) is replaced by the later one."""
    corrections = [h.start for h in scan.hits(lx.CORRECTION)]
    if not corrections or len(found) < 2:
        return found
    return [
        c
        for c, d in zip(found, [*found[1:], None], strict=True)
        if d is None or d.start - c.end > _CORRECTION_GAP or not any(c.end <= w < d.start for w in corrections)
    ]


def _judge_keeps(judge: DateJudge, c: _Candidate, features: list[str], scan: Scan, now: datetime) -> bool:
    """Whether a date is a follow-up: the judge's verdict, but the rules' for a time later today (今晚8点腾讯会议,
    下午三点店里见), which the judge has seen few of: leave-one-writer-out, clock time 0.941 with the judge's
    verdict there, 0.966 with the rules' (follow-up date 0.973 either way; the rules alone 0.947 and 0.953)."""
    if c.day == now.date() and c.has_time:
        return _is_follow_up(c, scan, now)
    return judge(features) >= DATE_THRESHOLD


def labelled_dates(
    scan: Scan, lexicon: lx.Lexicon, now: datetime, follow_up: str | None
) -> list[tuple[list[str], bool]]:
    """Training rows for the judge: each future date the note names, with whether it is the labelled
    follow-up day (YYYY-MM-DD or None)."""
    found = _uncorrected(_candidates(scan, lexicon, now), scan)
    return [(f, c.day is not None and c.day.isoformat() == follow_up) for c, f in _judged(found, scan, now)]


def _judged(found: list[_Candidate], scan: Scan, now: datetime) -> list[tuple[_Candidate, list[str]]]:
    """The future dates among `found`, each with its features for the judge."""
    future = [c for c in found if c.at is not None and c.at > now]
    return [(c, date_features(c, i, scan, now)) for i, c in enumerate(future)]


# How many characters after and before a date the judge reads (within its sentence, spaces left out).
_AFTER, _BEFORE = 10, 6
# How far ahead a date is, in days, in the judge's buckets.
_AHEAD = (0, 1, 2, 7, 14, 31)
_HARD_BOUNDARIES = re.compile("[" + re.escape("".join(sorted(BOUNDARY_CHARS - set(" \t")))) + "]")


def date_features(c: _Candidate, position: int, scan: Scan, now: datetime) -> list[str]:
    """What the judge knows of a date: its form, how far ahead it is, whether it has a time, the rules'
    verdicts, and the characters and character pairs around it in its sentence."""
    text = scan.text
    ahead = (c.day - now.date()).days if c.day else 0
    bucket = next((days for days in _AHEAD if ahead <= days), "more")
    features = [f"kind={c.kind}", f"ahead={bucket}", f"timed={c.has_time}", f"position={min(position, 2)}"]
    features += [f"kind={c.kind},timed={c.has_time}", f"ahead={bucket},timed={c.has_time}"]
    after = _DEADLINE_GAP.match(text, c.end).end()
    verdicts = {
        "rules": _is_follow_up(c, scan, now),
        "cue": _has_cue(scan, c),
        "reschedule": scan.near_before(lx.RESCHEDULE, c.start, 2) is not None,
        "deadline_after": scan.near_after(lx.NOT_FOLLOW_UP, after, 4) is not None,
        "deadline_before": scan.near_before(lx.NOT_FOLLOW_UP, c.start, 4) is not None,
        "event_after": _happens_then(scan, after),
        "before_deadline": after > c.end,
    }
    features += [name for name, on in verdicts.items() if on]
    tail = _HARD_BOUNDARIES.split(text[c.end : c.end + 2 * _AFTER], maxsplit=1)[0].replace(" ", "")[:_AFTER]
    head = _HARD_BOUNDARIES.split(text[max(0, c.start - 2 * _BEFORE) : c.start])[-1].replace(" ", "")[-_BEFORE:]
    for side, chars in (("a", tail), ("b", head)):
        features += [f"{side}1={ch}" for ch in chars]
        features += [f"{side}2={chars[i : i + 2]}" for i in range(len(chars) - 1)]
    features += [f"A={tail[:2]}", f"B={head[-2:]}", f"A1={tail[:1]}", f"B1={head[-1:]}"]
    return features


def _has_cue(scan: Scan, c: _Candidate) -> bool:
    return bool(scan.near_after(lx.FOLLOW_UP, c.end, 6) or scan.near_before(lx.FOLLOW_UP, c.start, 3))


def _is_follow_up(c: _Candidate, scan: Scan, now: datetime) -> bool:
    if c.at is None or c.at <= now:
        return False
    done = scan.text.find("了", c.end, c.end + 12)
    if c.rolled and done != -1 and scan.same_sentence(c.end, done):
        return False  # 周二和恩施州中心医院开了视频会: this week's Tuesday, already past
    after = _DEADLINE_GAP.match(scan.text, c.end).end()
    if scan.near_after(lx.NOT_FOLLOW_UP, after, 4) or scan.near_before(lx.NOT_FOLLOW_UP, c.start, 4):
        return False
    if _happens_then(scan, after):
        return False
    return not (c.day == now.date() and not c.has_time)


def _happens_then(scan: Scan, pos: int) -> bool:
    """A delivery, go-live or deadline word later in the date's clause, before any follow-up word: the date
    is when that happens (十二月一号他们那个新院区开业, 12月10号从乌鲁木齐仓库发货), not the rep's next step."""
    events = [h for h in scan.hits(lx.NOT_FOLLOW_UP) if h.start >= pos and scan.same_clause(pos, h.start)]
    cues = [
        h.start
        for h in scan.hits(lx.FOLLOW_UP)
        if h.start >= pos and scan.same_clause(pos, h.start) and not any(e.start <= h.start < e.end for e in events)
    ]  # 发 of 发货 is no follow-up word
    return any(h.start < min(cues, default=len(scan.text)) for h in events)


def _candidates(scan: Scan, lexicon: lx.Lexicon, now: datetime) -> list[_Candidate]:
    text = scan.text
    found: list[_Candidate] = []
    taken_until = 0
    for m in _DATE.finditer(text):
        resolved = _resolve_date(m, now)
        if resolved is None:
            continue
        day, exact = resolved
        end = m.end()
        hour = minute = None
        period = m.group("rel") if m.group("rel") in ("今晚", "明晚", "今夜", "今早", "明早") else None
        if exact is None:
            t = _TIME.match(text, end)
            if t and t.group(0).strip():
                hour, minute, period = _clock(t, period, lexicon)
                end = t.end()
            if hour is None and period:
                hour, minute = lexicon.periods.get(period[-1:] if period[0] in "今明" else period, None), 0
        rolled = bool(m.group("wk")) and not m.group("wkp") and _WEEKDAYS[m.group("wkd")] <= now.weekday()
        kind = next(k for k in _DATE_KINDS if m.group(k))
        if exact is not None:
            found.append(_Candidate(m.start(), end, exact.date(), exact, True, kind=kind))
        elif hour is not None:
            at = datetime(day.year, day.month, day.day, hour, minute or 0, tzinfo=now.tzinfo)
            found.append(_Candidate(m.start(), end, day, at, True, rolled, kind))
        else:
            at = datetime(day.year, day.month, day.day, lexicon.default_hour, tzinfo=now.tzinfo)
            found.append(_Candidate(m.start(), end, day, at, False, rolled, kind))
        taken_until = end
    for t in _CLOCK.finditer(text):
        if t.start() < taken_until or any(c.start <= t.start() < c.end for c in found):
            continue
        if not (t.group("per") or t.group("h")[0].isdigit() or t.group("zhong") or t.group("half")):
            continue
        hour, minute, _ = _clock(t, None, lexicon)
        if hour is None:
            continue
        bare = [c for c in found if not c.has_time and c.end <= t.start() and t.start() - c.end <= 15]
        if bare and scan.same_clause(bare[-1].end, t.start()):
            day = bare[-1].day
            at = datetime(day.year, day.month, day.day, hour, minute or 0, tzinfo=now.tzinfo)
            found[found.index(bare[-1])] = _Candidate(bare[-1].start, t.end(), day, at, True, kind=bare[-1].kind)
            continue
        at = now.replace(hour=hour, minute=minute or 0, second=0, microsecond=0)
        if at <= now:
            at += timedelta(days=1)
        found.append(_Candidate(t.start(), t.end(), at.date(), at, True, kind="clock"))
    if not found:
        found = [c for c in _bare_periods(text, lexicon, now) if _has_cue(scan, c)]
    found.sort(key=lambda c: c.start)
    return _timed_repeats(found)


_BARE_PERIOD = re.compile(rf"(?<![今明昨前后天日])(?:{_PERIOD})")


def _bare_periods(
    text: str, lexicon: lx.Lexicon, now: datetime, dated: list[_Candidate] | None = None
) -> list[_Candidate]:
    """A part of the day said alone (报价单下午发他, 我晚上整理一下), outside the `dated` candidates: later today."""
    found = []
    for m in _BARE_PERIOD.finditer(text):
        if any(c.start <= m.start() < c.end for c in dated or ()):
            continue
        hour = lexicon.periods.get(m.group())
        if hour is None:
            continue
        at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
        if at > now:
            found.append(_Candidate(m.start(), m.end(), at.date(), at, True))
    return found


def _timed_repeats(found: list[_Candidate]) -> list[_Candidate]:
    """A day said again with a time (下礼拜三 下礼拜三上午, 周三 不对 周四 周四上午) gives the first mention
    of that day its time."""
    timed = {c.day: c for c in found if c.has_time and c.day is not None}
    return [
        _Candidate(c.start, c.end, c.day, timed[c.day].at, True, kind=c.kind)
        if not c.has_time and c.day in timed
        else c
        for c in found
    ]


def _clock(t: re.Match[str], period: str | None, lexicon: lx.Lexicon) -> tuple[int | None, int | None, str | None]:
    period = t.group("per") or period
    if not t.group("h"):
        return None, None, period
    hour = small_int(t.group("h"))
    if hour is None or hour > 24:
        return None, None, period
    if t.group("half"):
        minute = 30
    elif t.group("q"):
        minute = 15 if t.group("q") == "一刻" else 45
    else:
        minute = small_int(t.group("min")) if t.group("min") else 0
    if minute is None or minute > 59:
        return None, None, period
    afternoon = (period in _EVENING and hour < 12) or (period == "中午" and hour < 3)
    if afternoon or (period is None and 1 <= hour <= 6):
        hour += 12
    return hour % 24, minute, period


def _resolve_date(m: re.Match[str], now: datetime) -> tuple[date, datetime | None] | None:
    """(the date, or an exact instant for hour offsets like 48小时内); None when not a usable date."""
    today = now.date()
    if m.group("rel"):
        rel = m.group("rel")
        offset = 3 if rel.startswith("大后") else 2 if rel.startswith("后") else 1 if rel[0] in "明听" else 0
        return today + timedelta(days=offset), None
    if m.group("wk"):
        weekday = _WEEKDAYS[m.group("wkd")]
        monday = today - timedelta(days=today.weekday())
        prefix = (m.group("wkp") or "").rstrip("个")
        if prefix == "上":
            return None
        weeks = {"下下": 2, "下": 1, "这": 0, "本": 0}.get(prefix)
        if weeks is None:
            weeks = 0 if weekday > today.weekday() else 1
        return monday + timedelta(days=7 * weeks + weekday), None
    if m.group("off"):
        return _offset(m.group("offn"), m.group("offu"), today, now)
    if m.group("pass"):
        n = small_int(m.group("passn"))
        return (today + timedelta(days=n), None) if n else None
    if m.group("md"):
        return _month_day(m, today)
    if m.group("me"):
        year, month = _shift_month(today.year, today.month, 1 if (m.group("mep") or "").startswith("下") else 0)
        return date(year, month, calendar.monthrange(year, month)[1]), None
    return date(today.year, 12, 31), None


def _offset(count: str, unit: str, today: date, now: datetime) -> tuple[date, datetime | None] | None:
    n = 0.5 if count == "半" else small_int(count)
    if not n:
        return None
    if unit in ("小时", "钟头"):
        exact = now + timedelta(hours=n)
        return exact.date(), exact.replace(second=0, microsecond=0)
    if unit == "月":
        if n == 0.5:
            return today + timedelta(days=15), None
        year, month = _shift_month(today.year, today.month, int(n))
        return date(year, month, min(today.day, calendar.monthrange(year, month)[1])), None
    if unit == "工作日":
        day, left = today, int(n)
        while left:
            day += timedelta(days=1)
            left -= day.weekday() < 5
        return day, None
    days = 7 * n if unit in ("周", "星期", "礼拜") else n
    return today + timedelta(days=int(days)), None


def _month_day(m: re.Match[str], today: date) -> tuple[date, None] | None:
    day = small_int(m.group("mdd"))
    month_word = m.group("mdm")
    year = today.year + (1 if m.group("mdy") == "明年" else 0)
    if month_word is None:
        year, month = today.year, today.month
        if day is not None and day < today.day:
            year, month = _shift_month(year, month, 1)
    elif month_word.startswith("下"):
        year, month = _shift_month(today.year, today.month, 1)
    elif month_word[0] in "这本":
        month = today.month
    else:
        month = small_int(month_word) or 0
        if not m.group("mdy") and day is not None and 1 <= month <= 12 and (month, day) < (today.month, today.day):
            year += 1
    if not day or not 1 <= month <= 12 or day > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day), None


def _shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1
