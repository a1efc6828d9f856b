"""Where a storage's SPARQL endpoint is: `{storage}.well-known/sparql`, a path no resource can take.

`.well-known` directly inside a storage root is reserved (pod.ldp.storages: the storage
description lives there too), so writes to it are refused and no user resource can ever
shadow the endpoint. This module imports nothing from the rest of the server so that the
storage description and the profile template can name the endpoint without an import cycle.
"""

from __future__ import annotations

# The segments below a storage root (pod.ldp.storages.WELL_KNOWN is the first).
WELL_KNOWN = ".well-known"
ENDPOINT_NAME = "sparql"
# VoID §6.3 (void:sparqlEndpoint): how a dataset advertises its SPARQL endpoint.
VOID_SPARQL_ENDPOINT = "http://rdfs.org/ns/void#sparqlEndpoint"


def endpoint_url(storage_url: str) -> str:
    """The SPARQL endpoint of the storage whose root is at `storage_url` (ending in '/')."""
    return f"{storage_url}{WELL_KNOWN}/{ENDPOINT_NAME}"
