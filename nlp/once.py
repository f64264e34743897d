"""Build a process-wide object on first use, once, even when threads ask at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def once(build: Callable[[], T]) -> Callable[[], T]:
    """A function returning what `build()` returns, calling `build` only the first time (thread-safe)."""
    lock = threading.Lock()
    built: list[T] = []

    def get() -> T:
        if not built:
            with lock:
                if not built:
                    built.append(build())
        return built[0]

    get.__doc__ = build.__doc__
    return get
