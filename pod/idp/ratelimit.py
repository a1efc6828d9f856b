"""Rate limiting of login attempts, per account and per client address (in-process today)."""

from __future__ import annotations

import time
from collections import deque
from typing import Protocol


class RateLimiter(Protocol):
    """Counts failures per key; a key with too many recent failures must wait (a shared store later)."""

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait before the next attempt for `key`, or None when it may go ahead."""
        ...

    def failed(self, key: str) -> None: ...

    def succeeded(self, key: str) -> None: ...


class SlidingWindowLimiter:
    """At most `limit` failures per key within `window` seconds; memory bounded by `max_keys`."""

    def __init__(self, limit: int = 10, window: float = 300.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def retry_after(self, key: str) -> int | None:
        now = time.monotonic()
        failures = self._recent(key, now)
        if failures is None or len(failures) < self.limit:
            return None
        return max(1, int(failures[0] + self.window - now + 0.999))

    def failed(self, key: str) -> None:
        now = time.monotonic()
        if key not in self._failures and len(self._failures) >= self.max_keys:
            # Forget the oldest key rather than grow without bound under a spray of addresses.
            del self._failures[next(iter(self._failures))]
        failures = self._recent(key, now) or self._failures.setdefault(key, deque())
        failures.append(now)
        self._failures[key] = failures

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
