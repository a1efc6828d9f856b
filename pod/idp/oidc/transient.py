"""Short-lived records kept in process memory: authorization codes and consent screens waiting for an answer.

Behind a small interface so that a shared store (Redis) can take their place when the server runs
several processes (DESIGN "Growing past one process").
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Expiring(Generic[T]):
    """A bounded map whose entries vanish `ttl` seconds after they were put."""

    def __init__(
        self, ttl: float, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def _prune(self) -> None:
        now = self._clock()
        while self._entries:
            key, (expires, _) = next(iter(self._entries.items()))
            if expires > now:
                break
            del self._entries[key]

    def put(self, key: str, value: T) -> None:
        self._prune()
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def get(self, key: str) -> T | None:
        self._prune()
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def replace(self, key: str, value: T) -> None:
        """Change an entry's value without extending its life."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries[key] = (entry[0], value)

    def pop(self, key: str) -> T | None:
        self._prune()
        entry = self._entries.pop(key, None)
        return None if entry is None else entry[1]
