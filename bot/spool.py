"""Events kept on disk until they can be stored: for a channel that pushes an event once and never again (the
WeCom AI bot's frames have no ack), an event that arrives while the database is down waits here, one JSON file
each, written whole (a temporary file, fsync, rename) so a crash leaves either the event or nothing."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def keep(self, key: str, record: dict[str, Any]) -> Path:
        """Keep `record` under `key` (the event's dedup key: keeping it twice keeps it once)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        partial = path.with_suffix(".part")
        with partial.open("w", encoding="utf-8") as fh:
            json.dump({"key": key, "record": record}, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
        return path

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """What is kept, oldest first; a file that cannot be read (not written whole) is passed over."""
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns):
            try:
                kept = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            yield kept["key"], kept["record"]

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(list(self.folder.glob("*.json"))) if self.folder.is_dir() else 0
