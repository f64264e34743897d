"""Load the parser's data from config/ once per process: tags.toml, nlp.toml and userdict.txt.

Every literal word (tag keywords, negation words, activity words, entity cues, company suffixes,
user-dictionary terms) goes into one Aho-Corasick automaton, so a note is scanned once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from config import DATA_DIR
from config.rules import RuleFileError, read_toml
from nlp.company_names import read_places
from nlp.once import once

# Word kinds in the automaton. A word may carry several kinds (e.g. 不用 negates before and after).
TAG = "tag"
NEG_BEFORE = "neg_before"
NEG_AFTER = "neg_after"
NOT_NEG = "not_neg"
IRREALIS = "irrealis"
BREAK = "break"
ACTIVITY = "activity"
TERM = "term"
SUFFIX = "suffix"
PLACE = "place"
COMPANY_STOP = "company_stop"
NOT_CUSTOMER = "not_customer"
PHONE_BLOCK = "phone_block"
CORRECTION = "correction"
DIFFERENCE = "difference"
UNIT_PRICE = "unit_price"
AMOUNT_CUE = "amount_cue"
NAME_CUE = "name_cue"
FOLLOW_UP = "follow_up"
RESCHEDULE = "reschedule"
NOT_FOLLOW_UP = "not_follow_up"
VAGUE = "vague"
STAGE = "stage"
# A name of config/companies.txt: a well-known organisation, likely the customer or a rival.
KNOWN_COMPANY = "known_company"
# Stage signals in order of precedence: a note that says both 合同发了 and 签了 was won.
STAGE_SIGNALS = ("won", "lost", "contract", "quote_sent")

GAP = "~"
GAP_REGEX = "[^,.;!?，。；！？、\\s不没无未]{0,4}"


@dataclass(frozen=True)
class TagRule:
    id: str
    label: str
    risk: bool
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Lexicon:
    tags: tuple[TagRule, ...]
    automaton: ahocorasick.Automaton
    max_chars: int
    default_hour: int
    neg_window: int
    after_window: int
    activity_order: tuple[str, ...]
    activity_labels: frozenset[str]
    surnames: frozenset[str]
    compound_surnames: tuple[str, ...]
    titled_name: re.Pattern[str]
    not_names: frozenset[str]
    quantity_units: frozenset[str]
    company_units: tuple[str, ...]
    departments: tuple[str, ...]
    periods: dict[str, int]


def _words(table: dict, key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleFileError(f"{where}: `{key}` must be a list of non-empty strings")
    return [normalize(v) for v in value]


def normalize(text: str) -> str:
    """Full-width ASCII to half-width, ideographic space to space, ASCII lower-case; same length."""
    return text.translate(_HALF_WIDTH).lower()


_HALF_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}


def compile_pattern(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(normalize(pattern).replace(GAP, GAP_REGEX))
    except re.error as exc:
        raise RuleFileError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def read_userdict(path: Path) -> list[tuple[str, str]]:
    """(word, part of speech) pairs from a jieba user dictionary (`word [freq] [tag]` per line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RuleFileError(f"{path}: {exc}") from exc
    entries = []
    for line in lines:
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            pos = parts[2] if len(parts) > 2 else (parts[1] if len(parts) == 2 and not parts[1].isdigit() else "")
            entries.append((normalize(parts[0]), pos))
    return entries


def read_names(path: Path) -> list[str]:
    """The names of a one-name-a-line file (`#` starts a comment); none when the file is absent."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [normalize(line.strip()) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def load_lexicon(directory: Path = DATA_DIR) -> Lexicon:
    """Build the lexicon from tags.toml, nlp.toml and userdict.txt in `directory`."""
    words: dict[str, set[tuple[str, str]]] = {}

    def add(kind: str, items: list[str], payload: str = "") -> None:
        for word in items:
            words.setdefault(word, set()).add((kind, payload))

    tag_rules = []
    for i, table in enumerate(read_toml(directory / "tags.toml").get("tag", [])):
        where = f"tags.toml tag #{i + 1}"
        tag_id, label = table.get("id"), table.get("label")
        if not isinstance(tag_id, str) or not isinstance(label, str):
            raise RuleFileError(f"{where}: `id` and `label` must be strings")
        add(TAG, _words(table, "keywords", where), tag_id)
        patterns = tuple(compile_pattern(p, where) for p in _words(table, "patterns", where))
        tag_rules.append(TagRule(tag_id, label, bool(table.get("risk", False)), patterns))

    nlp = read_toml(directory / "nlp.toml")
    parse, neg = nlp.get("parse", {}), nlp.get("negation", {})
    activity, ent, time = nlp.get("activity", {}), nlp.get("entities", {}), nlp.get("time", {})
    add(NEG_BEFORE, _words(neg, "before", "nlp.toml [negation]"))
    add(NEG_AFTER, _words(neg, "after", "nlp.toml [negation]"))
    add(NOT_NEG, _words(neg, "not_negation", "nlp.toml [negation]"))
    add(IRREALIS, _words(neg, "irrealis", "nlp.toml [negation]"))
    add(BREAK, _words(neg, "clause_breaks", "nlp.toml [negation]"))
    order = _words(activity, "order", "nlp.toml [activity]")
    for kind in order:
        add(ACTIVITY, _words(activity, kind, "nlp.toml [activity]"), kind)
    entity_lists = {
        SUFFIX: "company_suffixes",
        COMPANY_STOP: "company_stops",
        NOT_CUSTOMER: "not_customer_cues",
        PHONE_BLOCK: "phone_blockers",
        CORRECTION: "corrections",
        DIFFERENCE: "amount_differences",
        UNIT_PRICE: "unit_price_cues",
        AMOUNT_CUE: "amount_cues",
        NAME_CUE: "name_cues",
    }
    for kind, key in entity_lists.items():
        add(kind, _words(ent, key, "nlp.toml [entities]"))
    cues = time.get("cues", {})
    add(FOLLOW_UP, _words(cues, "follow_up", "nlp.toml [time.cues]"))
    add(RESCHEDULE, _words(cues, "reschedule", "nlp.toml [time.cues]"))
    add(NOT_FOLLOW_UP, _words(cues, "not_follow_up", "nlp.toml [time.cues]"))
    add(VAGUE, _words(cues, "vague", "nlp.toml [time.cues]"))
    signals = nlp.get("stage_signal", {})
    for signal in STAGE_SIGNALS:
        add(STAGE, _words(signals, signal, "nlp.toml [stage_signal]"), signal)
    add(KNOWN_COMPANY, read_names(directory / "companies.txt"))
    # Counties and districts (武进, 龙湾): the provinces and cities are in [entities] places.
    add(PLACE, [normalize(n) for n, ps in read_places(directory / "places.tsv").items() if ps[0].code[-2:] != "00"])
    for word, pos in read_userdict(directory / "userdict.txt"):
        add(SUFFIX if pos == "nt" else TERM, [word])
        if pos == "ns":
            add(PLACE, [word])

    automaton = ahocorasick.Automaton()
    for word, kinds in words.items():
        automaton.add_word(word, (word, frozenset(kinds)))
    automaton.make_automaton()

    periods = time.get("periods", {})
    if not all(isinstance(v, int) and 0 <= v <= 23 for v in periods.values()):
        raise RuleFileError("nlp.toml [time.periods]: hours must be integers 0-23")
    default_hour = parse.get("default_hour", 10)
    max_chars = parse.get("max_chars", 2000)
    if not isinstance(default_hour, int) or not 0 <= default_hour <= 23:
        raise RuleFileError("nlp.toml [parse]: `default_hour` must be an integer 0-23")
    if not isinstance(max_chars, int) or max_chars < 1:
        raise RuleFileError("nlp.toml [parse]: `max_chars` must be a positive integer")
    surnames = "".join(str(ent.get("surnames", "")).split())
    compounds = _words(ent, "compound_surnames", "nlp.toml [entities]")
    titles = sorted(_words(ent, "titles", "nlp.toml [entities]"), key=len, reverse=True)
    titled_name = re.compile(
        "(?P<surname>{}|[{}])(?P<title>{})".format(
            "|".join(map(re.escape, compounds)), re.escape(surnames), "|".join(map(re.escape, titles))
        )
    )
    return Lexicon(
        tags=tuple(tag_rules),
        automaton=automaton,
        max_chars=max_chars,
        default_hour=default_hour,
        neg_window=int(neg.get("window", 6)),
        after_window=int(neg.get("after_window", 4)),
        activity_order=tuple(order),
        activity_labels=frozenset(_words(activity, "labels", "nlp.toml [activity]")),
        surnames=frozenset(surnames),
        compound_surnames=tuple(compounds),
        titled_name=titled_name,
        not_names=frozenset(_words(ent, "not_names", "nlp.toml [entities]")),
        quantity_units=frozenset(str(ent.get("quantity_units", ""))),
        company_units=tuple(_words(ent, "company_units", "nlp.toml [entities]")),
        departments=tuple(normalize(w) for w in _words(ent, "departments", "nlp.toml [entities]")),
        periods={normalize(k): v for k, v in periods.items()},
    )


@once
def default_lexicon() -> Lexicon:
    """The lexicon built from config/, once per process (thread-safe)."""
    return load_lexicon()
