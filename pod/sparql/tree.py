"""What one pod's index must hold, found by walking its containers, and what changed since the last walk.

Every RDF document of the pod is a graph (its `.acl` and `.meta` too), and so is every
container (the representation a GET gives: containment triples, children's metadata and
its description). A graph's version is the document's ETag, or the container's validator.

Nothing here trusts that all writes went through this process: each sync stats every
known container, and a container whose entry changed (a file created, renamed or removed
beside the server, by hand or by another process) is listed again. Writes announced on
the change feed name the containers to list again, which also catches in-place updates a
folder's timestamp does not show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pod.errors import NotFound
from pod.ldp import containers
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.ldp.operations import Resources
from pod.rdf import formats
from pod.storage.base import Entry


@dataclass(frozen=True, slots=True)
class Put:
    """A graph to (re)build: a stored document to read, or a container's representation already made."""

    identifier: ResourceIdentifier
    version: str
    media_type: str
    data: bytes | None = None  # None: read the document from the store


@dataclass
class Delta:
    puts: dict[ResourceIdentifier, Put] = field(default_factory=dict)
    deletes: set[ResourceIdentifier] = field(default_factory=set)
    seen: set[ResourceIdentifier] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.puts or self.deletes)


class PodTree:
    """The resources of one storage as last walked, and the graph versions the index holds."""

    def __init__(self, storage: ResourceIdentifier, resources: Resources) -> None:
        self.storage = storage
        self.resources = resources
        self.versions: dict[ResourceIdentifier, str] = {}  # graph → version the index holds
        self.containers: dict[ResourceIdentifier, str] = {}  # container → its entry's ETag when listed
        self.children: dict[ResourceIdentifier, set[ResourceIdentifier]] = {}
        self.acl_files: set[ResourceIdentifier] = set()

    def within(self, identifier: ResourceIdentifier) -> bool:
        return identifier == self.storage or self.storage.is_ancestor_of(identifier)

    def adopt(self, manifest: dict[ResourceIdentifier, str]) -> None:
        """Start from what an index already holds (its manifest); the next walk is a full one."""
        self.versions = dict(manifest)
        self.containers.clear()
        self.children.clear()
        self.acl_files.clear()

    async def walk(self) -> Delta:
        """List everything from the storage root: what to build, and every graph gone since."""
        delta = Delta()
        self.containers.clear()
        self.children.clear()
        self.acl_files.clear()
        await self._list(self.storage, delta, set(), set())
        for gone in set(self.versions) - delta.seen:
            self.versions.pop(gone)
            delta.deletes.add(gone)
        return delta

    async def changes(self, announced: set[ResourceIdentifier]) -> Delta:
        """List again the announced containers and every container whose entry changed."""
        delta = Delta()
        todo = {c for c in announced if self.within(c)}
        for container, etag in list(self.containers.items()):
            entry = await self.resources.store.stat(container)
            if entry is None or entry.etag != etag:
                todo.add(container)
        done: set[ResourceIdentifier] = set()
        while todo:
            # Parents first, so that a vanished subtree is forgotten before its members are listed.
            container = min(todo, key=lambda c: len(c.segments))
            todo.discard(container)
            if container not in done and (container == self.storage or container in self.containers):
                await self._list(container, delta, done, todo)
        return delta

    async def _list(
        self,
        container: ResourceIdentifier,
        delta: Delta,
        done: set[ResourceIdentifier],
        todo: set[ResourceIdentifier],
    ) -> None:
        done.add(container)
        store = self.resources.store
        entry = await store.stat(container)
        try:
            listed = [] if entry is None else await store.children(container)
        except NotFound:
            entry = None
        parent = container.parent
        if entry is None:
            self._forget(container, delta)
            if container != self.storage and parent is not None and parent not in done:
                todo.add(parent)
            return
        known = self.containers.get(container)
        moved = known is not None and known != entry.etag and container != self.storage
        if moved and parent is not None and parent not in done:
            # The parent's representation shows this container's metadata (its modification time).
            todo.add(parent)
        self.containers[container] = entry.etag
        storages = self.resources.storages
        children = [c for c in listed if not storages.is_reserved(c.identifier)]
        present = {c.identifier for c in children}
        for gone in self.children.get(container, set()) - present:
            self._forget(gone, delta)
        self.children[container] = present
        description: Entry | None = None
        for child in children:
            identifier = child.identifier
            kind = identifier.auxiliary_kind
            if kind is AuxiliaryKind.ACL:
                self.acl_files.add(identifier)
            elif kind is AuxiliaryKind.DESCRIPTION and identifier.subject == container:
                description = child
            if identifier.is_container:
                if identifier not in self.containers:
                    await self._list(identifier, delta, done, todo)
                continue
            if formats.is_rdf(child.content_type):
                assert child.content_type is not None
                self._want(Put(identifier, child.etag, child.content_type), delta)
            elif identifier in self.versions:  # was RDF, is not any more
                self.versions.pop(identifier)
                delta.deletes.add(identifier)
        members = containers.in_path_order(c for c in children if not c.identifier.is_auxiliary)
        version = containers.container_version(entry, members, description)
        delta.seen.add(container)
        if self.versions.get(container) != version:
            data = await self.resources.container_body(entry, members, description, formats.N_TRIPLES)
            self._want(Put(container, version, formats.N_TRIPLES, data), delta)

    def _want(self, put: Put, delta: Delta) -> None:
        delta.seen.add(put.identifier)
        delta.deletes.discard(put.identifier)
        if self.versions.get(put.identifier) != put.version:
            self.versions[put.identifier] = put.version
            delta.puts[put.identifier] = put

    def _forget(self, identifier: ResourceIdentifier, delta: Delta) -> None:
        if identifier in self.versions:
            self.versions.pop(identifier)
            delta.deletes.add(identifier)
        delta.puts.pop(identifier, None)
        self.acl_files.discard(identifier)
        if identifier.is_container:
            self.containers.pop(identifier, None)
            for child in self.children.pop(identifier, set()):
                self._forget(child, delta)
