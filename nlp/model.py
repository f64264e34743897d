"""The trained reader: linear weights over a note's features (nlp/features.py), stored as one file.

Three heads share the feature matrix: one yes/no column per tag, one column per activity type and one
per stage signal (with "none"). A fourth, `follow_up`, judges each date a note names (nlp/followup.py):
is it the follow-up, or a delivery, payment or deadline? The shipped model is `nlp/reader_model.json.gz`,
built by `make train` from tests/data/; a deployment's own model (`salesbot nlp train --with-corrections`)
is saved in its data directory and preferred.
Reading it needs numpy only; training (nlp/training.py) needs scikit-learn.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlp.spans import SpanTagger

SHIPPED = Path(__file__).resolve().parent / "reader_model.json.gz"
DEPLOYMENT_FILE = "reader_model.json.gz"
FORMAT = 1
NO_SIGNAL = "none"
ACTIVITIES = ("visit", "call", "wechat", "meeting", "demo", "quote", "sample", "contract", "other")
_SCALE = 10_000


class ModelFileError(ValueError):
    """The model file cannot be read as a reader model."""


@dataclass(frozen=True)
class Prediction:
    tag_probability: dict[str, float]
    activity: str
    stage_signal: str | None


@dataclass(frozen=True)
class LinearHead:
    """A logistic regression over string features of its own."""

    features: dict[str, int]
    weights: np.ndarray
    bias: float

    def probability(self, features: list[str]) -> float:
        index = [i for i in map(self.features.get, features) if i is not None]
        score = self.bias + float(self.weights[index].sum())
        return 1 / (1 + math.exp(-score))

    def to_doc(self) -> dict:
        return {
            "features": sorted(self.features, key=self.features.__getitem__),
            "weights": np.rint(self.weights * _SCALE).astype(int).tolist(),
            "bias": round(self.bias * _SCALE),
        }

    @classmethod
    def from_doc(cls, doc: dict) -> LinearHead:
        return cls(
            features={f: i for i, f in enumerate(doc["features"])},
            weights=np.asarray(doc["weights"], dtype=np.float64) / _SCALE,
            bias=doc["bias"] / _SCALE,
        )


@dataclass
class ReaderModel:
    tags: tuple[str, ...]
    activities: tuple[str, ...]
    stages: tuple[str, ...]
    features: dict[str, int]
    weights: np.ndarray
    bias: np.ndarray
    # The taxonomy's keywords and patterns per tag at training time: a word an operator adds later is
    # not known to the model, so the parser takes it as sure.
    keywords: dict[str, frozenset[str]]
    trained_at: str
    examples: int
    sources: dict[str, int] = field(default_factory=dict)
    # The CRF that finds the company and contact (nlp/spans.py), or None to leave them to the rules.
    spans: SpanTagger | None = None
    # The judge of follow-up dates, or None to leave them to the rules (a model trained before it existed).
    follow_up: LinearHead | None = None
    path: Path | None = None

    def predict(self, features: list[str]) -> Prediction:
        known = self.features
        index = [i for i in map(known.get, features) if i is not None]
        scores = self.bias + self.weights[index].sum(axis=0) if index else self.bias.copy()
        t, a = len(self.tags), len(self.activities)
        probabilities = (1 / (1 + np.exp(-scores[:t].astype(np.float64)))).tolist()
        tag_probability = dict(zip(self.tags, probabilities, strict=True))
        activity = self.activities[int(np.argmax(scores[t : t + a]))]
        stage = self.stages[int(np.argmax(scores[t + a :]))]
        return Prediction(tag_probability, activity, None if stage == NO_SIGNAL else stage)

    def to_file(self, path: Path) -> None:
        """Write the model; the same model always gives the same bytes."""
        doc = {
            "format": FORMAT,
            "trained_at": self.trained_at,
            "examples": self.examples,
            "sources": self.sources,
            "tags": list(self.tags),
            "activities": list(self.activities),
            "stages": list(self.stages),
            "keywords": {tag: sorted(words) for tag, words in sorted(self.keywords.items())},
            "bias": [round(float(b) * _SCALE) for b in self.bias],
            "features": sorted(self.features, key=self.features.__getitem__),
            "weights": np.rint(self.weights * _SCALE).astype(int).tolist(),
            "spans": base64.b64encode(self.spans.model).decode() if self.spans else None,
            "follow_up": self.follow_up.to_doc() if self.follow_up else None,
        }
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
            gz.write(data)

    @classmethod
    def from_file(cls, path: Path) -> ReaderModel:
        try:
            doc = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, EOFError, gzip.BadGzipFile, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{path}: not a reader model ({exc})") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else None
            raise ModelFileError(f"{path}: model format {found!r}, this version reads {FORMAT}")
        try:
            heads = len(doc["tags"]) + len(doc["activities"]) + len(doc["stages"])
            return cls(
                tags=tuple(doc["tags"]),
                activities=tuple(doc["activities"]),
                stages=tuple(doc["stages"]),
                features={f: i for i, f in enumerate(doc["features"])},
                weights=np.asarray(doc["weights"], dtype=np.float32).reshape(-1, heads) / _SCALE,
                bias=np.asarray(doc["bias"], dtype=np.float32) / _SCALE,
                keywords={tag: frozenset(words) for tag, words in doc["keywords"].items()},
                trained_at=doc["trained_at"],
                examples=int(doc["examples"]),
                sources=dict(doc.get("sources", {})),
                spans=SpanTagger(base64.b64decode(doc["spans"])) if doc.get("spans") else None,
                follow_up=LinearHead.from_doc(doc["follow_up"]) if doc.get("follow_up") else None,
                path=path,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: not a reader model ({exc})") from exc


def model_path(data_dir: Path | None) -> Path:
    """The model in use: the deployment's own in `data_dir` when there is one, else the shipped one."""
    if data_dir is not None and (data_dir / DEPLOYMENT_FILE).is_file():
        return data_dir / DEPLOYMENT_FILE
    return SHIPPED


_lock = threading.Lock()
_state: dict[str, object] = {"data_dir": None}


def use_data_dir(data_dir: Path | None) -> None:
    """Say where this deployment keeps its own model (the CLI and the worker call this on start). The
    loaded model is forgotten only when the directory changes."""
    with _lock:
        if _state.get("data_dir") != data_dir:
            _state.clear()
            _state["data_dir"] = data_dir


def default_model() -> ReaderModel | None:
    """The model in use, loaded on first use (thread-safe); None when no model file exists, in which case
    the rule layer alone reads notes."""
    if "model" not in _state:
        with _lock:
            if "model" not in _state:
                data_dir = _state["data_dir"]
                path = model_path(data_dir if isinstance(data_dir, Path) else None)
                _state["model"] = ReaderModel.from_file(path) if path.is_file() else None
    model = _state["model"]
    return model if isinstance(model, ReaderModel) else None
