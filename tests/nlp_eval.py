"""Measure the note reader on the labelled corpus, tests/data/corpus/ (one JSONL file per writer).

`python -m tests.nlp_eval` (or `make eval`) prints the figures that count: **leave-one-writer-out** —
for each writer, a model trained on every other writer's notes reads that writer's notes — per writer
and pooled, with per-tag precision/recall/F1, per-field accuracy, the rule layer alone on the same notes
for comparison, and the shipped model on its own training data (labelled as such: not a result).
It exits non-zero when a pooled leave-one-writer-out figure falls below its FLOOR (a regression
guard); the TARGETS it misses are listed, not hidden.

`--file PATH` (repeatable) measures only the given files with the model in use, e.g. a fresh batch of
notes before anyone tunes on it. `--mistakes` lists every wrong note.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from config.rules import default_rules
from nlp import ParsedNote, parse_note
from nlp.model import ReaderModel, default_model
from nlp.parser import IN_USE
from nlp.training import Example, examples_from_records, train

DATA = Path(__file__).resolve().parent / "data"
CORPUS_DIR = DATA / "corpus"
FIELDS = (
    "activity_type",
    "company",
    "contact_name",
    "phone",
    "amount",
    "follow_up_date",
    "follow_up_time",
    "stage_signal",
    "parts",
)
# The targets of the reader (leave-one-writer-out, and on notes nobody tuned on).
TARGETS = {
    "tags_micro_f1": 0.88,
    "tag_f1": 0.78,
    "activity_type": 0.88,
    "contact_name": 0.93,
    "company": 0.93,
    "follow_up_date": 0.95,
    "follow_up_time": 0.95,
    "amount": 0.95,
    "phone": 0.99,
    "stage_signal": 0.90,
    "parts": 0.95,
}
# Regression floors for the pooled leave-one-writer-out figures: `make eval` fails below them.
FLOORS = {
    "tags_micro_f1": 0.83,
    "activity_type": 0.89,
    "stage_signal": 0.93,
    "company": 0.76,
    "contact_name": 0.93,
    "follow_up_date": 0.93,
    "amount": 0.96,
    "phone": 0.99,
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

    def micro(self) -> tuple[float, float, float]:
        total = sum(self.tag_counts.values(), Counter())
        return _prf(total["tp"], total["fp"], total["fn"])

    def micro_f1(self) -> float:
        return self.micro()[2]

    def accuracy(self, name: str) -> float:
        return self.field_right[name] / self.field_total[name] if self.field_total[name] else 1.0

    def figure(self, name: str) -> float:
        return self.micro_f1() if name == "tags_micro_f1" else self.accuracy(name)

    def failures(self, targets: dict[str, float] = TARGETS) -> list[str]:
        """The targets this report misses, one line each."""
        failed = [
            f"{name} {self.figure(name):.3f} < {goal}"
            for name, goal in targets.items()
            if name != "tag_f1" and self.figure(name) < goal
        ]
        if "tag_f1" in targets:
            failed += [
                f"tag {tag} F1 {self.tag_prf(tag)[2]:.3f} < {targets['tag_f1']}"
                for tag in self.tag_counts
                if self.tag_prf(tag)[2] < targets["tag_f1"]
            ]
        return failed

    def add(self, other: Report) -> None:
        self.notes += other.notes
        for tag, counts in other.tag_counts.items():
            self.tag_counts.setdefault(tag, Counter()).update(counts)
        self.field_right.update(other.field_right)
        self.field_total.update(other.field_total)
        self.mistakes.extend(other.mistakes)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.jsonl"))


def load_corpus(*paths: Path) -> list[dict]:
    """The records of the given JSONL files (default: the whole corpus)."""
    records = []
    for path in paths or corpus_files():
        with path.open(encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def writers() -> dict[str, list[dict]]:
    """The corpus by writer: one file each."""
    return {path.stem: load_corpus(path) for path in corpus_files()}


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
        "stage_signal": note.stage_signal,
        "parts": [part.company for part in note.parts] if len(note.parts) > 1 else None,
    }


def evaluate(
    records: Sequence[dict],
    model: ReaderModel | object | None = IN_USE,
    label: str = "",
    read: Callable[[str, datetime], ParsedNote] | None = None,
) -> Report:
    """Read every record with `model` (default: the model in use), or with `read`, and count what it got
    right."""
    report = Report()
    tag_ids = list(default_rules().tag_labels)
    report.tag_counts = {tag: Counter() for tag in tag_ids}
    for i, rec in enumerate(records, 1):
        now = datetime.fromisoformat(rec["now"])
        note = read(rec["text"], now) if read else parse_note(rec["text"], now, model=model)  # type: ignore[arg-type]
        report.notes += 1
        gold, got = set(rec["tags"]), set(note.tags)
        for tag in tag_ids:
            outcome = "tp" if tag in gold and tag in got else "fp" if tag in got else "fn" if tag in gold else ""
            if outcome:
                report.tag_counts[tag][outcome] += 1
        where = f"{label}#{i}"
        if gold != got:
            report.mistakes.append(f"{where} tags: want {sorted(gold)} got {sorted(got)} | {rec['text']}")
        predicted = predicted_fields(note)
        rec = {**rec, "parts": [p["company"] for p in rec["parts"]] if rec.get("parts") else None}
        for name in FIELDS:
            if name not in rec or (name == "follow_up_time" and rec["follow_up_time"] is None):
                continue
            report.field_total[name] += 1
            if predicted[name] == rec[name]:
                report.field_right[name] += 1
            else:
                report.mistakes.append(f"{where} {name}: want {rec[name]!r} got {predicted[name]!r} | {rec['text']}")
    return report


def featurize(by_writer: dict[str, list[dict]]) -> dict[str, list[Example]]:
    return {name: examples_from_records(records) for name, records in by_writer.items()}


def train_on(examples: dict[str, list[Example]], *, leave_out: Sequence[str] = ()) -> ReaderModel:
    """A model trained on every writer's examples but those of the writers in `leave_out`."""
    chosen = [ex for name, exs in examples.items() if name not in leave_out for ex in exs]
    return train(chosen, default_rules().tag_labels, trained_at="eval", sources={"corpus": len(chosen)})


