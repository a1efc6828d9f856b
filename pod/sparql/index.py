"""One pod's SPARQL index as the server sees it: kept in step with the files, queried through a worker.

The index is built only when a pod is first queried ("pods with no queries cost nothing"),
then kept current lazily: a write only notes which container to list again (the change
feed listener does no I/O, so writes are not slowed), and the next query of that pod
applies every pending change before it runs — so a query after a successful write sees it.

When a worker starts, it reports which graphs (and versions) its on-disk index holds; the
pod is walked and whatever is missing, older than the files or gone is rebuilt. A missing
index is simply an empty one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from pod.auth.credentials import Credentials
from pod.errors import BadRequest, NotFound, PodError
from pod.ldp.changes import Activity, Change
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier, parse_path
from pod.ldp.operations import Resources
from pod.sparql import wire
from pod.sparql.errors import ServiceUnavailable
from pod.sparql.groups import AccessGroup, AccessGroups, StaleGrouping
from pod.sparql.process import WorkerFailed, WorkerProcess, WorkerTimeout
from pod.sparql.tree import Delta, PodTree, Put
from pod.wac.access_control import AccessControl

log = logging.getLogger("pod.sparql")

# The index's format: a worker's on-disk index built with another one (or for another base URL) is rebuilt.
INDEX_FORMAT = "pod-sparql-index/1"
# Changes sent to the worker per message (bounded, so a full build never holds the whole pod in memory).
BATCH_OPS = 500
BATCH_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float  # seconds a query may run (and wait for the pod's worker)
    max_result_bytes: int


@dataclass(frozen=True, slots=True)
class Dataset:
    """What the query asks for, besides its text: the protocol's dataset and acceptable media types."""

    query: str
    union_default_graph: bool
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    solutions_type: str | None
    graph_type: str | None


