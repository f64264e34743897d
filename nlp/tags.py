"""Tag a note from the taxonomy, dropping keywords that are negated, cancelled or hypothetical."""

from __future__ import annotations

from dataclasses import dataclass

from nlp import lexicon as lx
from nlp.scan import Hit, Scan


def is_cancelled(scan: Scan, lexicon: lx.Lexicon, start: int, end: int) -> bool:
    """True when the words at text[start:end] are negated, cancelled or hypothetical.

    Negated: a negation word stands shortly before in the same clause (不需要样机); two negations
    cancel (没说不要样机), and a negation reaches only the first tag or activity word after it
    (不需要演示直接发合同 still sends the contract). Cancelled: a cancel word follows (样机不用了).
    Hypothetical: an irrealis word opens the clause (本以为要黄了)."""
    cues = [
        c
        for c in scan.hits(lx.NEG_BEFORE)
        if c.end <= start and start - c.end <= lexicon.neg_window and scan.same_clause(c.end, start)
    ]
    words = [*scan.hits(lx.TAG), *scan.hits(lx.ACTIVITY)]
    cues = [c for c in cues if not any(c.end < w.end <= start for w in words)]
    if len(_longest_first(cues)) % 2:
        return True
    if scan.near_after(lx.NEG_AFTER, end, lexicon.after_window):
        return True
    return any(
        cue.end <= start
        and (scan.same_clause(cue.start, start) or (_opens_item(scan, cue) and scan.same_sentence(cue.start, start)))
        for cue in scan.hits(lx.IRREALIS)
    )


def _opens_item(scan: Scan, cue: Hit) -> bool:
    """True when an irrealis word stands alone as an item of a typed note (本来以为 京东方 要选别家): it then
    reaches across the spaces to the next clause break (结果, 但是) or punctuation."""
    text = scan.text
    return (cue.start == 0 or text[cue.start - 1].isspace()) and text[cue.end : cue.end + 1].isspace()


def _longest_first(hits: list[Hit]) -> list[Hit]:
    """The hits that are not inside a longer hit (不 inside 不需要 counts once)."""
    return [h for h in hits if not any(o is not h and o.start <= h.start and h.end <= o.end for o in hits)]


@dataclass(frozen=True)
class TagEvidence:
    """What the taxonomy's words say about one tag in one note. `kept` hits stand; `cancelled` ones are
    negated, cancelled or hypothetical; `sources` are the keywords and pattern texts behind the kept hits."""

    kept: tuple[Hit, ...]
    cancelled: tuple[Hit, ...]
    sources: frozenset[str]


def tag_evidence(scan: Scan, lexicon: lx.Lexicon, skip: tuple[int, int] | None = None) -> dict[str, TagEvidence]:
    """Per tag id that has any hit: its evidence. Words inside `skip` (the customer's company name, e.g.
    老板电器) and keywords inside a longer keyword of another tag (催 in 催款) do not count."""
    found: dict[str, list[tuple[Hit, str]]] = {}
    for hit in _longest_first(scan.hits(lx.TAG)):
        found.setdefault(hit.payload, []).append((hit, hit.word))
    for rule in lexicon.tags:
        for pattern in rule.patterns:
            for m in pattern.finditer(scan.text):
                found.setdefault(rule.id, []).append((Hit(m.start(), m.end(), m.group(), rule.id), pattern.pattern))
    evidence = {}
    for rule in lexicon.tags:
        hits = [(h, src) for h, src in found.get(rule.id, ()) if not (skip and skip[0] <= h.start and h.end <= skip[1])]
        if not hits:
            continue
        kept, cancelled, sources = [], [], set()
        for h, src in hits:
            if is_cancelled(scan, lexicon, h.start, h.end):
                cancelled.append(h)
            else:
                kept.append(h)
                sources.add(src)
        evidence[rule.id] = TagEvidence(tuple(kept), tuple(cancelled), frozenset(sources))
    return evidence


def risk_words(
    scan: Scan, lexicon: lx.Lexicon, tags: tuple[str, ...], evidence: dict[str, TagEvidence]
) -> tuple[str, ...]:
    """The words behind the kept hits of the given risk tags, in text order."""
    risky = {rule.id for rule in lexicon.tags if rule.risk}
    hits = [h for tag in tags if tag in risky and tag in evidence for h in evidence[tag].kept]
    return _risk_words(hits, _longest_first(scan.hits(lx.TAG)))


def _risk_words(hits: list[Hit], literal: list[Hit]) -> tuple[str, ...]:
    """The words of risk-tag hits in text order; a keyword is preferred over a pattern match it overlaps."""
    keywords = {id(h) for h in literal}
    chosen: list[Hit] = []
    for h in sorted(hits, key=lambda h: (id(h) not in keywords, h.start, -h.end)):
        if not any(h.start < c.end and c.start < h.end for c in chosen):
            chosen.append(h)
    words: list[str] = []
    for h in sorted(chosen, key=lambda h: h.start):
        if h.word not in words:
            words.append(h.word)
    return tuple(words)
