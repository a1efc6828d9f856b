"""The pods' SPARQL indexes: made on a pod's first query, told of every write, stopped when idle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from urllib.parse import quote

from pod.auth.credentials import Credentials
from pod.ldp.changes import Change
from pod.ldp.identifiers import ResourceIdentifier
from pod.ldp.operations import Resources
from pod.sparql import wire
from pod.sparql.index import Dataset, Limits, PodIndex
from pod.storage.names import INTERNAL_FOLDER
from pod.wac.access_control import AccessControl

log = logging.getLogger("pod.sparql")

# A pod's worker is stopped after this many seconds without a query (its on-disk index stays).
IDLE_SECONDS = 300.0
REAP_INTERVAL = 30.0


def index_folder(data_dir: Path) -> Path:
    """Where the on-disk indexes live: in the server's own folder, which no URL maps to."""
    return data_dir / INTERNAL_FOLDER / "sparql"


def index_path(folder: Path, storage: ResourceIdentifier) -> Path:
    """One folder per storage: `root` for the root, else the storage's path, percent-encoded."""
    return folder / ("root" if storage.is_root else "pod-" + quote(storage.path.strip("/"), safe=""))


class SparqlService:
    def __init__(
        self,
        resources: Resources,
        access: AccessControl,
        limits: Limits,
        folder: Path | None,
    ) -> None:
        self.resources = resources
        self.access = access
        self.limits = limits
        self.folder = folder  # None: indexes in memory (the memory store)
        self.pods: dict[ResourceIdentifier, PodIndex] = {}
        self._reaper: asyncio.Task[None] | None = None
        self._unsubscribe = resources.changes.subscribe(self._on_change)

    def _on_change(self, change: Change) -> None:
        # Pods never queried have no index: their writes cost a dictionary lookup.
        storage = self.resources.storages.storage_of(change.identifier)
        index = self.pods.get(storage) if storage is not None else None
        if index is not None:
            index.note(change)

    def index_of(self, storage: ResourceIdentifier) -> PodIndex:
        index = self.pods.get(storage)
        if index is None:
            path = None if self.folder is None else index_path(self.folder, storage)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            index = self.pods[storage] = PodIndex(storage, self.resources, path)
        return index

    async def query(
        self,
        storage: ResourceIdentifier,
        credentials: Credentials,
        dataset: Dataset,
        timeout: float | None = None,
    ) -> wire.Answer | wire.Failure:
        """Run a query on the agent's view of the pod; `timeout`: what is left of the query's time limit."""
        return await self.index_of(storage).query(credentials, self.access, dataset, self.limits, timeout)

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._reaper = asyncio.get_running_loop().create_task(self._reap())

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(REAP_INTERVAL)
            now = time.monotonic()
            for storage, index in list(self.pods.items()):
                if now - index.last_used > IDLE_SECONDS and not index.lock.locked():
                    await index.close()
                    if not self.resources.storages.is_storage(storage):
                        self.pods.pop(storage, None)  # the pod is gone

    async def close(self) -> None:
        self._unsubscribe()
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for index in list(self.pods.values()):
            await index.close()
        self.pods.clear()
