"""The parser meets the quality targets of issue 3 on the labeled corpus: tests/data/notes.jsonl and the
holdout batches (tests/data/holdout*.jsonl)."""

from __future__ import annotations

from tests.nlp_eval import CORPUS, CORPUS_FILES, TARGETS, evaluate, load_corpus


def test_corpus_is_large_and_hard_enough() -> None:
    assert len(load_corpus(CORPUS)) >= 300
    records = load_corpus()
    assert len(records) >= 450
    assert sum(r["trap"] for r in records) >= 0.20 * len(records)
    assert sum(r["voice"] for r in records) >= 0.15 * len(records)


def test_parser_meets_every_quality_target_on_the_corpus() -> None:
    report = evaluate(load_corpus())
    assert report.failures() == [], "\n".join(report.failures() + report.mistakes)


def test_every_corpus_file_uses_the_same_labels() -> None:
    keys = set(load_corpus(CORPUS)[0])
    for path in CORPUS_FILES:
        assert all(set(rec) == keys for rec in load_corpus(path)), path


def test_targets_cover_every_labeled_field() -> None:
    assert {"phone", "amount", "company", "contact_name", "follow_up_date", "activity_type"} <= set(TARGETS)
