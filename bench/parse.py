"""Benchmark parse_note against bare jieba.lcut on the same notes, on one core.

Run `python bench/parse.py` (or `make bench`). The notes are every writer's labelled notes. Prints notes/s
for parse_note and for jieba.lcut in the same process (their ratio is what to compare across machines),
the one-time costs (the model file, jieba's dictionary), and the peak resident memory of a
`salesbot parse` process reading all the notes.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from nlp import parse_note  # noqa: E402
from nlp.model import SHIPPED, ReaderModel  # noqa: E402
from nlp.segment import default_segmenter  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus"
ROUNDS = 2


def rate(func, texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        func(text)
    return len(texts) / (time.perf_counter() - start)


# A child's peak RSS as getrusage reports it is at least its parent's size when it was started: Linux counts
# the pages of the process that exec replaced. A small launcher between this (large) process and
# `salesbot parse` keeps the figure to the command's own peak.
_LAUNCHER = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdin=sys.stdin, capture_output=True, text=True, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, len(done.stdout.splitlines()))
"""


def cli_peak_mb(records: list[dict], now: datetime) -> tuple[float, int]:
    """Peak resident memory of `salesbot parse` reading every note, and how many lines it printed."""
    salesbot = str(Path(sys.executable).with_name("salesbot"))
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, salesbot, "parse", "--now", now.isoformat()],
        input="\n".join(r["text"].replace("\n", " ") for r in records),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1])


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    records = [
        json.loads(line)
        for path in sorted(CORPUS.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    now = datetime.fromisoformat(records[0]["now"])
    texts = [r["text"] for r in records] * ROUNDS

    start = time.perf_counter()
    ReaderModel.from_file(SHIPPED)
    load_model = time.perf_counter() - start
    start = time.perf_counter()
    default_segmenter()
    load_segmenter = time.perf_counter() - start
    start = time.perf_counter()
    parse_note(texts[0], now)
    load_parser = time.perf_counter() - start

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.tmp_dir = tempfile.gettempdir()
    start = time.perf_counter()
    jieba.lcut(texts[0])
    load_jieba = time.perf_counter() - start

    parser_rate = rate(lambda text: parse_note(text, now), texts)
    jieba_rate = rate(jieba.lcut, texts)
    cli_mb, cli_lines = cli_peak_mb(records, now)
    print(f"notes: {len(texts)} ({len(records)} distinct, avg {sum(map(len, texts)) / len(texts):.0f} chars)")
    print(f"parse_note   {parser_rate:10,.0f} notes/s")
    print(f"jieba.lcut   {jieba_rate:10,.0f} notes/s   (first call incl. dictionary: {load_jieba:.3f} s)")
    print(f"ratio        {parser_rate / jieba_rate:10.2f} x jieba.lcut")
    print(f"load         model {load_model:.3f} s, segmenter {load_segmenter:.3f} s, first note {load_parser:.3f} s")
    print(f"peak RSS     {cli_mb:10.1f} MB (salesbot parse over {cli_lines} notes)")


if __name__ == "__main__":
    main()