_FOLD: dict[str, object] = {}


def _fold(held_out: tuple[str, ...]) -> dict[str, Report]:
    examples, by_writer = _FOLD["examples"], _FOLD["by_writer"]
    model = train_on(examples, leave_out=held_out)  # type: ignore[arg-type]
    return {name: evaluate(by_writer[name], model, label=name) for name in held_out}  # type: ignore[index]


def leave_one_writer_out(by_writer: dict[str, list[dict]], groups: int | None = None) -> dict[str, Report]:
    """Per writer: the report of a model trained on every other writer, reading this writer's notes. With
    `groups`, the writers are dealt into that many groups and each group is held out at once (fewer
    trainings on less data: the figures can only be lower). The folds run in parallel, one process per
    core (forked: they share the features computed here)."""
    names = list(by_writer)
    folds = [tuple(names[i::groups]) for i in range(groups)] if groups else [(name,) for name in names]
    _FOLD.update(examples=featurize(by_writer), by_writer=by_writer)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context) as pool:
            reports = {name: report for fold in pool.map(_fold, folds) for name, report in fold.items()}
    finally:
        _FOLD.clear()
    return {name: reports[name] for name in names}


def read_all(by_writer: dict[str, list[dict]], model: ReaderModel | None) -> Report:
    """One report for every writer's notes read with `model` (None: the rule layer alone)."""
    report = Report()
    for name, records in by_writer.items():
        report.add(evaluate(records, model=model, label=name))
    return report


