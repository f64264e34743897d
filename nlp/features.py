"""The features the trained reader sees in one stretch of a note.

- `w:` jieba words, or `n:` for a word inside a negation, cancellation or hypothetical scope (不需要样机
  gives n:样机), so the model learns the negated use apart from the plain one;
- `c:` character bigrams and trigrams inside one clause, which carry paraphrases jieba cuts differently;
- `r:`/`x:` a taxonomy tag whose words stand / are all cancelled (the rule layer's verdict);
- `s:`/`sx:` a stage-signal word that stands / is cancelled; `a:` the rule layer's activity type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nlp import lexicon as lx
from nlp.scan import BOUNDARY_CHARS, Scan
from nlp.segment import Token
from nlp.tags import TagEvidence, is_cancelled

_NGRAMS = (1, 2, 3)
_SCOPE_KINDS = (lx.NEG_BEFORE, lx.NEG_AFTER, lx.IRREALIS)
_RUNS = re.compile("[^0-9" + re.escape("".join(sorted(BOUNDARY_CHARS))) + "]+")


def note_features(
    scan: Scan,
    lexicon: lx.Lexicon,
    tokens: Iterable[Token],
    evidence: dict[str, TagEvidence],
    activity: str,
    stages: dict[str, bool],
    span: tuple[int, int],
) -> list[str]:
    """The sorted, distinct features of text[span[0]:span[1]]."""
    lo, hi = span
    found: set[str] = {f"a:{activity}"}
    scoped = any(scan.hits(kind) for kind in _SCOPE_KINDS)
    negated_at: set[int] = set()
    for tok in tokens:
        if lo <= tok.start and tok.end <= hi and not _punctuation(tok.word):
            negated = scoped and is_cancelled(scan, lexicon, tok.start, tok.end)
            found.add(("n:" if negated else "w:") + tok.word)
            if negated:
                negated_at.update(range(tok.start, tok.end))
    text = scan.text
    # Runs of characters with no boundary and no digit; n-grams are taken inside each run, marked nc:
    # when they start inside a negated word.
    for m in _RUNS.finditer(text, lo, hi):
        run, base = m.group(), m.start()
        for n in _NGRAMS:
            found.update(("nc:" if base + i in negated_at else "c:") + run[i : i + n] for i in range(len(run) - n + 1))
    for tag, ev in evidence.items():
        kept = [h for h in ev.kept if lo <= h.start < hi]
        cancelled = [h for h in ev.cancelled if lo <= h.start < hi]
        if kept:
            found.add(f"r:{tag}")
        elif cancelled:
            found.add(f"x:{tag}")
    found.update(("s:" if stands else "sx:") + signal for signal, stands in stages.items())
    return sorted(found)


def _punctuation(word: str) -> bool:
    return all(ch in BOUNDARY_CHARS for ch in word)
