"""One pass over a normalized note: every lexicon word found, and where its clauses break."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import NamedTuple

from nlp import lexicon as lx

BOUNDARY_CHARS = frozenset(",.;:!?，。；：！？、…\n\t\r ()（）[]【】<>《》\"'“”‘’|/")
# A word inside a longer user-dictionary term (不锈钢, 催化剂, 呼和浩特) is not read on its own.
_MASKED_BY = {
    lx.NEG_BEFORE: (lx.NOT_NEG, lx.TERM),
    lx.NEG_AFTER: (lx.NOT_NEG, lx.TERM),
    lx.IRREALIS: (lx.NOT_NEG, lx.TERM),
    lx.SUFFIX: (lx.TERM,),
    lx.TAG: (lx.TERM,),
    lx.ACTIVITY: (lx.TERM,),
    lx.STAGE: (lx.TERM,),
    lx.COMPANY_STOP: (lx.TERM,),
}


class Hit(NamedTuple):
    """One lexicon word found in the note (a named tuple: a note makes hundreds of them)."""

    start: int
    end: int
    word: str
    payload: str


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Scan:
    """The hits of every lexicon word in the normalized note, grouped by kind, and the clause
    boundaries. `raw` is the note as written (same length as `text`), for names shown back as written."""

    def __init__(self, raw: str, lexicon: lx.Lexicon) -> None:
        self.raw = raw
        self.text = text = lx.normalize(raw)
        raw: dict[str, list[Hit]] = {}
        for end_index, (word, kinds) in lexicon.automaton.iter(text):
            start, end = end_index - len(word) + 1, end_index + 1
            if _is_word_char(word[0]) and start > 0 and _is_word_char(text[start - 1]):
                continue
            if _is_word_char(word[-1]) and end < len(text) and _is_word_char(text[end]):
                continue
            for kind, payload in kinds:
                raw.setdefault(kind, []).append(Hit(start, end, word, payload))
        for kind, maskers in _MASKED_BY.items():
            covers = [h for m in maskers for h in raw.get(m, ())]
            if kind in raw and covers:
                raw[kind] = [h for h in raw[kind] if not _covered(h, covers)]
        for hits in raw.values():
            hits.sort(key=lambda h: (h.start, -h.end))
        self._hits = raw

        boundary = [i for i, ch in enumerate(text) if ch in BOUNDARY_CHARS]
        boundary += [i for h in raw.get(lx.BREAK, ()) for i in range(h.start, h.end)]
        self.boundaries = sorted(set(boundary))
        marks = set(self.boundaries)
        self._counts = list(accumulate((i in marks for i in range(len(text))), initial=0))
        hard = {i for i in marks if not text[i].isspace()}
        self._hard_counts = list(accumulate((i in hard for i in range(len(text))), initial=0))

    def hits(self, kind: str) -> list[Hit]:
        return self._hits.get(kind, [])

    def all_hits(self) -> list[tuple[str, list[Hit]]]:
        return list(self._hits.items())

    def same_clause(self, a: int, b: int) -> bool:
        """True when no clause boundary lies in text[min(a, b):max(a, b)]."""
        lo, hi = (a, b) if a <= b else (b, a)
        return self._counts[hi] == self._counts[lo]

    def same_sentence(self, a: int, b: int) -> bool:
        """True when no clause boundary other than a space lies in text[min(a, b):max(a, b)] (the items
        of a typed note, 本来以为 京东方 要选别家, belong together)."""
        lo, hi = min(a, b), max(a, b)
        return self._hard_counts[hi] == self._hard_counts[lo]

    def clause_start(self, pos: int) -> int:
        i = bisect_right(self.boundaries, pos - 1)
        return self.boundaries[i - 1] + 1 if i else 0

    def near_before(self, kind: str, pos: int, window: int) -> Hit | None:
        """The last `kind` hit ending at most `window` characters before `pos` in the same clause."""
        found = None
        for h in self.hits(kind):
            if h.end <= pos and pos - h.end <= window and self.same_clause(h.end, pos):
                found = h
        return found

    def near_after(self, kind: str, pos: int, window: int) -> Hit | None:
        """The first `kind` hit starting at most `window` characters after `pos` in the same clause."""
        for h in self.hits(kind):
            if h.start >= pos and h.start - pos <= window and self.same_clause(pos, h.start):
                return h
        return None


def _covered(hit: Hit, covers: list[Hit]) -> bool:
    return any(c.start <= hit.start and hit.end <= c.end and (c.end - c.start) > (hit.end - hit.start) for c in covers)
