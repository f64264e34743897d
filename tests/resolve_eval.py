"""Measure lead resolution on labelled cases: `python -m tests.resolve_eval [FILE.jsonl ...] [--mistakes]`.

Each case (one JSON object per line) gives the leads the bot knows, the rep's message and the expected lead
(or "new", or "ask" when a careful colleague could not tell). The message is read by the shipped reader, as
in chat. Figures:

- accuracy: the right lead in the end — matched at once, or offered on a question card (新客户 is always
  offered, so a question is right for "new" too); for "ask", a question;
- wrong merges: a message logged on a lead it is not about (or a guess where a colleague would ask): the
  costly error;
- missed matches: a known customer taken for a new one;
- questions: questions asked on cases that have a clear answer.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from nlp import parse_note
from nlp.resolve import Candidate, Mention, Outcome, Resolution, resolve

DATA = Path(__file__).parent / "data"
DEFAULT_FILES = (DATA / "resolve.jsonl",)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TARGETS = {"accuracy": 0.95, "wrong_merges": 0.01, "questions_on_clear": 0.10}


@dataclass(frozen=True)
class Verdict:
    case: dict
    resolution: Resolution
    correct: bool
    wrong_merge: bool
    missed: bool
    question: bool


def candidates(case: dict) -> list[Candidate]:
    recent = case.get("recent") or {}
    return [
        Candidate(
            id=lead["id"],
            company=lead.get("company"),
            contact=lead.get("contact_name"),
            phone=lead.get("phone"),
            mine=lead["owner"] == "me",
            notes=tuple(lead.get("notes", ())),
            minutes_since_last_note=recent.get("minutes_ago") if recent.get("lead") == lead["id"] else None,
        )
        for lead in case["leads"]
    ]


def judge(case: dict) -> Verdict:
    note = parse_note(case["message"], NOW)
    mention = Mention(case["message"], company=note.company, contact=note.contact_name, phone=note.phone)
    got = resolve(mention, candidates(case))
    expect = case["expect"]
    asked = got.outcome in (Outcome.ASK, Outcome.UNKNOWN)
    if expect == "ask":
        correct, wrong, missed = asked, got.outcome == Outcome.MATCH, False
    elif expect == "new":
        correct = got.outcome == Outcome.NEW or got.outcome == Outcome.ASK
        wrong, missed = got.outcome == Outcome.MATCH, False
    else:
        correct = (got.outcome == Outcome.MATCH and got.lead_id == expect) or (
            got.outcome == Outcome.ASK and expect in got.choices
        )
        wrong = got.outcome == Outcome.MATCH and got.lead_id != expect
        missed = got.outcome == Outcome.NEW
    return Verdict(case, got, correct, wrong, missed, asked and expect != "ask")


def figures(verdicts: list[Verdict]) -> dict[str, float]:
    n = len(verdicts)
    clear = [v for v in verdicts if v.case["expect"] != "ask"]
    return {
        "cases": n,
        "accuracy": sum(v.correct for v in verdicts) / n,
        "wrong_merges": sum(v.wrong_merge for v in verdicts) / n,
        "missed_matches": sum(v.missed for v in verdicts) / n,
        "questions_on_clear": sum(v.question for v in clear) / max(1, len(clear)),
    }


def read_cases(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line]


def report(verdicts: list[Verdict], title: str, out=sys.stdout) -> dict[str, float]:
    result = figures(verdicts)
    print(f"{title}: {result['cases']} cases", file=out)
    for key, target in TARGETS.items():
        at_least = key == "accuracy"
        ok = result[key] >= target if at_least else result[key] <= target
        bound = f"{'≥' if at_least else '≤'}{target}"
        print(f"  {key:20s} {result[key]:.3f}  (target {bound}) {'' if ok else 'MISSED'}", file=out)
    print(f"  {'missed_matches':20s} {result['missed_matches']:.3f}", file=out)
    by_kind: dict[str, Counter] = {}
    for v in verdicts:
        c = by_kind.setdefault(v.case.get("kind", "?"), Counter())
        c["n"] += 1
        c["ok"] += v.correct
    print("  by kind: " + ", ".join(f"{k} {c['ok']}/{c['n']}" for k, c in sorted(by_kind.items())), file=out)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument("--mistakes", action="store_true", help="print every case resolved wrongly")
    args = parser.parse_args(argv)
    verdicts = [judge(case) for case in read_cases(args.files)]
    report(verdicts, "lead resolution " + " ".join(p.name for p in args.files))
    if args.mistakes:
        for v in verdicts:
            if not v.correct or v.question:
                r = v.resolution
                print(
                    f"{v.case['id']} [{v.case['kind']}] expect {v.case['expect']} got {r.outcome} "
                    f"{r.lead_id or list(r.choices)}: {r.evidence}\n    {v.case['message']}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
