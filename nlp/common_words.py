"""Words that are sales talk rather than a customer's topic: those in at least 1% of the labelled notes.

`nlp/resolve.py` ties a message to a lead by the topics they share (堡垒机, 关务系统, HIS上云); 样机, 报价 and
合同 are in every rep's notes and tie nothing. The list is data built from the corpus:
`python -m nlp.common_words` rewrites `nlp/common_words.txt`, and a test fails when the two disagree.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from nlp.company_names import fold
from nlp.once import once
from nlp.segment import default_segmenter

FILE = Path(__file__).resolve().parent / "common_words.txt"
SHARE = 0.01
_HEADER = "# Words in at least 1% of the labelled notes: sales talk, not a customer's topic (nlp/common_words.py).\n"


def build(texts: Iterable[str]) -> list[str]:
    """The words (two characters or more, as jieba segments the folded text) in at least SHARE of `texts`."""
    segmenter, seen, n = default_segmenter(), Counter[str](), 0
    for text in texts:
        n += 1
        seen.update({t.word for t in segmenter.tokens(fold(text)) if len(t.word) >= 2})
    return sorted(word for word, count in seen.items() if count >= SHARE * n)


@once
def common_words() -> frozenset[str]:
    """The shipped list."""
    lines = FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def corpus_texts(directory: Path) -> list[str]:
    return [
        json.loads(line)["text"]
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]


if __name__ == "__main__":
    from nlp.training import CORPUS_DIR

    FILE.write_text(_HEADER + "\n".join(build(corpus_texts(CORPUS_DIR))) + "\n", encoding="utf-8")