class PodIndex:
    """The index of one storage: its walked tree, its access groups and the worker holding its graphs."""

    def __init__(self, storage: ResourceIdentifier, resources: Resources, path: Path | None) -> None:
        self.storage = storage
        self.resources = resources
        self.path = path
        self.tree = PodTree(storage, resources)
        self.groups = AccessGroups(resources.url)
        self.announced: set[ResourceIdentifier] = set()
        self.worker: WorkerProcess | None = None
        self.lock = asyncio.Lock()
        self.last_used = time.monotonic()
        self._outside: set[ResourceIdentifier] = set()

    @property
    def tag(self) -> str:
        return f"{INDEX_FORMAT} {self.resources.url(self.storage)}"

    # -- the change feed ----------------------------------------------------------------------

    def note(self, change: Change) -> None:
        """Remember which containers to list again; no I/O here (it runs inside every write)."""
        identifier = change.identifier
        if change.activity in (Activity.ADD, Activity.REMOVE) or identifier.is_container:
            self.announced.add(identifier)
        if change.activity not in (Activity.ADD, Activity.REMOVE) and identifier.parent is not None:
            self.announced.add(identifier.parent)

    # -- keeping the worker in step -----------------------------------------------------------

    async def sync(self) -> None:
        """Bring the worker's index in step with the files (start the worker first if need be)."""
        if self.worker is None or not self.worker.alive:
            await self._start()
            delta = await self.tree.walk()
            acls_changed = True
        else:
            announced, self.announced = self.announced, set()
            acls_before = set(self.tree.acl_files)
            delta = await self.tree.changes(announced)
            acls_changed = self.tree.acl_files != acls_before
        acls_changed = self._outside_acls_changed(await self._outside_acls()) or acls_changed
        if delta or acls_changed:
            await self._send(delta, acls_changed)

    async def _start(self) -> None:
        self.worker = await WorkerProcess.start(self.path)
        manifest: dict[str, str] = await self.worker.call("open", self.tag)
        base = self.resources.base_url
        adopted = {}
        for url, version in manifest.items():
            identifier = _identifier(url, base)
            if identifier is not None and self.tree.within(identifier):
                adopted[identifier] = version
        self.tree.adopt(adopted)
        self.groups.clear()
        self._outside = set()
        # Graphs in the manifest that are not (or no longer) the pod's go in the first batch.
        stray = [url for url in manifest if (i := _identifier(url, base)) is None or i not in adopted]
        if stray:
            await self.worker.call("apply", [("delete", url) for url in stray])

    async def _outside_acls(self) -> set[ResourceIdentifier]:
        """ACL documents above the storage root (the server root's): they govern when the pod has none."""
        found = set()
        for container in self.storage.ancestors():
            acl = container.auxiliary(AuxiliaryKind.ACL)
            if await self.resources.store.stat(acl) is not None:
                found.add(acl)
        return found

    def _outside_acls_changed(self, found: set[ResourceIdentifier]) -> bool:
        changed = found != self._outside
        self._outside = found
        return changed

    async def _send(self, delta: Delta, acls_changed: bool) -> None:
        """Turn a delta into worker operations (documents read now), sent in bounded batches, in order.

        A failure stops the worker; the next query starts another, which rebuilds what it lacks.
        """
        for gone in delta.deletes:
            self.groups.remove(gone)
        graphs = list(self.tree.versions) if acls_changed else list(delta.puts)
        moved = self.groups.assign(graphs, self.tree.acl_files | self._outside)
        batch: list[tuple[object, ...]] = []
        size = 0
        async for op, op_size in self._ops(delta, moved):
            batch.append(op)
            size += op_size
            if len(batch) >= BATCH_OPS or size >= BATCH_BYTES:
                await self._apply(batch)
                batch, size = [], 0
        if batch:
            await self._apply(batch)

    async def _ops(
        self, delta: Delta, moved: dict[ResourceIdentifier, AccessGroup]
    ) -> AsyncIterator[tuple[tuple[object, ...], int]]:
        url = self.resources.url
        for gone in delta.deletes:
            yield ("delete", url(gone)), 0
        for graph, group in moved.items():
            if graph not in delta.puts:
                yield ("group", url(graph), group.key), 0
        for put in delta.puts.values():
            data = await self.read(put)
            if data is not None:
                group_key = self.groups.of[put.identifier].key
                yield ("put", url(put.identifier), put.version, group_key, put.media_type, data), len(data)

    async def _apply(self, batch: list[tuple[object, ...]]) -> None:
        assert self.worker is not None
        await self.worker.call("apply", batch)

    async def read(self, put: Put) -> bytes | None:
        if put.data is not None:
            return put.data
        try:
            return await self.resources.store.read(put.identifier)
        except NotFound:
            return None  # deleted since it was listed: the next sync sees it gone

    # -- queries ------------------------------------------------------------------------------

    async def query(
        self,
        credentials: Credentials,
        access: AccessControl,
        dataset: Dataset,
        limits: Limits,
        timeout: float | None = None,
    ) -> wire.Answer | wire.Failure:
        """Run a query; `timeout`: what is left of limits.timeout (its SERVICE calls took the rest)."""
        timeout = limits.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(timeout):
                await self.lock.acquire()
        except TimeoutError:
            raise ServiceUnavailable(
                "the pod's index is busy with other queries: try again shortly", headers={"Retry-After": "1"}
            ) from None
        try:
            await self.sync()
            readable = await self._readable(credentials, access)
            job = wire.QueryJob(
                query=dataset.query,
                base_iri=self.resources.url(self.storage),
                groups=readable,
                union_default_graph=dataset.union_default_graph,
                default_graphs=dataset.default_graphs,
                named_graphs=dataset.named_graphs,
                solutions_type=dataset.solutions_type,
                graph_type=dataset.graph_type,
                max_bytes=limits.max_result_bytes,
            )
            assert self.worker is not None
            answer: wire.Answer | wire.Failure = await self.worker.call("query", job, timeout=timeout)
            return answer
        except WorkerTimeout:
            log.warning("a query of %s ran over %ss and was stopped", self.storage, limits.timeout)
            raise ServiceUnavailable(
                f"the query ran over this endpoint's limit of {limits.timeout:g} seconds and was stopped"
            ) from None
        except WorkerFailed as error:
            log.error("the index worker of %s failed: %s", self.storage, error)
            raise
        finally:
            self.last_used = time.monotonic()
            self.lock.release()

    async def _readable(self, credentials: Credentials, access: AccessControl) -> frozenset[str]:
        try:
            return await self.groups.readable(credentials, access, self._owners())
        except StaleGrouping as error:
            # The ACL files changed behind the server: list everything again, then decide.
            log.warning(
                "ACL documents of %s changed outside the server (%s): re-listing it", self.storage, error
            )
            self.tree.containers = dict.fromkeys(self.tree.containers, "")  # every one is listed again
            await self.sync()
            return await self.groups.readable(credentials, access, self._owners())

    def _owners(self) -> frozenset[str]:
        # WAC §Access Modes, Loss of Control Mitigation: owners read everything, whatever the ACLs say.
        return self.resources.storages.owners_of(self.storage)

    async def close(self) -> None:
        """Stop the worker (its on-disk index stays); the next query starts one again."""
        async with self.lock:
            if self.worker is not None:
                await self.worker.close()
                self.worker = None


def _identifier(url: str, base_url: str) -> ResourceIdentifier | None:
    if not url.startswith(base_url):
        return None
    try:
        return parse_path("/" + url[len(base_url) :])
    except (BadRequest, PodError):
        return None
