"""parse_note: one rep's note (+ the reference time) → a ParsedNote. Pure and thread-safe."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from nlp import lexicon as lx
from nlp.company import only_places
from nlp.company_names import sentence_or_person
from nlp.entities import Span, find_amount, phone_digits
from nlp.followup import find_follow_up
from nlp.lexicon import Lexicon, default_lexicon
from nlp.model import ReaderModel, default_model
from nlp.note import ParsedNote
from nlp.outcome import rule_signal
from nlp.parts import customer_parts, is_item
from nlp.reading import Reading, company_from, company_in, read
from nlp.script import simplified
from nlp.spans import COMPANY, CONTACT, first_span, spans_of
from nlp.tags import risk_words

_SURROGATES = re.compile("[\ud800-\udfff]")
# A tag is set when the model gives it at least this probability (measured leave-one-writer-out: 0.4 reads
# more of what reps paraphrase for little precision).
THRESHOLD = 0.4


class _InUse:
    """The model in use (nlp.model.default_model), unless the caller names one."""


IN_USE = _InUse()


def parse_note(text: str, now: datetime, *, model: ReaderModel | _InUse | None = IN_USE) -> ParsedNote:
    """Read a note. `now` must be timezone-aware; relative times are read in `now.tzinfo`.

    Notes longer than `max_chars` (config/nlp.toml, default 2000) are cut there first. A note about
    several customers is read part by part (`parts`); its top-level fields are the first part's.
    Traditional characters are read as simplified (and names come back simplified).
    `model` is for measuring: another trained model, or None for the rule layer alone."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    lexicon = default_lexicon()
    text = text if isinstance(text, str) else str(text)
    truncated = len(text) > lexicon.max_chars
    cut = simplified(_SURROGATES.sub(" ", text[: lexicon.max_chars]))
    chosen = default_model() if isinstance(model, _InUse) else model
    whole = read(cut, lexicon)
    labels = _labels(whole, chosen)
    spans = customer_parts(cut, _companies_at(whole, labels, lexicon))
    if not spans:
        note = _read_part(whole, chosen, now, labels)
        return replace(note, truncated=truncated, parts=(note,))
    parts = tuple(replace(_read_text(cut[s:e], lexicon, chosen, now), text=cut[s:e]) for s, e in spans)
    return replace(parts[0], truncated=truncated, parts=parts)


def _labels(reading: Reading, model: ReaderModel | None) -> list[str] | None:
    """The span tagger's label for each character, or None without one."""
    return None if model is None or model.spans is None else model.spans.tag(reading.span_features())


def _companies_at(reading: Reading, labels: list[str] | None, lexicon: Lexicon) -> Callable[[int, int], str | None]:
    """Which company a stretch of the note names, for cutting it into customers' parts. With a span tagger,
    the first company it finds there reading the whole note: read alone, a piece of a one-customer note
    gives the tagger nothing to tell a customer from a rival or a word that merely looks like a name
    (去年他们找北京外企谈过, 还有几个在上海的员工; measured on two sealed writers' notes: parts 0.923 →
    0.950, tags 0.784 → 0.797). A piece that opens as an item of a list (1. 上杭一中 …) names a customer
    more often than not: there the rules' company counts too."""
    text = reading.scan.text
    if labels is None:
        return lambda start, end: company_in(text[start:end], lexicon)
    found = list(spans_of(labels, COMPANY))

    def company_at(start: int, end: int) -> str | None:
        tagged = next((text[s.start : s.end] for s in found if start <= s.start < end), None)
        return tagged or (company_in(text[start:end], lexicon) if is_item(text, start) else None)

    return company_at


def _people(reading: Reading, labels: list[str] | None) -> tuple[Span | None, Span | None]:
    """(company, contact): the span tagger's (its `labels`) when there is one, else the rule layer's. A
    company the tagger misses and the rules find is the rules' (measured leave-one-writer-out: +0.03
    company); a reading that is a piece of sentence or a person (孙主任觉得软件) is no company."""
    tagged = list(spans_of(labels, COMPANY)) if labels is not None else []
    if labels is None:
        contact, readings = reading.contact, (reading.company,)
    else:
        companies = tagged[:2]
        if len(companies) == 2 and _RIVAL_GOES_TO.fullmatch(reading.scan.text, companies[0].end, companies[1].start):
            companies.reverse()  # 丰田的代理去宏达冷链了, 海康在武汉三医院驻场了: the rival is at the customer's
        contact, readings = first_span(labels, CONTACT), (*companies[:1], reading.company)
        if companies and only_places(reading.scan, companies[0].start, companies[0].end):
            # 宁波海曙那个 海曙同仁口腔的徐院长: places alone are where the customer is, when a name follows
            readings = (*companies[1:], reading.company, companies[0])
    said = contact.text(reading.scan) if contact else None
    company = next((s for s in readings if s is not None and not sentence_or_person(s.text(reading.scan), said)), None)
    if company is not None:
        company = _corrected(company, [s for s in tagged if s.start >= company.end], reading)
    return without_department(_without_time(company, reading), reading), contact


# A name the rep takes back (郑州馨苑物业 不对 是郑州馨园物业, 翠亨酒店 不是 翠微酒店, 内黄县第二中学 不对 学校不是
# 是…).
# The name may run on a little past the span (郑州馨苑|物业, 汤阴县人民政府|新办公楼).
_TAKEN_BACK = re.compile(r"[^\W\d]{0,5}?[\s，,]+(?:啊|呃|嗯)?\s*(?:不对|不是|说错了|错了|更正)")
# How far after the correction word the right name may start.
_CORRECTION_REACH = 8


