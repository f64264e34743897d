"""Build a process-wide object on first use, once, even when threads ask at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class once(Generic[T]):  # lower case: used as a decorator, like functools.cache
    """Call it for what `build()` returns; `build` runs only the first time (thread-safe). `built` holds the
    object once made (a test may set it to another one)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self.build, self.built, self._lock = build, [], threading.Lock()
        self.__doc__ = build.__doc__

    def __call__(self) -> T:
        if not self.built:
            with self._lock:
                if not self.built:
                    self.built.append(self.build())
        return self.built[0]
