"""Settings and the default rule files (tag taxonomy, stages, thresholds) that operators edit as data."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
