"""Train the reader model (nlp/model.py) from labelled notes with scikit-learn. Deterministic: the same
examples give the same file.

An example is one stretch of a note with what a person said it holds: its tags, and for a whole note
its activity type and stage signal. Corpus records (tests/data/*.jsonl) and reps' corrections both
become examples.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nlp import lexicon as lx
from nlp.company_names import name_rules
from nlp.followup import labelled_dates
from nlp.lexicon import default_lexicon
from nlp.model import ACTIVITIES, NO_SIGNAL, LinearHead, ReaderModel
from nlp.parts import customer_parts
from nlp.reading import Reading, company_in, read
from nlp.spans import SpanTagger, gold_labels, train_tagger

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# Inverse regularisation strength of the logistic regressions, and how many examples a feature needs.
C = 1.0
MIN_COUNT = 2
CLASS_WEIGHT = "balanced"
STAGES = (NO_SIGNAL, *lx.STAGE_SIGNALS)
# The labelled corpus, in a source checkout (`make train` builds the shipped model from it).
CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "corpus"


@dataclass(frozen=True)
class Example:
    features: tuple[str, ...]
    tags: frozenset[str]
    activity: str | None = None
    stage: str | None = None
    # Per character: the span tagger's features and the labelled company/contact (nlp/spans.py).
    spans: tuple[list[list[str]], list[str]] | None = None
    # An example for the span tagger only (a note with its customer renamed, see `renamed_examples`).
    spans_only: bool = False
    # Each future date the stretch names: the follow-up judge's features, and whether it is the follow-up.
    dates: tuple[tuple[tuple[str, ...], bool], ...] = ()


def examples_from_record(record: dict) -> list[Example]:
    """The examples of one corpus record: the whole note, or one per customer part when the record
    labels parts and the reader cuts the note into as many (activity and stage go with the first)."""
    lexicon = default_lexicon()
    text = record["text"][: lexicon.max_chars]
    stage = (record["stage_signal"] or NO_SIGNAL) if "stage_signal" in record else None
    activity = record.get("activity_type")
    labelled = record.get("parts") or []
    now = datetime.fromisoformat(record["now"]) if "now" in record and "follow_up_date" in record else None

    def dates(reading: Reading, follow_up: str | None) -> tuple[tuple[tuple[str, ...], bool], ...]:
        if now is None:
            return ()
        return tuple((tuple(f), y) for f, y in labelled_dates(reading.scan, lexicon, now, follow_up))

    spans = customer_parts(text, lambda start, end: company_in(text[start:end], lexicon)) if labelled else []
    if labelled and len(spans) == len(labelled):
        examples = []
        for i, ((start, end), part) in enumerate(zip(spans, labelled, strict=True)):
            reading = read(text[start:end], lexicon)
            first = i == 0
            spans = gold_labels(text[start:end], [part["company"]], [part["contact_name"]])
            examples.append(
                Example(
                    tuple(reading.features(reading.whole)),
                    frozenset(part["tags"]),
                    activity if first else None,
                    stage if first else None,
                    (reading.span_features(), spans),
                    dates=dates(reading, part["follow_up_date"]),
                )
            )
        return examples
    tags = frozenset(t for part in labelled for t in part["tags"]) | frozenset(record["tags"])
    reading = read(text, lexicon)
    companies = [p["company"] for p in labelled] or [record.get("company")]
    contacts = [p["contact_name"] for p in labelled] or [record.get("contact_name")]
    spans = (reading.span_features(), gold_labels(text, companies, contacts))
    return [
        Example(
            tuple(reading.features(reading.whole)),
            tags,
            activity,
            stage,
            spans,
            dates=dates(reading, record.get("follow_up_date")),
        )
    ]


# How far along the list of records the customer name a renamed copy borrows is taken from.
RENAME_STRIDE = 7


def renamed_examples(records: Sequence[dict]) -> list[Example]:
    """Span-tagger examples of the notes with their customer renamed: each single-customer note whose
    company is written in it, with that company replaced by another record's. Without them the tagger
    learns the corpus's customer names character by character and misses every name it has not seen;
    with them it must learn from where a name stands (那个…的孙工, …那边, …要报价) and its shape."""
    names = [r.get("company") for r in records if r.get("company") and not r.get("parts")]
    if len(names) < 2:
        return []
    return _renamed_copies(records, lambda i: names[(i * RENAME_STRIDE + 1) % len(names)])


def synthetic_examples(records: Sequence[dict]) -> list[Example]:
    """Span-tagger examples of the single-customer notes with their customer replaced by a made-up name
    (`synthetic_name`): a writer's own customers share a few shapes, and the tagger must also find the
    Latin brands, shop names and numbered names other writers' customers have."""
    pools = _NamePools.of_config()
    return _renamed_copies(records, lambda i: synthetic_name(i, pools))


