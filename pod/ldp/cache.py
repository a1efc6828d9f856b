"""Bounded caches: a plain LRU mapping, and what is derived from one version of a resource.

`VersionedCache` is keyed by a resource's path and version. What it does not hold yet is made once
however many requests ask for it at the same moment (`get_or_make`): thirty-two readers of a large
document that just changed wait for one conversion, instead of each parsing it again.

Never stale by construction: a write gives the resource a new version (its ETag), so the old
entries are never asked for again; `forget` drops them at once when the resource is known to have
changed (or they age out). Bounded by a budget of bytes (each entry says what it costs), so a few
large documents cannot crowd the server's memory.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A small bounded mapping that forgets the least recently used entry first."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._max_entries:
            self._items.popitem(last=False)

    def pop(self, key: K) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class VersionedCache(Generic[V]):
    def __init__(self, budget_bytes: int, max_entry_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[tuple[str, str], tuple[V, int]] = OrderedDict()
        self._used = 0
        self._versions: dict[str, set[str]] = {}  # path → the versions held for it
        self._making: dict[tuple[str, str], asyncio.Task[V]] = {}

    def get(self, path: str, version: str) -> V | None:
        found = self._entries.get((path, version))
        if found is None:
            return None
        self._entries.move_to_end((path, version))
        return found[0]

    def put(self, path: str, version: str, value: V, cost: int) -> None:
        """Keep `value` unless it costs more than one entry may; forget the least recently used."""
        if cost > self.max_entry_bytes:
            return
        key = (path, version)
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._used -= previous[1]
        self._entries[key] = (value, cost)
        self._versions.setdefault(path, set()).add(version)
        self._used += cost
        while self._used > self.budget_bytes:
            (old_path, old_version), (_, forgotten) = self._entries.popitem(last=False)
            self._used -= forgotten
            self._drop_version(old_path, old_version)

    async def get_or_make(self, path: str, version: str, make: Callable[[], Awaitable[tuple[V, int]]]) -> V:
        """The value held for this version, or the one `make` returns (with its cost), then held.

        While it is being made, others asking for it wait for that making; one asker going away
        (a client hanging up) does not stop it for the rest.
        """
        found = self.get(path, version)
        if found is not None:
            return found
        key = (path, version)
        making = self._making.get(key)
        if making is None:
            making = self._making[key] = asyncio.ensure_future(self._make(key, make))
            making.add_done_callback(_retrieve)
        return await asyncio.shield(making)

    async def _make(self, key: tuple[str, str], make: Callable[[], Awaitable[tuple[V, int]]]) -> V:
        try:
            value, cost = await make()
        finally:
            del self._making[key]
        self.put(*key, value, cost)
        return value

    def forget(self, path: str) -> None:
        """Drop every version held for `path` (it changed: they will not be asked for again)."""
        for version in self._versions.pop(path, ()):
            _, cost = self._entries.pop((path, version))
            self._used -= cost

    def _drop_version(self, path: str, version: str) -> None:
        versions = self._versions[path]
        versions.discard(version)
        if not versions:
            del self._versions[path]

    @property
    def used_bytes(self) -> int:
        return self._used

    def __len__(self) -> int:
        return len(self._entries)


def _retrieve(task: asyncio.Task[object]) -> None:
    """Mark a making's failure as seen: every asker may have gone, and the next asker tries again."""
    if not task.cancelled():
        task.exception()
