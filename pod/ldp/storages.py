"""Which containers are storages (pim:Storage), who owns each, and what in them is protected.

Storages never nest. The set is dynamic: pods are added and removed while the server runs. It
is kept in the internal state (`$pod/storages.json`), loaded at start-up, and re-read when
another process (the `pod accounts` command) has changed it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from pod.errors import Conflict
from pod.ldp.identifiers import ROOT, AuxiliaryKind, ResourceIdentifier, parse_path
from pod.sparql.location import VOID_SPARQL_ENDPOINT, endpoint_url
from pod.storage.internal import InternalState

# Solid Protocol §4.1: the storage description of a storage lives at `{storage}.well-known/solid`.
WELL_KNOWN = ".well-known"
DESCRIPTION_NAME = "solid"
# Solid Notifications Protocol §Discovery: one subscription service per channel type, served by
# pod.notifications under `{base}.notifications/`, each with the features it supports.
NOTIFICATIONS = ".notifications"
NOTIFY = "http://www.w3.org/ns/solid/notifications#"
CHANNEL_TYPES = ("WebSocketChannel2023", "WebhookChannel2023", "StreamingHTTPChannel2023")
CHANNEL_FEATURES = ("startAt", "endAt", "state", "rate", "accept")
# Top-level names the server answers itself (account pages, the OpenID provider, well-known
# URIs, notifications): never LDP resources, whoever the root belongs to.
# `.shapes`: the SHACL shapes the server ships (pod.shapes.shipped), read-only.
# `metrics`: the Prometheus endpoint for the operator (issue 15, pod.admin).
RESERVED_TOP_LEVEL = frozenset({".account", ".oidc", WELL_KNOWN, NOTIFICATIONS, ".shapes", "metrics"})
REGISTRY_KEY = "storages.json"
# How stale the registry may be when another process changed it (seconds).
RELOAD_INTERVAL = 1.0

# An RDF statement of IRIs: (subject, predicate, object).
IriTriple = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class StorageRecord:
    """One storage: its root, its owners (WebIDs) and the statements its documents must keep."""

    root: ResourceIdentifier
    owners: frozenset[str] = frozenset()
    # Document → statements a write may not remove (e.g. a WebID's solid:oidcIssuer).
    protected: Mapping[ResourceIdentifier, tuple[IriTriple, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "root": self.root.path,
            "owners": sorted(self.owners),
            "protected": {doc.path: [list(t) for t in triples] for doc, triples in self.protected.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> StorageRecord:
        protected = data.get("protected") or {}
        assert isinstance(protected, dict)
        owners = data.get("owners") or []
        assert isinstance(owners, list)
        return cls(
            parse_path(str(data["root"])),
            frozenset(str(o) for o in owners),
            {parse_path(p): tuple((str(s), str(v), str(o)) for s, v, o in ts) for p, ts in protected.items()},
        )


class Storages:
    """The storage roots the server serves.

    Without a state it is fixed (by default: the root is the one storage). With one, the
    records live in it; `root_is_storage` says the root is a storage whatever it holds
    (single-user mode) rather than a plain container above the pods (multi-user mode).
    """

    def __init__(
        self,
        roots: frozenset[ResourceIdentifier] = frozenset({ROOT}),
        *,
        state: InternalState | None = None,
        root_is_storage: bool = True,
    ) -> None:
        self._state = state
        self._root_is_storage = root_is_storage
        self._records: dict[ResourceIdentifier, StorageRecord] = {r: StorageRecord(r) for r in roots}
        self._stamp: int | None = None
        self._checked = 0.0
        self._version = 0  # moves whenever the records may have changed

    # -- loading and saving -------------------------------------------------------------------

    async def load(self) -> None:
        """Read the registry from the state (at start-up, and when another process changed it)."""
        if self._state is None:
            return
        self._stamp = self._state.stamp(REGISTRY_KEY)
        self._records = self._parse(await self._state.read(REGISTRY_KEY))
        self._checked = time.monotonic()
        self._version += 1

    def _parse(self, data: bytes | None) -> dict[ResourceIdentifier, StorageRecord]:
        records: dict[ResourceIdentifier, StorageRecord] = {}
        if self._root_is_storage:
            records[ROOT] = StorageRecord(ROOT)
        if data:
            for item in json.loads(data).get("storages", []):
                record = StorageRecord.from_json(item)
                if record.root.is_root and not self._root_is_storage:
                    continue  # a single-user registry served in multi-user mode: the root stays plain
                if not record.root.is_root and self._root_is_storage:
                    continue  # Storages never nest: single-user mode has the root only
                records[record.root] = record
        return records

    def _fresh(self) -> dict[ResourceIdentifier, StorageRecord]:
        """The records, re-read (synchronously: it is one small file) if another process wrote them."""
        state = self._state
        if state is not None and time.monotonic() - self._checked > RELOAD_INTERVAL:
            self._checked = time.monotonic()
            stamp = state.stamp(REGISTRY_KEY)
            if stamp != self._stamp:
                self._records = self._parse(state.peek(REGISTRY_KEY))
                self._stamp = stamp
                self._version += 1
        return self._records

    @property
    def version(self) -> int:
        """Changes whenever a storage, its owners or its protected triples may have changed: what
        was derived from the records (a resource's Link headers) holds while it stays the same."""
        self._fresh()
        return self._version

    async def _update(self, change: Iterable[tuple[ResourceIdentifier, StorageRecord | None]]) -> None:
        self._version += 1
        if self._state is None:
            for root, record in change:
                self._set(self._records, root, record)
            return
        async with self._state.lock("storages"):
            records = self._parse(await self._state.read(REGISTRY_KEY))
            for root, record in change:
                self._set(records, root, record)
            body = {"storages": [r.to_json() for r in records.values() if r.owners or r.protected]}
            await self._state.write(REGISTRY_KEY, json.dumps(body, indent=1).encode("utf-8"))
            self._records = records
            self._version += 1
            self._stamp = self._state.stamp(REGISTRY_KEY)

    def _set(
        self,
        records: dict[ResourceIdentifier, StorageRecord],
        root: ResourceIdentifier,
        record: StorageRecord | None,
    ) -> None:
        if record is not None:
            records[root] = record
        elif root.is_root and self._root_is_storage:
            records[root] = StorageRecord(ROOT)  # the single-user root stays a storage, unowned
        else:
            records.pop(root, None)

    async def add(self, record: StorageRecord) -> None:
        """Register a storage (a new pod), or replace what is known about it."""
        if not record.root.is_container:
            raise ValueError(f"a storage root is a container: {record.root}")
        await self._update([(record.root, record)])

    async def remove(self, root: ResourceIdentifier) -> None:
        """Forget a storage (its pod was deleted)."""
        await self._update([(root, None)])

    @property
    def state(self) -> InternalState | None:
        return self._state

    @property
    def root_is_storage(self) -> bool:
        return self._root_is_storage

    # -- questions ----------------------------------------------------------------------------

    def is_storage(self, identifier: ResourceIdentifier) -> bool:
        return identifier in self._fresh()

    def storage_of(self, identifier: ResourceIdentifier) -> ResourceIdentifier | None:
        records = self._fresh()
        if not records:
            return None
        for candidate in [identifier, *identifier.ancestors()]:
            if candidate in records:
                return candidate
        return None

    def record(self, storage: ResourceIdentifier) -> StorageRecord | None:
        return self._fresh().get(storage)

    def records(self) -> list[StorageRecord]:
        return list(self._fresh().values())

    def is_undeletable(self, identifier: ResourceIdentifier) -> bool:
        """Solid Protocol §5.4: a storage root and its ACL cannot be deleted; nor can the server's
        root and its ACL when the root is a plain container above the pods (WAC needs a root ACL)."""
        kept = identifier.subject if identifier.auxiliary_kind is AuxiliaryKind.ACL else identifier
        if identifier.auxiliary_kind not in (None, AuxiliaryKind.ACL):
            return False
        return kept.is_root or kept in self._fresh()

    def owners_of(self, storage: ResourceIdentifier) -> frozenset[str]:
        """Solid Protocol §4.1: the WebIDs that own a storage (empty when unknown or not a storage)."""
        record = self._fresh().get(storage)
        return frozenset() if record is None else record.owners

    def protected_triples(self, identifier: ResourceIdentifier) -> tuple[IriTriple, ...]:
        """Statements a write to this document may not remove (a WebID profile's issuer)."""
        storage = self.storage_of(identifier)
        if storage is None:
            return ()
        return self._records[storage].protected.get(identifier, ())

    def check_protected(self, identifier: ResourceIdentifier, graph: Iterable[ox.Triple]) -> None:
        """409 when `graph`, the new content of `identifier`, lacks a statement the server protects."""
        required = self.protected_triples(identifier)
        if not required:
            return
        present = set(graph)
        for s, p, o in required:
            if ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o)) not in present:
                # Solid-OIDC §5.1: the issuer is how the WebID logs in; without it the owner is locked out.
                raise Conflict(f"{identifier} must keep the statement <{s}> <{p}> <{o}>")

    def description_of(self, storage: ResourceIdentifier) -> ResourceIdentifier:
        return ResourceIdentifier((*storage.segments, WELL_KNOWN, DESCRIPTION_NAME), False)

    def is_reserved(self, identifier: ResourceIdentifier) -> bool:
        """Paths the server answers itself: `.well-known` directly inside a storage root, and the
        top-level names of the server's own pages (`.account`, `.oidc`, `.well-known`)."""
        if identifier.segments and identifier.segments[0] in RESERVED_TOP_LEVEL:
            return True
        records = self._fresh()
        for depth in range(len(identifier.segments)):
            if identifier.segments[depth] == WELL_KNOWN:
                return ResourceIdentifier(identifier.segments[:depth], True) in records
        return False


