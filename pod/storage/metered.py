"""MeteredStore: a Store that tells a usage ledger how many bytes each write adds or frees.

Every write of the server goes through the Store, so wrapping it is the one place where no
write path (PUT, POST, PATCH, uploads, pod creation, deletes) can be missed (issue 15).
"""

from __future__ import annotations

from typing import Protocol

from pod.ldp.identifiers import ResourceIdentifier
from pod.storage.base import Entry, Staged, Store


class UsageHook(Protocol):
    """What the store reports to (pod.admin.usage.UsageLedger)."""

    def storage_of(self, identifier: ResourceIdentifier) -> ResourceIdentifier | None: ...

    async def before_change(self, storage: ResourceIdentifier) -> object: ...

    def changed(self, storage: ResourceIdentifier, delta: int) -> None: ...


class MeteredStore:
    """Forwards everything to `inner`; writes and deletes inside a storage adjust its counter."""

    def __init__(self, inner: Store, usage: UsageHook) -> None:
        self.inner = inner
        self.usage = usage
        # What changes no size is the inner store's own, bound here: no call of ours in between.
        self.stat = inner.stat
        self.exists = inner.exists
        self.generation = inner.generation
        self.acl_generation = inner.acl_generation
        self.read = inner.read
        self.stream = inner.stream
        self.stage = inner.stage
        self.discard = inner.discard
        self.make_container = inner.make_container
        self.children = inner.children

    async def _old_size(self, identifier: ResourceIdentifier) -> tuple[ResourceIdentifier | None, int]:
        storage = self.usage.storage_of(identifier)
        if storage is None:
            return None, 0
        # The counter is made dirty (durably) before the data changes: a crash between the two
        # leaves a dirty counter, which the next start-up recounts.
        await self.usage.before_change(storage)
        old = await self.inner.stat(identifier)
        return storage, 0 if old is None or old.is_container else old.size

    async def write(
        self, identifier: ResourceIdentifier, content: bytes | Staged, content_type: str
    ) -> Entry:
        storage, old = await self._old_size(identifier)
        entry = await self.inner.write(identifier, content, content_type)
        if storage is not None:
            self.usage.changed(storage, entry.size - old)
        return entry

    async def delete(self, identifier: ResourceIdentifier) -> None:
        storage, old = await self._old_size(identifier)
        await self.inner.delete(identifier)
        if storage is not None:
            self.usage.changed(storage, -old)
