"""The rule files in config/ loaded into typed, read-only objects (once per process)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time
from functools import cache
from pathlib import Path

from config import DATA_DIR


class RuleFileError(Exception):
    """A rule file in config/ is missing a field or has a bad value; the message names file and field."""


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    probability: int
    closed: bool = False
    on_activity: tuple[str, ...] = ()
    on_tags: tuple[str, ...] = ()
    on_signals: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()  # what a ledger may call the stage (besides its id and label)


@dataclass(frozen=True)
class Rules:
    tag_labels: dict[str, str]
    # What each tag means, as a person labels it (the optional LLM reader is told these).
    tag_descriptions: dict[str, str]
    stages: tuple[Stage, ...]
    yellow_days: int
    red_days: int
    undo_minutes: int
    stage_lights: dict[str, tuple[int, int]]
    quiet_start: time
    quiet_end: time
    untouched_hours: int
    snooze_hours: int
    sop_min_amount: int
    sop_days: tuple[int, ...]
    morning: time
    leaderboard_weekday: int
    leaderboard_time: time
    leaderboard_top: int
    org_sync_time: time

    def light_days(self, stage_id: str) -> tuple[int, int]:
        """(yellow_days, red_days) for leads in `stage_id`."""
        return self.stage_lights.get(stage_id, (self.yellow_days, self.red_days))

    def tag_label(self, tag_id: str) -> str:
        return self.tag_labels.get(tag_id, tag_id)

    def sort_tags(self, tag_ids: list[str]) -> list[str]:
        """Tag ids in taxonomy order (unknown ids last, alphabetically)."""
        order = {tag_id: i for i, tag_id in enumerate(self.tag_labels)}
        return sorted(tag_ids, key=lambda t: (order.get(t, len(order)), t))

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    @property
    def first_stage(self) -> str:
        return self.stages[0].id

    @property
    def closed_stages(self) -> frozenset[str]:
        return frozenset(s.id for s in self.stages if s.closed)

    @property
    def won_stages(self) -> frozenset[str]:
        """Closed stages at 100 % probability (成交)."""
        return frozenset(s.id for s in self.stages if s.closed and s.probability == 100)

    def is_advance(self, from_stage: str, to_stage: str) -> bool:
        """A move forward in the pipeline: to a later open stage, or to a won one (stages no longer in the
        rules do not count)."""
        order = {s.id: i for i, s in enumerate(self.stages)}
        if from_stage not in order or to_stage not in order:
            return False
        if to_stage in self.closed_stages:
            return to_stage in self.won_stages
        return order[to_stage] > order[from_stage]


def read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(f"{path}: {exc}") from exc


def _need(table: dict, key: str, kind: type, where: str):
    value = table.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RuleFileError(f"{where}: `{key}` must be a {kind.__name__}")
    return value


def load_rules(directory: Path = DATA_DIR) -> Rules:
    """Parse tags.toml, stages.toml and rules.toml from `directory`; raises RuleFileError."""
    tags = read_toml(directory / "tags.toml").get("tag", [])
    labels, descriptions = {}, {}
    for i, tag in enumerate(tags):
        where = f"tags.toml tag #{i + 1}"
        tag_id = _need(tag, "id", str, where)
        labels[tag_id] = _need(tag, "label", str, where)
        descriptions[tag_id] = str(tag.get("description", labels[tag_id]))

    stages = []
    for i, stage in enumerate(read_toml(directory / "stages.toml").get("stage", [])):
        where = f"stages.toml stage #{i + 1}"
        stages.append(
            Stage(
                id=_need(stage, "id", str, where),
                label=_need(stage, "label", str, where),
                probability=_need(stage, "probability", int, where),
                closed=bool(stage.get("closed", False)),
                on_activity=_strings(stage, "on_activity", where),
                on_tags=_strings(stage, "on_tags", where),
                on_signals=_strings(stage, "on_signals", where),
                synonyms=_strings(stage, "synonyms", where),
            )
        )
    if not stages:
        raise RuleFileError("stages.toml: no [[stage]] defined")

    rules = read_toml(directory / "rules.toml")
    lights = rules.get("lights", {})
    yellow = _need(lights, "yellow_days", int, "rules.toml [lights]")
    red = _need(lights, "red_days", int, "rules.toml [lights]")
    stage_lights = {}
    for stage_id, days in lights.get("stages", {}).items():
        where = f"rules.toml [lights.stages] {stage_id}"
        stage_lights[stage_id] = (_need(days, "yellow_days", int, where), _need(days, "red_days", int, where))
    for where, (y, r) in [("[lights]", (yellow, red)), *stage_lights.items()]:
        if not 0 < y < r:
            raise RuleFileError(f"rules.toml {where}: need 0 < yellow_days < red_days")
    quiet = rules.get("quiet_hours", {})
    escalation = rules.get("escalation", {})
    sop = rules.get("sop", {})
    schedule = rules.get("schedule", {})
    sop_days = tuple(sop.get("days", ()))
    if not all(isinstance(d, int) and d > 0 for d in sop_days) or list(sop_days) != sorted(set(sop_days)):
        raise RuleFileError("rules.toml [sop]: `days` must be increasing whole numbers of days")
    weekday = _need(schedule, "leaderboard_weekday", int, "rules.toml [schedule]")
    if not 1 <= weekday <= 7:
        raise RuleFileError("rules.toml [schedule]: leaderboard_weekday must be 1 (Monday) to 7")
    return Rules(
        tag_labels=labels,
        tag_descriptions=descriptions,
        stages=tuple(stages),
        yellow_days=yellow,
        red_days=red,
        undo_minutes=_need(rules.get("conversation", {}), "undo_minutes", int, "rules.toml [conversation]"),
        stage_lights=stage_lights,
        quiet_start=_clock(quiet, "start", "rules.toml [quiet_hours]"),
        quiet_end=_clock(quiet, "end", "rules.toml [quiet_hours]"),
        untouched_hours=_need(escalation, "untouched_hours", int, "rules.toml [escalation]"),
        snooze_hours=_need(escalation, "snooze_hours", int, "rules.toml [escalation]"),
        sop_min_amount=_need(sop, "min_amount", int, "rules.toml [sop]"),
        sop_days=sop_days,
        morning=_clock(schedule, "morning", "rules.toml [schedule]"),
        leaderboard_weekday=weekday,
        leaderboard_time=_clock(schedule, "leaderboard_time", "rules.toml [schedule]"),
        leaderboard_top=_need(rules.get("leaderboard", {}), "top", int, "rules.toml [leaderboard]"),
        org_sync_time=_clock(schedule, "org_sync", "rules.toml [schedule]"),
    )


def _strings(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleFileError(f"{where}: `{key}` must be a list of strings")
    return tuple(value)


def _clock(table: dict, key: str, where: str) -> time:
    value = _need(table, key, str, where)
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise RuleFileError(f"{where}: `{key}` must be a time like 08:30, got {value!r}") from exc


@cache
def default_rules() -> Rules:
    """The rules shipped in config/, parsed once per process."""
    return load_rules()
