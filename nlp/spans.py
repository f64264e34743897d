"""The customer's company and contact as spans of the note, read by a CRF over its characters.

Each character gets one label: B-/I-CO (the customer company), B-/I-CT (the customer's contact) or O.
A character's features are itself and its neighbours, the jieba word it is in (with its part of
speech and its place in the word), the lexicon words over it (company suffixes, places, stop words,
titles, activity and tag words, competitor cues) and the rule layer's own company and contact, so the
model learns where the rules are right and where the way reps write defeats them (KS精工, 常州88精密,
嘉善卓越那个周工, a company named after its contact). python-crfsuite trains and runs the CRF.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory

from nlp import lexicon as lx
from nlp.entities import Span
from nlp.scan import BOUNDARY_CHARS, Scan
from nlp.segment import Token, default_segmenter

COMPANY, CONTACT = "CO", "CT"
_KINDS = (
    lx.SUFFIX,
    lx.PLACE,
    lx.COMPANY_STOP,
    lx.NAME_CUE,
    lx.ACTIVITY,
    lx.TAG,
    lx.NOT_CUSTOMER,
    lx.BREAK,
    lx.NEG_BEFORE,
    lx.TERM,
    lx.FOLLOW_UP,
    lx.AMOUNT_CUE,
    lx.KNOWN_COMPANY,
)
# CRFsuite settings: L1 and L2 regularisation, iterations.
TRAINING = {"c1": 0.05, "c2": 0.05, "max_iterations": 150, "feature.possible_transitions": True}


@functools.cache  # a hot loop: a look-up is cheaper than the tests
def _kind(ch: str) -> str:
    if ch in BOUNDARY_CHARS or ch.isspace():
        return "sep"
    if ch.isdigit():
        return "dig"
    if ch.isascii() and ch.isalpha():
        return "lat"
    return "han" if "\u4e00" <= ch <= "\u9fff" else "sym"


def _frequency_class(freq: int) -> int:
    """A word's commonness in jieba's dictionary, in five classes (0: unknown to it)."""
    return 0 if freq == 0 else 1 if freq < 100 else 2 if freq < 1000 else 3 if freq < 10000 else 4


def char_features(
    scan: Scan, lexicon: lx.Lexicon, tokens: Sequence[Token], company: Span | None, contact: Span | None
) -> list[list[str]]:
    """The feature strings of every character of the note."""
    text = scan.text
    n = len(text)
    padded = f"^^{text}$$"
    kinds = [_kind(ch) for ch in padded]
    # Each character with the two before and after it (one pass over shifted copies: this is the hot loop).
    feats: list[list[str]] = [
        [
            "c=" + x,
            "p=" + b,
            "q=" + y,
            "pp=" + a,
            "qq=" + z,
            "pc=" + b + x,
            "cq=" + x + y,
            "t=" + kx,
            "tp=" + kb + kx,
            "tq=" + kx + ky,
        ]
        for a, b, x, y, z, kb, kx, ky in zip(
            padded, padded[1:], padded[2:], padded[3:], padded[4:], kinds[1:], kinds[2:], kinds[3:], strict=False
        )
    ]
    words = [tok.word for tok in tokens]
    segmenter = default_segmenter()
    char_kinds: list[set[str]] = [set() for _ in range(n)]
    for kind in _KINDS:
        for h in scan.hits(kind):
            for i in range(h.start, min(h.end, n)):
                char_kinds[i].add(kind)
    token_kinds = [set().union(*char_kinds[tok.start : min(tok.end, n)]) for tok in tokens]
    singles = [tok.end - tok.start == 1 and _kind(tok.word) == "han" for tok in tokens]
    for k, tok in enumerate(tokens):
        extra = [f"wf={_frequency_class(segmenter.frequency(tok.word))}"]
        extra += ["nk=" + kind for kind in token_kinds[k + 1]] if k + 1 < len(tokens) else ["nk=$"]
        extra += ["pk=" + kind for kind in token_kinds[k - 1]] if k else ["pk=^"]
        if singles[k] and ((k and singles[k - 1]) or (k + 1 < len(tokens) and singles[k + 1])):
            extra.append("run1")
        for i in range(tok.start, min(tok.end, n)):
            feats[i] += extra
    for k, tok in enumerate(tokens):
        length = tok.end - tok.start
        before = words[k - 1] if k else "^"
        after = words[k + 1] if k + 1 < len(words) else "$"
        for i in range(tok.start, min(tok.end, n)):
            place = "S" if length == 1 else "B" if i == tok.start else "E" if i == tok.end - 1 else "M"
            feats[i] += ["w=" + tok.word, "wp=" + place, "pos=" + tok.pos + place, "wb=" + before, "wa=" + after]
    item = 0
    for i, ch in enumerate(text):
        if ch.isspace() or ch in BOUNDARY_CHARS:
            item += 1
        feats[i].append(f"item={min(item, 3)}")
        if i < 3:
            feats[i].append(f"at={i}")
    for kind in _KINDS:
        for h in scan.hits(kind):
            for i in range(h.start, min(h.end, n)):
                feats[i].append(f"k={kind}{'B' if i == h.start else 'I'}")
    for m in lexicon.titled_name.finditer(text):
        for i in range(m.start(), m.end()):
            feats[i].append("title=" + ("B" if i == m.start() else "I"))
    for i, ch in enumerate(text):
        if ch in lexicon.surnames:
            feats[i].append("surname")
    for label, span in ((COMPANY, company), (CONTACT, contact)):
        if span is not None:
            for i in range(span.start, span.end):
                feats[i].append(f"rule={label}{'B' if i == span.start else 'I'}")
    return feats


def gold_labels(raw: str, companies: Sequence[str], contacts: Sequence[str]) -> list[str]:
    """Labels for training: the first place each labelled company and contact is written."""
    labels = ["O"] * len(raw)
    for label, names in ((COMPANY, companies), (CONTACT, contacts)):
        for name in names:
            start = raw.find(name) if name else -1
            while start != -1 and any(tag != "O" for tag in labels[start : start + len(name)]):
                start = raw.find(name, start + 1)
            if start == -1:
                continue
            labels[start] = "B-" + label
            for i in range(start + 1, start + len(name)):
                labels[i] = "I-" + label
    return labels


def spans_of(labels: Sequence[str], label: str) -> Iterator[Span]:
    """Each run of `label` characters in order (B- then I-; an I- without B- starts one too)."""
    start = None
    for i, tag in enumerate(labels):
        if start is not None and tag != "I-" + label:
            yield Span(start, i)
            start = None
        if start is None and tag in ("B-" + label, "I-" + label):
            start = i
    if start is not None:
        yield Span(start, len(labels))


def first_span(labels: Sequence[str], label: str) -> Span | None:
    """The first run of `label` characters."""
    return next(spans_of(labels, label), None)


class SpanTagger:
    """A trained CRF, held in memory; tagging is serialised (a CRFsuite tagger is not thread-safe)."""

    def __init__(self, model: bytes) -> None:
        import pycrfsuite

        self.model = model
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open_inmemory(model)
        self._lock = threading.Lock()

    def tag(self, features: list[list[str]]) -> list[str]:
        if not features:
            return []
        with self._lock:
            return self._tagger.tag(features)


def train_tagger(sequences: Sequence[tuple[list[list[str]], list[str]]]) -> bytes:
    """Train a CRF on (features, labels) sequences; the model file's bytes."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for features, labels in sequences:
        if features:
            trainer.append(features, labels)
    trainer.set_params(TRAINING)
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "spans.crfsuite"
        trainer.train(str(path))
        return path.read_bytes()
