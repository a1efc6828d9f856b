"""MemoryStore: resources in a dict, for tests and throw-away servers."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pod.errors import Conflict, NotFound
from pod.ldp.identifiers import ROOT, AuxiliaryKind, ResourceIdentifier
from pod.storage.base import Body, Entry, Staged, collect


@dataclass(frozen=True, slots=True)
class _Stored:
    content_type: str | None
    body: bytes
    mtime_ns: int
    version: int


class MemoryStore:
    def __init__(self) -> None:
        self._versions = itertools.count(1)
        self._generation = 0
        self._acl_generation = 0
        self._items: dict[ResourceIdentifier, _Stored] = {ROOT: self._new(None, b"")}

    def _new(self, content_type: str | None, body: bytes) -> _Stored:
        self._generation = next(self._versions)  # every change makes a new _Stored
        return _Stored(content_type, body, time.time_ns(), self._generation)

    def generation(self) -> int | None:
        return self._generation

    def acl_generation(self) -> int | None:
        return self._acl_generation

    def _note_acl_change(self, identifier: ResourceIdentifier) -> None:
        if identifier.auxiliary_kind is AuxiliaryKind.ACL:
            self._acl_generation += 1

    def _entry(self, identifier: ResourceIdentifier, stored: _Stored) -> Entry:
        return Entry(identifier, stored.content_type, len(stored.body), stored.mtime_ns, stored.version)

    def _touch(self, container: ResourceIdentifier) -> None:
        """A container's mtime follows changes to its membership, as a folder's does."""
        self._items[container] = self._new(None, b"")

    def _check_parent(self, identifier: ResourceIdentifier) -> ResourceIdentifier:
        parent = identifier.parent
        assert parent is not None
        if parent not in self._items:
            raise NotFound(f"the container {parent} does not exist")
        if identifier.with_slash_toggled() in self._items:
            kind = "document" if identifier.is_container else "container"
            raise Conflict(f"{identifier.with_slash_toggled()} is a {kind}")
        return parent

    async def exists(self, identifier: ResourceIdentifier) -> bool:
        return identifier in self._items

    async def stat(self, identifier: ResourceIdentifier) -> Entry | None:
        stored = self._items.get(identifier)
        return None if stored is None else self._entry(identifier, stored)

    async def read(self, identifier: ResourceIdentifier) -> bytes:
        stored = self._items.get(identifier)
        if stored is None or identifier.is_container:
            raise NotFound(f"{identifier} does not exist")
        return stored.body

    async def stream(
        self, identifier: ResourceIdentifier, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        yield (await self.read(identifier))[start:end]

    async def stage(self, body: Body) -> Staged:
        data = await collect(body)
        return Staged(len(data), data)

    async def discard(self, staged: Staged) -> None:
        pass

    async def write(
        self, identifier: ResourceIdentifier, content: bytes | Staged, content_type: str
    ) -> Entry:
        parent = self._check_parent(identifier)
        data = content if isinstance(content, bytes) else content.handle
        assert isinstance(data, bytes)
        existed = identifier in self._items
        self._note_acl_change(identifier)
        stored = self._items[identifier] = self._new(content_type, data)
        if not existed:
            self._touch(parent)
        return self._entry(identifier, stored)

    async def make_container(self, identifier: ResourceIdentifier) -> Entry:
        if identifier not in self._items:
            parent = self._check_parent(identifier)
            self._items[identifier] = self._new(None, b"")
            self._touch(parent)
        return self._entry(identifier, self._items[identifier])

    async def delete(self, identifier: ResourceIdentifier) -> None:
        if identifier not in self._items:
            raise NotFound(f"{identifier} does not exist")
        if identifier.is_container and any(identifier.is_ancestor_of(i) for i in self._items):
            raise Conflict("the container is not empty")
        self._note_acl_change(identifier)
        del self._items[identifier]
        parent = identifier.parent
        if parent is not None:
            self._touch(parent)

    async def children(self, container: ResourceIdentifier) -> list[Entry]:
        if container not in self._items:
            raise NotFound(f"{container} does not exist")
        depth = len(container.segments) + 1
        return [
            self._entry(identifier, stored)
            for identifier, stored in self._items.items()
            if len(identifier.segments) == depth and container.is_ancestor_of(identifier)
        ]
