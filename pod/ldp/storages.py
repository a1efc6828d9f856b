"""Which containers are storages (pim:Storage): storages never nest."""

from __future__ import annotations

import pyoxigraph as ox

from pod.ldp.identifiers import ROOT, ResourceIdentifier

# Solid Protocol §4.1: the storage description of a storage lives at `{storage}.well-known/solid`.
WELL_KNOWN = ".well-known"
DESCRIPTION_NAME = "solid"


class Storages:
    """The storage roots the server serves. Today the root container is the one storage."""

    def __init__(self, roots: frozenset[ResourceIdentifier] = frozenset({ROOT})) -> None:
        self._roots = roots

    def is_storage(self, identifier: ResourceIdentifier) -> bool:
        return identifier in self._roots

    def storage_of(self, identifier: ResourceIdentifier) -> ResourceIdentifier | None:
        for candidate in [identifier, *identifier.ancestors()]:
            if candidate in self._roots:
                return candidate
        return None

    def description_of(self, storage: ResourceIdentifier) -> ResourceIdentifier:
        return ResourceIdentifier((*storage.segments, WELL_KNOWN, DESCRIPTION_NAME), False)

    def is_reserved(self, identifier: ResourceIdentifier) -> bool:
        """Paths the server answers itself: `.well-known` directly inside a storage root."""
        for depth in range(len(identifier.segments)):
            if identifier.segments[depth] == WELL_KNOWN:
                return ResourceIdentifier(identifier.segments[:depth], True) in self._roots
        return False


def storage_description(storage_url: str) -> list[ox.Triple]:
    """Solid Protocol §4.1: the statements about a storage in its storage description."""
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return [
        ox.Triple(ox.NamedNode(storage_url), rdf_type, ox.NamedNode("http://www.w3.org/ns/pim/space#Storage"))
    ]
