"""Which ACL document governs a resource (WAC §Effective ACL Resource), read once per version.

Cost per lookup: one `Store.stat` per candidate ACL, from the resource's own `.acl` up to the
nearest one that exists (at most depth + 1), and no read and no parse while that document's
version is cached. The stats are what keeps the answer true to the files: an ACL written or
removed by hand, or by another process, is seen on the next request. Callers that ask about
several resources in one request pass one `Stats` memo so that no path is statted twice. The
list of candidate ACLs depends on the path alone: each container's part of it is built once and
cached. While the store's `acl_generation()` stays the same (no ACL document can have changed,
the kernel watching every folder), what a container passes down to the resources below it is
remembered too: a resource never seen before (a new document being PUT) then costs one stat,
of its own `.acl`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pod.errors import NotFound, PodError
from pod.ldp.cache import Lru
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.storage.base import Entry, Store
from pod.wac.authorizations import UNREADABLE, AclDocument, Authorization, parse_acl_document

log = logging.getLogger(__name__)

# Per-request memo of what `Store.stat` answered, so no candidate ACL is statted twice.
Stats = dict[ResourceIdentifier, Entry | None]


@dataclass(frozen=True, slots=True)
class EffectiveAcl:
    """The authorizations that apply to one resource, and where they came from."""

    acl: ResourceIdentifier | None  # None: no ACL document anywhere above the resource
    authorizations: tuple[Authorization, ...]
    inherited: bool  # True: acl:default rules of an ancestor container's ACL
    version: str = ""  # the ACL document's ETag: the same rules while it is the same


NO_ACL = EffectiveAcl(None, (), inherited=True)  # no ACL document anywhere above the resource


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A container's ACL, whose acl:default rules may reach the resources below it."""

    acl: ResourceIdentifier
    url: str  # of the container whose ACL this is


class AclDiscovery:
    """Finds the effective ACL of resources in one store; parsed documents are cached by ETag."""

    def __init__(self, store: Store, base_url: str, max_documents: int = 1024, max_paths: int = 1024) -> None:
        self.store = store
        self.base_url = base_url
        self._documents: Lru[tuple[str, str], AclDocument] = Lru(max_documents)
        self._inherited_lists: Lru[ResourceIdentifier, tuple[_Candidate, ...]] = Lru(max_paths)
        # What each container passes down, by its path, with the store's ACL generation then.
        self._passed_down: Lru[str, tuple[int, EffectiveAcl]] = Lru(max_paths)

    def url(self, identifier: ResourceIdentifier) -> str:
        return self.base_url + identifier.path[1:]

    async def effective(
        self, subject: ResourceIdentifier, stats: Stats | None = None, generation: int | None = None
    ) -> EffectiveAcl:
        """WAC §Effective ACL Resource: the subject's own ACL, else the nearest container's; first wins.

        `subject` is never an auxiliary resource: callers map `.acl` and `.meta` to their subject.
        `generation`: the store's `acl_generation()`, taken before this call; while it holds,
        what a container passes down is remembered, and only the subject's own ACL is looked up.
        """
        stats = {} if stats is None else stats
        own = subject.auxiliary(AuxiliaryKind.ACL)
        entry = await self._stat(own, stats)
        if entry is not None:
            document = await self.document(own, entry)
            return EffectiveAcl(own, document.for_resource(self.url(subject)), False, entry.etag)
        parent = subject.parent
        if parent is None:
            return NO_ACL
        if generation is not None:
            known = self._passed_down.get(parent.path)
            if known is not None and known[0] == generation:
                return known[1]
        found = await self._passed_down_by(parent, stats)
        if generation is not None:
            self._passed_down.put(parent.path, (generation, found))
        return found

    async def _passed_down_by(self, container: ResourceIdentifier, stats: Stats) -> EffectiveAcl:
        """WAC §Access Objects: the acl:default rules of the nearest ACL at or above `container`."""
        for candidate in self._inherited(container):
            entry = await self._stat(candidate.acl, stats)
            if entry is not None:
                document = await self.document(candidate.acl, entry)
                return EffectiveAcl(candidate.acl, document.for_members_of(candidate.url), True, entry.etag)
        return NO_ACL

    def _inherited(self, container: ResourceIdentifier) -> tuple[_Candidate, ...]:
        """The ACLs whose acl:default rules may reach below `container`, nearest first: a pure
        function of the path, so made once per container (a new document builds only its own)."""
        candidates = self._inherited_lists.get(container)
        if candidates is None:
            here = _Candidate(container.auxiliary(AuxiliaryKind.ACL), self.url(container))
            parent = container.parent
            candidates = (here,) if parent is None else (here, *self._inherited(parent))
            self._inherited_lists.put(container, candidates)
        return candidates

    async def _stat(self, identifier: ResourceIdentifier, stats: Stats) -> Entry | None:
        if identifier not in stats:
            stats[identifier] = await self.store.stat(identifier)
        return stats[identifier]

    async def document(self, acl: ResourceIdentifier, entry: Entry) -> AclDocument:
        """The parsed ACL document at this version: from the cache, or read and parsed once."""
        key = (acl.path, entry.etag)
        document = self._documents.get(key)
        if document is not None:
            return document
        try:
            data = await self.store.read(acl)
        except NotFound:
            # Removed between the stat and the read: deny this once, decide afresh next time.
            log.warning("ACL document %s vanished while being read; denying this request", acl.path)
            return UNREADABLE
        try:
            document = parse_acl_document(data, entry.content_type, self.url(acl))
        except PodError as error:
            # WAC §ACL Resource Representation: an ACL that cannot be read grants nothing, never all.
            log.warning("ACL document %s is not readable RDF, so it grants nothing: %s", acl.path, error)
            document = UNREADABLE
        self._documents.put(key, document)
        return document
