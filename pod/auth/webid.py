"""WebID profiles: fetch and cache them, and check that a profile names a token's issuer.

Profiles are fetched through the server's OutboundClient (its policy sets the timeout, the size
cap and whether private addresses may be reached). Profiles hosted on this server are fetched
over HTTP like any other for now; reading them from local storage is a later optimisation.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urldefrag

import pyoxigraph as ox

from pod.auth.remote_cache import RemoteCache, RemoteError
from pod.errors import PodError
from pod.outbound import FetchError, OutboundClient
from pod.rdf import formats

SOLID_OIDC_ISSUER = ox.NamedNode("http://www.w3.org/ns/solid/terms#oidcIssuer")
ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/n-triples;q=0.8, "
    "application/rdf+xml;q=0.5, text/n3;q=0.5"
)
# Parsing a document this large would hold up the event loop noticeably: do it in a thread.
PARSE_IN_THREAD_FROM = 64 * 1024

Issuers = dict[str, frozenset[str]]  # subject IRI → the issuers the document states for it


class WebIdError(Exception):
    """The WebID profile could not be fetched or does not trust the issuer; the message says why."""


def same_issuer(a: str, b: str) -> bool:
    # Issuers are written with and without a trailing slash; both name the same provider.
    return a.rstrip("/") == b.rstrip("/")


class WebIdProfiles:
    """The `solid:oidcIssuer` statements of WebID profiles, cached per profile document."""

    def __init__(
        self,
        outbound: OutboundClient,
        *,
        ttl: float = 300.0,
        failure_ttl: float = 10.0,
        max_entries: int = 10_000,
    ) -> None:
        self.outbound = outbound
        self._cache: RemoteCache[Issuers] = RemoteCache(
            self._load, ttl=ttl, failure_ttl=failure_ttl, max_entries=max_entries
        )

    async def issuers(self, webid: str) -> frozenset[str]:
        """The issuers the WebID's profile document trusts to speak for it."""
        document, _fragment = urldefrag(webid)
        try:
            statements = await self._cache.get(document)
        except RemoteError as error:
            raise WebIdError(str(error)) from error
        return statements.get(webid, frozenset())

    async def check_issuer(self, webid: str, issuer: str) -> None:
        """Raise WebIdError unless the profile states `<webid> solid:oidcIssuer <issuer>`."""
        trusted = await self.issuers(webid)
        # Solid-OIDC §6.1: the profile lists the OPs trusted to issue tokens for this WebID.
        if not any(same_issuer(issuer, candidate) for candidate in trusted):
            raise WebIdError(f"the WebID profile of {webid} does not list {issuer} as its solid:oidcIssuer")

    async def _load(self, document: str) -> Issuers:
        try:
            fetched = await self.outbound.get(document, accept=ACCEPT)
        except FetchError as error:
            raise RemoteError(f"the WebID profile could not be fetched: {error}") from error
        if fetched.status != 200:
            raise RemoteError(f"the WebID profile {document} answered {fetched.status}")
        if not formats.is_rdf(fetched.content_type):
            raise RemoteError(f"the WebID profile {document} is not RDF (it is {fetched.content_type})")
        assert fetched.content_type is not None
        try:
            arguments = (fetched.body, fetched.content_type, fetched.url)
            if len(fetched.body) >= PARSE_IN_THREAD_FROM:
                graph = await asyncio.to_thread(formats.parse, *arguments)
            else:
                graph = formats.parse(*arguments)
        except PodError as error:
            raise RemoteError(f"the WebID profile {document} does not parse: {error.detail}") from error
        return _issuers(graph)


def _issuers(graph: formats.Graph) -> Issuers:
    found: dict[str, set[str]] = {}
    for triple in graph:
        if (
            triple.predicate == SOLID_OIDC_ISSUER
            and isinstance(triple.subject, ox.NamedNode)
            and isinstance(triple.object, ox.NamedNode)
        ):
            found.setdefault(triple.subject.value, set()).add(triple.object.value)
    return {subject: frozenset(issuers) for subject, issuers in found.items()}