def _corrected(company: Span, later: list[Span], reading: Reading) -> Span:
    """The company the rep corrected `company` to, if they did: the tagger's next company (in `later`) or the
    rule layer's first one starting within a few characters after the correction word. "是X 不是Y" keeps X."""
    text = reading.scan.text
    taken_back = _TAKEN_BACK.match(text, company.end)
    if taken_back is None or (text[company.start - 1 : company.start] == "是" and taken_back.group().endswith("不是")):
        return company
    after = taken_back.end()
    ruled = company_from(reading, after)
    return next(
        (s for s in [*later, *([ruled] if ruled else [])] if after <= s.start <= after + _CORRECTION_REACH), company
    )


# Between a rival and the customer it is at: its people went there, or are there (林德的人也去蒙泰了, 大华去江夏一中做了
# 演示, 宏彩印务又去华联那边截胡).
_RIVAL_GOES_TO = re.compile(r"的?(?:代理商?|经销商|人|销售|业务员?)?(?:也|又|还|已经|都)?(?:跑)?(?:去|在|到|进)了?")


# Time words a dictated name may be glued to (呃周末梅县高级中学那边…); 今天 and 明天 start real names (明天科技).
_TIME_BEFORE = re.compile(r"周末|刚才|刚刚|昨天|昨晚|今早|上午|下午|晚上|早上|中午")


def _without_time(company: Span | None, reading: Reading) -> Span | None:
    """The company without a time word glued to its start."""
    glued = company and _TIME_BEFORE.match(reading.scan.text, company.start, company.end - 2)
    return Span(glued.end(), company.end) if company and glued else company


def without_department(company: Span | None, reading: Reading) -> Span | None:
    """The company without a department written at its end (杭州银行科技部 → 杭州银行)."""
    if company is None:
        return None
    name = reading.scan.text[company.start : company.end]
    for word in reading.lexicon.departments:
        if name.endswith(word) and len(name) - len(word) >= 2:
            end = company.end - len(word)
            place = max(
                (h for h in reading.scan.hits(lx.PLACE) if h.end == end), key=lambda h: h.end - h.start, default=None
            )
            if place is not None and place.start - company.start >= 2:
                end = place.start  # 扬子江药业南京研发中心: the site is part of the department
            return Span(company.start, end)
    return company


def _read_text(text: str, lexicon: Lexicon, model: ReaderModel | None, now: datetime) -> ParsedNote:
    reading = read(text, lexicon)
    return _read_part(reading, model, now, _labels(reading, model))


def _read_part(reading: Reading, model: ReaderModel | None, now: datetime, labels: list[str] | None) -> ParsedNote:
    scan, lexicon = reading.scan, reading.lexicon
    tags, activity, signal = judge(reading, model, reading.whole)
    dates = model.follow_up.probability if model is not None and model.follow_up is not None else None
    follow_up = find_follow_up(scan, lexicon, now, dates)
    company, contact = _people(reading, labels)
    return ParsedNote(
        tags=tags,
        activity_type=activity,
        contact_name=contact.text(scan) if contact else None,
        company=company.text(scan) if company else None,
        phone=phone_digits(scan, reading.phone) if reading.phone else None,
        amount=find_amount(scan, lexicon),
        follow_up_at=follow_up.at,
        follow_up_has_time=follow_up.has_time,
        risk_words=risk_words(scan, lexicon, tags, reading.evidence),
        follow_up_vague=follow_up.vague,
        stage_signal=signal,
    )


def judge(
    reading: Reading, model: ReaderModel | None, span: tuple[int, int]
) -> tuple[tuple[str, ...], str, str | None]:
    """(tags in taxonomy order, activity type, stage signal) of text[span]: the model's verdict where it has
    one, with the rules' sure words on top. A tag the model was not trained on, or a keyword added to
    config/tags.toml after training, counts as the rules say; a tag whose every word is explicitly negated
    (不需要样机) is off whatever the model thinks."""
    if model is None:
        kept = tuple(rule.id for rule in reading.lexicon.tags if _kept(reading, rule.id, span))
        return kept, reading.activity, rule_signal(reading.stages(span))
    prediction = model.predict(reading.features(span))
    tags = []
    for rule in reading.lexicon.tags:
        ev = reading.evidence.get(rule.id)
        kept = _kept(reading, rule.id, span)
        if rule.id not in model.tags:
            on = kept
        elif not kept and ev is not None and any(span[0] <= h.start < span[1] for h in ev.cancelled):
            on = False
        elif kept and ev is not None and not ev.sources <= model.keywords.get(rule.id, frozenset()):
            on = True
        else:
            on = prediction.tag_probability[rule.id] >= THRESHOLD
        if on:
            tags.append(rule.id)
    # An activity word that opens the note (拜访苏州恒通李工 要样机) says what it records, whatever else it says
    # (held out from a model trained without eight writers: activity 0.883 -> 0.885).
    activity = (reading.opening_activity if span == reading.whole else None) or prediction.activity
    return tuple(tags), activity, prediction.stage_signal


def _kept(reading: Reading, tag: str, span: tuple[int, int]) -> bool:
    ev = reading.evidence.get(tag)
    return ev is not None and any(span[0] <= h.start < span[1] for h in ev.kept)
