"""Measure the note parser on the labeled corpus: tests/data/notes.jsonl plus the holdout batches.

Run `python -m tests.nlp_eval` (or `make eval`): prints per-tag precision/recall/F1, per-field accuracy
and every mistake. `--file PATH` (repeatable) measures only the given JSONL files of the same format, e.g.
a fresh batch of notes before anyone tunes the parser on it. tests/test_nlp_quality.py fails when a
figure on the whole corpus drops below TARGETS.

holdout.jsonl, holdout2.jsonl and holdout3.jsonl were written as unseen batches and measured before the parser was
changed for them (figures in docs/nlp.md); they now guard against regressions like the rest.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from config.rules import default_rules
from nlp import ParsedNote, parse_note

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "notes.jsonl"
CORPUS_FILES = (CORPUS, DATA / "holdout.jsonl", DATA / "holdout2.jsonl", DATA / "holdout3.jsonl")
FIELDS = ("activity_type", "company", "contact_name", "phone", "amount", "follow_up_date", "follow_up_time")
TARGETS = {
    "tags_micro_f1": 0.92,
    "tag_f1": 0.85,
    "phone": 0.99,
    "amount": 0.95,
    "company": 0.90,
    "contact_name": 0.90,
    "follow_up_date": 0.95,
    "follow_up_time": 0.95,
    "activity_type": 0.85,
}


@dataclass
class Report:
    notes: int = 0
    tag_counts: dict[str, Counter[str]] = field(default_factory=dict)
    field_right: Counter[str] = field(default_factory=Counter)
    field_total: Counter[str] = field(default_factory=Counter)
    mistakes: list[str] = field(default_factory=list)

    def tag_prf(self, tag: str) -> tuple[float, float, float]:
        c = self.tag_counts.get(tag, Counter())
        return _prf(c["tp"], c["fp"], c["fn"])

    def micro_f1(self) -> float:
        total = sum(self.tag_counts.values(), Counter())
        return _prf(total["tp"], total["fp"], total["fn"])[2]

    def accuracy(self, name: str) -> float:
        return self.field_right[name] / self.field_total[name] if self.field_total[name] else 1.0

    def failures(self) -> list[str]:
        """The targets this report misses, one line each."""
        failed = []
        if self.micro_f1() < TARGETS["tags_micro_f1"]:
            failed.append(f"tags micro-F1 {self.micro_f1():.3f} < {TARGETS['tags_micro_f1']}")
        for tag in self.tag_counts:
            if self.tag_prf(tag)[2] < TARGETS["tag_f1"]:
                failed.append(f"tag {tag} F1 {self.tag_prf(tag)[2]:.3f} < {TARGETS['tag_f1']}")
        for name in FIELDS:
            if self.accuracy(name) < TARGETS[name]:
                failed.append(f"{name} accuracy {self.accuracy(name):.3f} < {TARGETS[name]}")
        return failed


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def load_corpus(*paths: Path) -> list[dict]:
    """The records of the given JSONL files (default: every file of CORPUS_FILES)."""
    records = []
    for path in paths or CORPUS_FILES:
        with path.open(encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def predicted_fields(note: ParsedNote) -> dict[str, object]:
    at = note.follow_up_at
    return {
        "activity_type": note.activity_type,
        "company": note.company,
        "contact_name": note.contact_name,
        "phone": note.phone,
        "amount": note.amount,
        "follow_up_date": at.date().isoformat() if at else None,
        "follow_up_time": at.strftime("%H:%M") if at and note.follow_up_has_time else None,
    }


def evaluate(records: list[dict]) -> Report:
    report = Report()
    tag_ids = list(default_rules().tag_labels)
    report.tag_counts = {tag: Counter() for tag in tag_ids}
    for i, rec in enumerate(records, 1):
        note = parse_note(rec["text"], datetime.fromisoformat(rec["now"]))
        report.notes += 1
        gold, got = set(rec["tags"]), set(note.tags)
        for tag in tag_ids:
            outcome = "tp" if tag in gold and tag in got else "fp" if tag in got else "fn" if tag in gold else ""
            if outcome:
                report.tag_counts[tag][outcome] += 1
        if gold != got:
            report.mistakes.append(f"#{i} tags: want {sorted(gold)} got {sorted(got)} | {rec['text']}")
        predicted = predicted_fields(note)
        for name in FIELDS:
            if name == "follow_up_time" and rec["follow_up_time"] is None:
                continue
            report.field_total[name] += 1
            if predicted[name] == rec[name]:
                report.field_right[name] += 1
            else:
                report.mistakes.append(f"#{i} {name}: want {rec[name]!r} got {predicted[name]!r} | {rec['text']}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the note parser on labeled JSONL notes.")
    parser.add_argument("--file", action="append", type=Path, help="a labeled JSONL file (default: the corpus)")
    args = parser.parse_args(argv)
    paths: list[Path] = args.file or list(CORPUS_FILES)
    records = load_corpus(*paths)
    report = evaluate(records)
    traps = sum(r["trap"] for r in records)
    voice = sum(r["voice"] for r in records)
    print(f"{report.notes} notes ({traps} traps, {voice} voice-style) from {', '.join(map(str, paths))}")
    print(f"\n{'tag':<18}{'P':>7}{'R':>7}{'F1':>7}{'gold':>6}")
    for tag, counts in report.tag_counts.items():
        p, r, f = report.tag_prf(tag)
        print(f"{tag:<18}{p:7.3f}{r:7.3f}{f:7.3f}{counts['tp'] + counts['fn']:6d}")
    print(f"{'micro':<18}{'':>14}{report.micro_f1():7.3f}")
    print(f"\n{'field':<18}{'accuracy':>9}{'n':>6}")
    for name in FIELDS:
        print(f"{name:<18}{report.accuracy(name):9.3f}{report.field_total[name]:6d}")
    print(f"\nmistakes ({len(report.mistakes)}):")
    for line in report.mistakes:
        print("  " + line)
    failed = report.failures()
    print("\nbelow target: " + ("; ".join(failed) if failed else "none"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
