"""Where the deal stands, as the note's words say it: won, lost, contract under way, quote sent.

The words are `[stage_signal]` in config/nlp.toml; a negated or hypothetical one (还没签, 本以为要黄了)
does not stand. The trained reader weighs this verdict with the rest of the note; without a model it
is the answer.
"""

from __future__ import annotations

from nlp import lexicon as lx
from nlp.scan import Scan
from nlp.tags import is_cancelled


def stage_words(scan: Scan, lexicon: lx.Lexicon, span: tuple[int, int]) -> dict[str, bool]:
    """Per stage signal with a word in text[span]: True when one of its words stands."""
    found: dict[str, bool] = {}
    for hit in scan.hits(lx.STAGE):
        if span[0] <= hit.start < span[1]:
            stands = not is_cancelled(scan, lexicon, hit.start, hit.end)
            found[hit.payload] = found.get(hit.payload, False) or stands
    return found


def rule_signal(words: dict[str, bool]) -> str | None:
    """The furthest signal whose word stands (won over lost over contract over quote sent)."""
    return next((s for s in lx.STAGE_SIGNALS if words.get(s)), None)
