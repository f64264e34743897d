"""The labelled corpus is large and varied enough to train and judge the reader on, and the shipped model is
the one the corpus produces. The figures that count (leave-one-writer-out) are `make eval`'s."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import parse_note
from nlp.model import SHIPPED, ReaderModel
from nlp.training import corpus_records, train_model
from tests.nlp_eval import FIELDS, corpus_files, load_corpus

KEYS = {"text", "now", "tags", "trap", "voice", *FIELDS} - {"parts"}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load_corpus()


def test_corpus_has_two_thousand_notes_from_at_least_four_writers(records) -> None:
    assert len(records) >= 2000
    assert len(corpus_files()) >= 4
    assert max(len(load_corpus(path)) for path in corpus_files()) < 0.35 * len(records)


def test_corpus_mixes_dictated_short_and_trap_notes(records) -> None:
    assert sum(r["voice"] for r in records) >= 0.35 * len(records)
    assert sum(len(r["text"]) < 20 for r in records) >= 0.20 * len(records)
    assert sum(r["trap"] for r in records) >= 0.25 * len(records)


def test_every_record_has_the_same_labels(records) -> None:
    for record in records:
        assert KEYS <= set(record) <= KEYS | {"parts"}, record["text"]


def test_multi_customer_records_label_each_part(records) -> None:
    multi = [r for r in records if "parts" in r]
    assert len(multi) >= 50
    for record in multi:
        assert record["parts"][0]["company"] == record["company"]
        assert sorted(record["parts"][0]["tags"]) == sorted(record["tags"])


@pytest.fixture(scope="module")
def retrained() -> ReaderModel:
    records = corpus_records()
    return train_model(records, sources={"corpus": len(records)})


def test_shipped_model_is_what_the_corpus_trains(records, retrained) -> None:
    """`make train` rebuilds nlp/reader_model.json.gz; a corpus change without it fails here."""
    shipped = ReaderModel.from_file(SHIPPED)
    assert shipped.examples == retrained.examples
    for record in records:
        now = datetime.fromisoformat(record["now"])
        assert parse_note(record["text"], now, model=shipped) == parse_note(record["text"], now, model=retrained), (
            record["text"]
        )


def test_shipped_model_is_under_ten_megabytes() -> None:
    assert SHIPPED.stat().st_size < 10 * 1024 * 1024
