"""Per-pod usage: a running byte counter per storage, kept in the internal state (`usage/{pod}.json`).

Never a walk of the tree per request: every write adjusts the counter (pod.storage.metered).
Exact after a crash: before this process first changes a pod it saves the pod's counter with
`dirty: true` (durably, before the data write); a clean shutdown saves it with `dirty: false`.
A counter found dirty (or missing) is recounted from the files — at start-up for every known
pod, lazily for a pod that appeared since — and writes to that pod wait for the recount.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass

from pod.ldp.identifiers import ResourceIdentifier
from pod.ldp.storages import RESERVED_TOP_LEVEL, Storages
from pod.storage.base import Store
from pod.storage.internal import InternalState

log = logging.getLogger("pod.admin")
FOLDER = "usage"
# While a pod is dirty its counter is still saved now and then, so `pod accounts usage` run
# beside the server shows a recent value (seconds).
SAVE_INTERVAL = 2.0


def usage_key(storage: ResourceIdentifier) -> str:
    """The state key of a storage's counter: its name when that is a plain pod name (a DNS
    label), a digest otherwise (a state key cannot hold every URL name); the root is `_root`."""
    name = "/".join(storage.segments)
    if not name:
        return f"{FOLDER}/_root.json"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", name):
        name = "x-" + hashlib.sha256(name.encode("utf-8")).hexdigest()
    return f"{FOLDER}/{name}.json"


async def count_bytes(store: Store, container: ResourceIdentifier) -> tuple[int, int]:
    """(bytes, documents) stored under a container, auxiliary resources included: the recount."""
    total = documents = 0
    pending = [container]
    while pending:
        for child in await store.children(pending.pop()):
            if child.identifier.is_container:
                pending.append(child.identifier)
            else:
                total += child.size
                documents += 1
    return total, documents


@dataclass
class PodUsage:
    bytes: int
    # Bytes promised to writes in progress (pod.admin.quota): counted against the quota.
    reserved: int = 0
    marked_dirty: bool = False  # this process saved dirty=true and has not saved clean since


class UsageLedger:
    """The counters of every pod this process serves; one instance per server (or CLI run)."""

    def __init__(self, state: InternalState, storages: Storages, store: Store) -> None:
        self.state = state
        self.storages = storages
        self.store = store  # the unmetered store: recounting must not count itself
        self._pods: dict[ResourceIdentifier, PodUsage] = {}
        self._loading: dict[ResourceIdentifier, asyncio.Task[PodUsage]] = {}
        self._save_task: asyncio.Task[None] | None = None
        self._unsaved: set[ResourceIdentifier] = set()

    # -- loading ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load every known pod's counter; recount the dirty ones (a crash, or never counted)."""
        for record in self.storages.records():
            await self.ensure(record.root)

    async def ensure(self, storage: ResourceIdentifier) -> PodUsage:
        """The counter of a storage, loaded (or recounted) once; concurrent callers share the work."""
        usage = self._pods.get(storage)
        if usage is not None:
            return usage
        task = self._loading.get(storage)
        if task is None:
            task = self._loading[storage] = asyncio.ensure_future(self._load(storage))
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._loading.pop(storage, None)

    async def _load(self, storage: ResourceIdentifier) -> PodUsage:
        data = await self.state.read(usage_key(storage))
        saved = json.loads(data) if data else None
        if saved is not None and not saved.get("dirty", True):
            usage = PodUsage(int(saved["bytes"]))
        else:
            started = time.monotonic()
            total, documents = await count_bytes(self.store, storage)
            usage = PodUsage(total)
            log.info(
                "recounted %s: %d bytes in %d documents (%.2f s)",
                storage.path,
                total,
                documents,
                time.monotonic() - started,
            )
            await self._save(storage, usage, dirty=False)
        self._pods[storage] = usage
        return usage

    # -- questions ----------------------------------------------------------------------------

    def storage_of(self, identifier: ResourceIdentifier) -> ResourceIdentifier | None:
        """The pod a write is counted in. In multi-user mode a pod's folder is written before the
        pod is registered and deleted after it is forgotten: those writes count too (by its
        top-level name), so a pod deleted and made again starts from what is really there."""
        storage = self.storages.storage_of(identifier)
        if storage is not None or self.storages.root_is_storage or not identifier.segments:
            return storage
        if len(identifier.segments) == 1 and not identifier.is_container:
            return None
        if identifier.segments[0] in RESERVED_TOP_LEVEL:
            return None
        top = identifier if identifier.is_container else identifier.parent
        while top is not None and len(top.segments) > 1:
            top = top.parent  # (each made once and kept by its child: no new identifier per write)
        return top

    def known(self) -> dict[ResourceIdentifier, int]:
        """Bytes used by each loaded pod that is still a storage (metrics, listings)."""
        live = {record.root for record in self.storages.records()}
        return {root: usage.bytes for root, usage in self._pods.items() if root in live}

    # -- changes ------------------------------------------------------------------------------

    async def before_change(self, storage: ResourceIdentifier) -> PodUsage:
        """Called before a write to the pod: the counter is loaded and durably marked dirty."""
        usage = await self.ensure(storage)
        if not usage.marked_dirty:
            usage.marked_dirty = True
            await self._save(storage, usage, dirty=True)
        return usage

    def changed(self, storage: ResourceIdentifier, delta: int) -> None:
        """A write to the pod changed its size by `delta` bytes (after the write is durable)."""
        usage = self._pods.get(storage)
        if usage is None:
            return
        usage.bytes = max(0, usage.bytes + delta)
        self._unsaved.add(storage)
        if self._save_task is None or self._save_task.done():
            self._save_task = asyncio.ensure_future(self._save_later())

    def forget(self, storage: ResourceIdentifier) -> None:
        self._pods.pop(storage, None)

    async def _save_later(self) -> None:
        await asyncio.sleep(SAVE_INTERVAL)
        while self._unsaved:
            storage = self._unsaved.pop()
            usage = self._pods.get(storage)
            if usage is not None:
                await self._save(storage, usage, dirty=True)

    async def _save(self, storage: ResourceIdentifier, usage: PodUsage, *, dirty: bool) -> None:
        body = {"bytes": usage.bytes, "dirty": dirty, "saved": int(time.time())}
        await self.state.write(usage_key(storage), json.dumps(body).encode("utf-8"))

    async def close(self) -> None:
        """Clean shutdown: every counter this process dirtied is saved exact and clean."""
        if self._save_task is not None:
            self._save_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._save_task
        for storage, usage in self._pods.items():
            if usage.marked_dirty:
                await self._save(storage, usage, dirty=False)
                usage.marked_dirty = False
        self._unsaved.clear()


async def saved_usage(state: InternalState, storage: ResourceIdentifier) -> tuple[int, bool] | None:
    """(bytes, dirty) as last saved, for the CLI; None when the pod was never counted."""
    data = await state.read(usage_key(storage))
    if not data:
        return None
    saved = json.loads(data)
    return int(saved["bytes"]), bool(saved.get("dirty", True))
