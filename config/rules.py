"""The rule files in config/ loaded into typed, read-only objects (once per process)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Rules:
    tag_labels: dict[str, str]
    stages: tuple[Stage, ...]
    yellow_days: int
    red_days: int
    undo_minutes: int

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
    labels = {}
    for i, tag in enumerate(tags):
        where = f"tags.toml tag #{i + 1}"
        labels[_need(tag, "id", str, where)] = _need(tag, "label", str, where)

    stages = []
    for i, stage in enumerate(read_toml(directory / "stages.toml").get("stage", [])):
        where = f"stages.toml stage #{i + 1}"
        stages.append(
            Stage(
                id=_need(stage, "id", str, where),
                label=_need(stage, "label", str, where),
                probability=_need(stage, "probability", int, where),
                closed=bool(stage.get("closed", False)),
            )
        )
    if not stages:
        raise RuleFileError("stages.toml: no [[stage]] defined")

    rules = read_toml(directory / "rules.toml")
    lights = rules.get("lights", {})
    conversation = rules.get("conversation", {})
    yellow = _need(lights, "yellow_days", int, "rules.toml [lights]")
    red = _need(lights, "red_days", int, "rules.toml [lights]")
    if not 0 < yellow < red:
        raise RuleFileError("rules.toml [lights]: need 0 < yellow_days < red_days")
    return Rules(
        tag_labels=labels,
        stages=tuple(stages),
        yellow_days=yellow,
        red_days=red,
        undo_minutes=_need(conversation, "undo_minutes", int, "rules.toml [conversation]"),
    )


@cache
def default_rules() -> Rules:
    """The rules shipped in config/, parsed once per process."""
    return load_rules()
