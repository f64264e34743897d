"""Benchmark lead resolution: how much a note costs on top of reading it, for a rep with many leads.

Run `python bench/resolve.py` (or `make bench`). Builds an embedded SQLite database with one rep owning
LEADS leads (companies from the labelled resolution cases), then sends NOTES notes through the conversation
(`conversation.handle`, resolution included) and reads the same notes with `parse_note` alone, in the same
process. The ratio of the two rates is what to compare across machines.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import conversation  # noqa: E402
from bot.platforms.base import InboundMessage  # noqa: E402
from config.rules import load_rules  # noqa: E402
from nlp import parse_note  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.leads import match_or_create_lead  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.people import ensure_user  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
LEADS = 500
NOTES = int(sys.argv[1]) if len(sys.argv) > 1 else 200
CASES = ROOT / "tests" / "data" / "resolve.jsonl"


def main() -> None:
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line]
    companies = list(dict.fromkeys(lead["company"] for case in cases for lead in case["leads"] if lead["company"]))
    messages = [case["message"] for case in cases][:NOTES]
    rules = load_rules()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory.begin() as session:
            rep = ensure_user(session, "chat:bench", name="测试", now=NOW)
            for company in companies[:LEADS]:
                match_or_create_lead(session, rep, company=company, contact_name=None, phone=None, now=NOW, rules=rules)
        for text in messages[:5]:  # load the reader and the name rules before timing
            parse_note(text, NOW)

        start = time.perf_counter()
        for text in messages:
            parse_note(text, NOW)
        read = len(messages) / (time.perf_counter() - start)

        start = time.perf_counter()
        for i, text in enumerate(messages):
            moment = NOW + timedelta(hours=i)  # an hour apart: no note is read as context for the next
            message = InboundMessage(channel="chat", sender="chat:bench", text=text, received_at=moment)
            with factory.begin() as session:
                conversation.handle(session, message, now=moment, tz=TZ, rules=rules)
        handled = len(messages) / (time.perf_counter() - start)
    print(f"leads of the rep: {min(LEADS, len(companies))}, notes: {len(messages)}")
    print(f"parse_note alone:            {read:8.1f} notes/s")
    print(f"handled (read + resolve + log): {handled:8.1f} notes/s  ({handled / read:.2f}x of reading alone)")


if __name__ == "__main__":
    main()