def storage_description(storage_url: str, base_url: str | None = None) -> list[ox.Triple]:
    """Solid Protocol §4.1: the statements about a storage in its storage description.

    With the server's base URL, also its notification subscription services (Solid Notifications
    Protocol §Discovery: `notify:subscription`, each with its `notify:channelType` and features).
    """
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    storage = ox.NamedNode(storage_url)
    triples = [ox.Triple(storage, rdf_type, ox.NamedNode("http://www.w3.org/ns/pim/space#Storage"))]
    # Issue 10: the storage's SPARQL endpoint (VoID §6.3 void:sparqlEndpoint).
    endpoint = ox.NamedNode(endpoint_url(storage_url))
    triples.append(ox.Triple(storage, ox.NamedNode(VOID_SPARQL_ENDPOINT), endpoint))
    for channel_type in CHANNEL_TYPES if base_url is not None else ():
        service = ox.NamedNode(f"{base_url}{NOTIFICATIONS}/{channel_type}/")
        triples.append(ox.Triple(storage, ox.NamedNode(NOTIFY + "subscription"), service))
        kind = ox.NamedNode(NOTIFY + channel_type)
        triples.append(ox.Triple(service, ox.NamedNode(NOTIFY + "channelType"), kind))
        triples += [
            ox.Triple(service, ox.NamedNode(NOTIFY + "feature"), ox.NamedNode(NOTIFY + feature))
            for feature in CHANNEL_FEATURES
        ]
    return triples