def _renamed_copies(records: Sequence[dict], name_for: Callable[[int], str]) -> list[Example]:
    """Span-tagger examples of each single-customer note whose company is written in it, with the company
    replaced by `name_for(the record's position)` (skipped when that name is the company or in the note)."""
    lexicon = default_lexicon()
    out: list[Example] = []
    for i, record in enumerate(records):
        company, text = record.get("company"), record["text"][: lexicon.max_chars]
        if not company or record.get("parts") or company not in text:
            continue
        other = name_for(i)
        if other == company or other in text:
            continue
        renamed = text.replace(company, other, 1)
        reading = read(renamed, lexicon)
        labels = gold_labels(renamed, [other], [record.get("contact_name")])
        out.append(Example((), frozenset(), spans=(reading.span_features(), labels), spans_only=True))
    return out


# Characters common in a 字号 and the syllables of a Latin brand, for the names `synthetic_name` makes up.
_ZIHAO_CHARS = (
    "华力恒通瑞丰鑫达兴盛永泰宏远金源海天正大新安利民德信嘉和隆昌富康明辉光润宇航振中"
    "合美佳益荣祥成顺鼎博创联腾飞龙山川江湖云星月"
)
# How shop and restaurant names end (湘满楼, 川味坊, 韩府记): a bare 字号 would look like a person's name.
_SHOP_ENDINGS = "楼坊轩阁记斋行居堂园馆铺"
_SYLLABLES = (
    "ka",
    "lo",
    "vi",
    "ta",
    "ne",
    "ro",
    "mi",
    "so",
    "da",
    "le",
    "zen",
    "bo",
    "ra",
    "fi",
    "tor",
    "lux",
    "mo",
    "ver",
)


@dataclass(frozen=True)
class _NamePools:
    """The configured words made-up names are drawn from, in a fixed order."""

    trades: tuple[str, ...]
    places: tuple[str, ...]  # of two or three characters

    @classmethod
    def of_config(cls) -> _NamePools:
        rules = name_rules()
        return cls(tuple(sorted(rules.trades.words)), tuple(sorted(p for p in rules.places if 2 <= len(p) <= 3)))


def synthetic_name(seed: int, pools: _NamePools | None = None) -> str:
    """A made-up customer name in one of the shapes reps write (字号 and trade, with a place or a legal form,
    a shop's 字号 and ending, a Latin brand with 's or a trade, letters or digits before a trade), the same for
    the same seed. The words come from config/ (places, trades, legal forms), so a trade an operator adds is used."""
    pools = pools or _NamePools.of_config()
    rng = random.Random(seed)
    trade = rng.choice(pools.trades)
    zihao = "".join(rng.sample(_ZIHAO_CHARS, rng.choice((2, 2, 2, 3))))
    brand = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3))))
    shape = seed % 8
    if shape == 0:
        return zihao + trade
    if shape == 1:
        return rng.choice(pools.places) + zihao + trade
    if shape == 2:
        return zihao + trade + rng.choice(("有限公司", "集团", "股份有限公司", "厂"))
    if shape == 3:
        return zihao + rng.choice(_SHOP_ENDINGS)
    if shape == 4:
        return brand.capitalize() + "'s"
    if shape == 5:
        return brand.capitalize() + trade
    if shape == 6:
        return "".join(rng.sample("ABCDEFGHJKLMNPRSTWXYZ", rng.choice((2, 3)))) + trade
    return str(rng.choice((rng.randint(1, 99), rng.randint(1900, 2020)))) + trade


def examples_from_records(records: Sequence[dict]) -> list[Example]:
    """Every example of the records, and their renamed copies for the span tagger."""
    return (
        [ex for r in records for ex in examples_from_record(r)]
        + renamed_examples(records)
        + synthetic_examples(records)
    )