def print_report(title: str, report: Report) -> None:
    p, r, f = report.micro()
    print(f"\n## {title}: {report.notes} notes")
    print(f"{'tag':<18}{'P':>7}{'R':>7}{'F1':>7}{'gold':>6}")
    for tag, counts in report.tag_counts.items():
        tp, tr, tf = report.tag_prf(tag)
        print(f"{tag:<18}{tp:7.3f}{tr:7.3f}{tf:7.3f}{counts['tp'] + counts['fn']:6d}")
    print(f"{'micro':<18}{p:7.3f}{r:7.3f}{f:7.3f}")
    print(f"{'field':<18}{'accuracy':>9}{'n':>6}")
    for name in FIELDS:
        print(f"{name:<18}{report.accuracy(name):9.3f}{report.field_total[name]:6d}")


def summary_line(name: str, report: Report) -> str:
    figures = " ".join(f"{report.accuracy(n):.3f}" for n in FIELDS)
    return f"{name:<14}{report.notes:6d}{report.micro_f1():8.3f}  {figures}"


def measure_llm(paths: Sequence[Path], *, mistakes: bool) -> int:
    """The LLM reader (SALESBOT_LLM_URL, _MODEL, _API_KEY) on the given files, beside the local reader."""
    from bot.llm_reader import LlmReader
    from config.settings import load

    settings = load()
    if settings.llm is None:
        print("set SALESBOT_LLM_URL, SALESBOT_LLM_MODEL and SALESBOT_LLM_API_KEY to measure an LLM reader")
        return 2
    reader = LlmReader(settings.llm, default_rules())
    report = Report()
    for path in paths:
        report.add(evaluate(load_corpus(path), label=path.stem, read=reader))
    print_report(f"LLM reader {settings.llm.model} at {settings.llm.url}", report)
    if mistakes:
        print("\n".join(report.mistakes))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the note reader on labelled JSONL notes.")
    parser.add_argument("--file", action="append", type=Path, help="measure only this file with the model in use")
    parser.add_argument("--mistakes", action="store_true", help="list every wrong note")
    parser.add_argument("--llm", action="store_true", help="measure the LLM reader of SALESBOT_LLM_* instead")
    parser.add_argument("--groups", type=int, help="hold out this many groups of writers instead of each writer")
    args = parser.parse_args(argv)

    if args.llm:
        return measure_llm(args.file or corpus_files(), mistakes=args.mistakes)

    if args.file:
        for path in args.file:
            records = load_corpus(path)
            report = evaluate(records, label=path.stem)
            rules = evaluate(records, model=None, label=path.stem)
            print_report(f"{path} with the model in use", report)
            print(f"rule layer alone: tags micro-F1 {rules.micro_f1():.3f}")
            if args.mistakes:
                print("\n".join(report.mistakes))
        return 0

    by_writer = writers()
    head = f"{'writer':<14}{'notes':>6}{'tagsF1':>8}  " + " ".join(n[:6] for n in FIELDS)
    lowo = leave_one_writer_out(by_writer, args.groups)
    pooled = Report()
    held = f"{args.groups} groups of writers held out in turn" if args.groups else "each writer held out in turn"
    print(f"# Leave-one-writer-out: {held} (the figures that count)\n" + head)
    for name, report in lowo.items():
        print(summary_line(name, report))
        pooled.add(report)
    print(summary_line("pooled", pooled))
    print_report("Leave-one-writer-out, pooled", pooled)

    rules = read_all(by_writer, None)
    print(
        f"\nrule layer alone on the same notes: tags micro-F1 {rules.micro_f1():.3f}, "
        f"activity {rules.accuracy('activity_type'):.3f}, stage {rules.accuracy('stage_signal'):.3f}"
    )
    shipped = default_model()
    if shipped is not None:
        fit = read_all(by_writer, shipped)
        print(
            f"shipped model on its own training data (not a result): tags micro-F1 {fit.micro_f1():.3f}, "
            f"activity {fit.accuracy('activity_type'):.3f}"
        )
    if args.mistakes:
        print("\nmistakes (leave-one-writer-out):\n  " + "\n  ".join(pooled.mistakes))
    print("\nbelow target: " + ("; ".join(pooled.failures()) or "none"))
    regressions = pooled.failures(FLOORS)
    print("below regression floor: " + ("; ".join(regressions) or "none"))
    return 1 if regressions else 0


if __name__ == "__main__":
    raise SystemExit(main())
