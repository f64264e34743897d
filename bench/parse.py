"""Benchmark parse_note against bare jieba.lcut on the same notes, on one core.

Run `python bench/parse.py` (or `make bench`). The notes are the labeled corpus, repeated. Prints notes/s
for parse_note and for jieba.lcut, their ratio, the one-time load cost and the peak resident memory.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from nlp import parse_note  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus" / "project.jsonl"
ROUNDS = 10


def rate(func, texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        func(text)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    now = datetime.fromisoformat(records[0]["now"])
    texts = [r["text"] for r in records] * ROUNDS

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
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"notes: {len(texts)} ({len(records)} distinct, avg {sum(map(len, texts)) / len(texts):.0f} chars)")
    print(f"parse_note   {parser_rate:10,.0f} notes/s   (first call incl. loading config: {load_parser:.3f} s)")
    print(f"jieba.lcut   {jieba_rate:10,.0f} notes/s   (first call incl. dictionary: {load_jieba:.3f} s)")
    print(f"ratio        {parser_rate / jieba_rate:10.2f} x jieba.lcut")
    print(f"peak RSS     {peak_mb:10.1f} MB (whole process, jieba loaded too)")


if __name__ == "__main__":
    main()
