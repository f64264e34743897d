"""Tag a note from the taxonomy, dropping keywords that are negated, cancelled or hypothetical."""

from __future__ import annotations

from nlp import lexicon as lx
from nlp.scan import Hit, Scan


def is_cancelled(scan: Scan, lexicon: lx.Lexicon, start: int, end: int) -> bool:
    """True when the words at text[start:end] are negated (不需要样机), cancelled after (样机不用了)
    or inside a hypothetical clause (本以为要黄了)."""
    for cue in scan.hits(lx.NEG_BEFORE):
        if cue.end <= start and start - cue.end <= lexicon.neg_window and scan.same_clause(cue.end, start):
            return True
    if scan.near_after(lx.NEG_AFTER, end, lexicon.after_window):
        return True
    return any(cue.end <= start and scan.same_clause(cue.start, start) for cue in scan.hits(lx.IRREALIS))


def find_tags(scan: Scan, lexicon: lx.Lexicon) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tag ids in taxonomy order, risk words in text order)."""
    found: dict[str, list[Hit]] = {}
    for hit in scan.hits(lx.TAG):
        found.setdefault(hit.payload, []).append(hit)
    for rule in lexicon.tags:
        for pattern in rule.patterns:
            for m in pattern.finditer(scan.text):
                found.setdefault(rule.id, []).append(Hit(m.start(), m.end(), m.group(), rule.id))
    tags, risk = [], []
    for rule in lexicon.tags:
        kept = [h for h in found.get(rule.id, ()) if not is_cancelled(scan, lexicon, h.start, h.end)]
        if kept:
            tags.append(rule.id)
            if rule.risk:
                risk.extend(kept)
    risk.sort(key=lambda h: (h.start, -h.end))
    words: list[str] = []
    last_end = -1
    for h in risk:
        if h.start >= last_end and h.word not in words:
            words.append(h.word)
        last_end = max(last_end, h.end)
    return tuple(tags), tuple(words)
