"""Bounded caches: a plain LRU mapping, and what is derived from one version of a resource.

`VersionedCache` is keyed by a resource's path and version.

Never stale by construction: a write gives the resource a new version (its ETag), so the old
entries are never asked for again; `forget` drops them at once when the resource is known to have
changed (or they age out). Bounded by a budget of bytes (each entry says what it costs), so a few
large documents cannot crowd the server's memory.
"""

from __future__ import annotations

from collections import OrderedDict
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
