"""The most telling terms of a set of notes (jieba.analyse TF-IDF over the project's dictionary), for the
cockpit's "what customers raise". Names of companies and people, and the routine words of a sales note
(config/keyword_stopwords.txt), are left out; config/keyword_terms.txt adds words to keep whole."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from config import DATA_DIR
from nlp.once import once
from nlp.segment import Segmenter

# Parts of speech kept: nouns, verbal and adjectival nouns, verbs, adjectives, the dictionary's own terms
# (nz); not person (nr), place (ns) or organisation (nt) names.
KEPT_POS = ("n", "nz", "vn", "an", "v", "a", "l", "i")


def _stop_words() -> frozenset[str]:
    lines = (DATA_DIR / "keyword_stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class _WithoutHMM:
    """The segmenter's part-of-speech tokenizer with HMM discovery off (15x faster; what jieba.analyse calls)."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def cut(self, text: str) -> Iterator[Any]:
        return self._tokenizer.cut(text, HMM=False)


@once
def _extractor() -> Any:
    """A jieba.analyse TF-IDF extractor on the project's segmenter, built on first use (thread-safe)."""
    import jieba.analyse

    extractor = jieba.analyse.TFIDF()
    # A segmenter of its own: the parser's dictionary plus words a note's topics need whole (竞品, 交期), which
    # must not change how the parser reads notes.
    segmenter = Segmenter(DATA_DIR / "userdict.txt", DATA_DIR / "keyword_terms.txt")
    extractor.postokenizer = _WithoutHMM(segmenter.pos_tokenizer)
    extractor.stop_words = extractor.stop_words | _stop_words()
    return extractor


@dataclass(frozen=True)
class Term:
    term: str
    weight: float  # TF-IDF over all the texts together
    notes: int  # how many of the texts contain it


def top_terms(texts: Sequence[str], *, k: int = 20, names: Iterable[str] = ()) -> list[Term]:
    """The `k` most telling terms of `texts`, best first; a term inside one of `names` (the customers' company
    and contact names) is left out."""
    if not texts:
        return []
    names = [n for n in names if n]
    pairs = _extractor().extract_tags("\n".join(texts), topK=None, withWeight=True, allowPOS=KEPT_POS)
    kept = [(term, weight) for term, weight in pairs if not any(term in name for name in names)][:k]
    return [Term(term, round(weight, 4), sum(term in text for text in texts)) for term, weight in kept]