def train(examples: Sequence[Example], tags: Iterable[str], *, trained_at: str, sources: dict[str, int]) -> ReaderModel:
    """Fit one logistic regression per tag, one each for activity type and stage signal, and the judge of
    follow-up dates."""
    from sklearn.linear_model import LogisticRegression

    tag_ids = tuple(tags)
    sequences = [ex.spans for ex in examples if ex.spans is not None]
    examples = [ex for ex in examples if not ex.spans_only]
    index, x = _design([ex.features for ex in examples])
    names = list(index)

    columns: list[np.ndarray] = []
    biases: list[float] = []

    def fit(target: np.ndarray, classes: Sequence[str], subset: np.ndarray) -> None:
        present = sorted(set(target[subset].tolist()))
        model = LogisticRegression(
            C=C, solver="liblinear" if len(classes) == 1 else "lbfgs", max_iter=2000, class_weight=CLASS_WEIGHT
        )
        if len(present) < 2:
            # A head with one class only: it always answers that class.
            for cls in classes:
                columns.append(np.zeros(len(names)))
                biases.append(10.0 if cls == (present[0] if present else classes[0]) else -10.0)
            return
        model.fit(x[subset], target[subset])
        learned = list(model.classes_)
        for cls in classes:
            if len(classes) == 1:
                columns.append(model.coef_[0])
                biases.append(float(model.intercept_[0]))
            elif cls in learned and len(learned) > 2:
                k = learned.index(cls)
                columns.append(model.coef_[k])
                biases.append(float(model.intercept_[k]))
            elif cls in learned:
                sign = 1.0 if learned.index(cls) == 1 else -1.0
                columns.append(sign * model.coef_[0] / 2)
                biases.append(sign * float(model.intercept_[0]) / 2)
            else:
                columns.append(np.zeros(len(names)))
                biases.append(-10.0)

    every = np.arange(len(examples))
    for tag in tag_ids:
        fit(np.array([int(tag in ex.tags) for ex in examples]), ("yes",), every)
    activity = np.array([ex.activity or "" for ex in examples])
    fit(activity, ACTIVITIES, np.flatnonzero(activity != ""))
    stage = np.array([ex.stage or "" for ex in examples])
    fit(stage, STAGES, np.flatnonzero(stage != ""))

    lexicon = default_lexicon()
    return ReaderModel(
        tags=tag_ids,
        activities=ACTIVITIES,
        stages=STAGES,
        features=index,
        weights=np.column_stack(columns).astype(np.float32) if names else np.zeros((0, len(biases)), np.float32),
        bias=np.asarray(biases, dtype=np.float32),
        keywords=taxonomy_words(lexicon),
        trained_at=trained_at,
        examples=len(examples),
        sources=sources,
        spans=SpanTagger(train_tagger(sequences)) if sequences else None,
        follow_up=_date_judge([row for ex in examples for row in ex.dates]),
    )


def _design(rows: Sequence[Sequence[str]]) -> tuple[dict[str, int], csr_matrix]:
    """The features seen at least MIN_COUNT times, and the count matrix of `rows` over them."""
    from scipy.sparse import csr_matrix

    counts: dict[str, int] = {}
    for features in rows:
        for f in features:
            counts[f] = counts.get(f, 0) + 1
    index = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= MIN_COUNT))}
    at, cols = [], []
    for r, features in enumerate(rows):
        for f in features:
            if f in index:
                at.append(r)
                cols.append(index[f])
    return index, csr_matrix((np.ones(len(at)), (at, cols)), shape=(len(rows), len(index)))


def _date_judge(rows: Sequence[tuple[tuple[str, ...], bool]]) -> LinearHead | None:
    """A logistic regression that tells a follow-up date from a delivery, payment or deadline date."""
    from sklearn.linear_model import LogisticRegression

    labels = np.array([int(y) for _, y in rows])
    if len(set(labels.tolist())) < 2:
        return None
    index, x = _design([features for features, _ in rows])
    model = LogisticRegression(C=C, solver="liblinear", max_iter=2000).fit(x, labels)
    return LinearHead(index, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def taxonomy_words(lexicon: lx.Lexicon) -> dict[str, frozenset[str]]:
    """Per tag, the keywords and pattern texts of config/tags.toml as they are now."""
    words: dict[str, set[str]] = {rule.id: {p.pattern for p in rule.patterns} for rule in lexicon.tags}
    for word, kinds in lexicon.automaton.items():
        for kind, payload in kinds[1]:
            if kind == lx.TAG:
                words.setdefault(payload, set()).add(word)
    return {tag: frozenset(w) for tag, w in words.items()}


def read_records(path: Path) -> list[dict]:
    """The labelled notes of one JSONL file; each needs at least `text` and `tags`."""
    with path.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    for i, record in enumerate(records, 1):
        if not isinstance(record.get("text"), str) or not isinstance(record.get("tags"), list):
            raise ValueError(f"{path} line {i}: a labelled note needs `text` and a `tags` list")
    return records


def corpus_records(directory: Path = CORPUS_DIR) -> list[dict]:
    """Every labelled note of the corpus (one JSONL file per writer), in file order."""
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no labelled notes (*.jsonl) in {directory}")
    return [record for path in files for record in read_records(path)]


def train_model(records: Sequence[dict], extra: Sequence[Example] = (), *, sources: dict[str, int]) -> ReaderModel:
    """A model trained on corpus records plus extra examples (reps' corrections), stamped with the time."""
    examples = examples_from_records(records) + list(extra)
    trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    return train(examples, [rule.id for rule in default_lexicon().tags], trained_at=trained_at, sources=sources)
