"""A cache for what authentication fetches from other servers (issuer keys, WebID profiles).

Bounded (least recently used entries go first), single-flight (concurrent requests for one key
share one fetch) and failures are remembered for a short while, so that neither a popular
issuer nor a hostile one can make the server fetch the same document on every request.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class RemoteError(Exception):
    """A remote document that could not be fetched or used; the message says why."""


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T | None
    error: str | None
    fetched_at: float
    expires_at: float


class RemoteCache(Generic[T]):
    """Values loaded by `load(key)`, kept for `ttl` seconds (failures for `failure_ttl`)."""

    def __init__(
        self,
        load: Callable[[str], Awaitable[T]],
        *,
        ttl: float,
        failure_ttl: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry[T]] = OrderedDict()
        self._loading: dict[str, asyncio.Task[T]] = {}

    async def get(self, key: str, *, refresh_if_older_than: float | None = None) -> T:
        """The cached value, or a fresh one; `refresh_if_older_than` forces a reload of older entries.

        Raises RemoteError with the (possibly remembered) reason when the value cannot be had.
        """
        entry = self._entries.get(key)
        now = self._clock()
        if entry is not None and now < entry.expires_at:
            too_old = refresh_if_older_than is not None and now - entry.fetched_at >= refresh_if_older_than
            if not too_old:
                self._entries.move_to_end(key)
                if entry.error is not None:
                    raise RemoteError(entry.error)
                assert entry.value is not None
                return entry.value
        task = self._loading.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch(key))
            self._loading[key] = task
            task.add_done_callback(lambda done: self._loaded(key, done))
        # Shielded: a client that goes away must not cancel a fetch other requests are waiting for.
        return await asyncio.shield(task)

    def _loaded(self, key: str, task: asyncio.Task[T]) -> None:
        self._loading.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here so that an unawaited failure is not reported as lost

    async def _fetch(self, key: str) -> T:
        try:
            value = await self._load(key)
        except RemoteError as error:
            now = self._clock()
            self._store(key, _Entry(None, str(error), now, now + self.failure_ttl))
            raise
        now = self._clock()
        self._store(key, _Entry(value, None, now, now + self.ttl))
        return value

    def _store(self, key: str, entry: _Entry[T]) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
