"""WebID profiles: fetch and cache them, and check that a profile names a token's issuer.

Profiles are fetched through the server's OutboundClient (its policy sets the timeout, the size
cap and whether private addresses may be reached). A profile is reused as long as its HTTP
caching headers say (`Cache-Control: max-age`, `Expires`; a default when they say nothing) and
then revalidated with its `ETag` (`If-None-Match`; a 304 keeps what we have). A check that fails
refetches the profile once (if the copy is more than `recheck_after` seconds old), so a person
who just added an issuer to their profile is not refused until the cache expires.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urldefrag

import pyoxigraph as ox

from pod.auth.freshness import lifetime
from pod.auth.remote_cache import RemoteCache, RemoteError
from pod.errors import PodError
from pod.outbound import FetchError, OutboundClient
from pod.rdf import formats

SOLID_OIDC_ISSUER = ox.NamedNode("http://www.w3.org/ns/solid/terms#oidcIssuer")
ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/n-triples;q=0.8, "
    "application/rdf+xml;q=0.5, text/n3;q=0.5"
)
# However a profile's headers ask, it is reused for at least this long: a profile served with
# `no-store` must not turn every request into a fetch.
MIN_FRESHNESS = 1.0

Issuers = dict[str, frozenset[str]]  # subject IRI → the issuers the document states for it


class WebIdError(Exception):
    """The WebID profile could not be fetched or does not trust the issuer; the message says why."""


def same_issuer(a: str, b: str) -> bool:
    # Issuers are written with and without a trailing slash; both name the same provider.
    return a.rstrip("/") == b.rstrip("/")


@dataclass(frozen=True, slots=True)
class _Profile:
    issuers: Issuers
    etag: str | None
    fresh_until: float  # on the cache's clock


class WebIdProfiles:
    """The `solid:oidcIssuer` statements of WebID profiles, cached per profile document."""

    def __init__(
        self,
        outbound: OutboundClient,
        *,
        ttl: float = 300.0,
        failure_ttl: float = 10.0,
        max_entries: int = 10_000,
        recheck_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outbound = outbound
        # `ttl`: the longest a profile is trusted without asking, and the freshness when it says nothing.
        self.ttl = ttl
        self.recheck_after = recheck_after
        self._clock = clock
        self._cache: RemoteCache[_Profile] = RemoteCache(
            self._load, ttl=ttl, failure_ttl=failure_ttl, max_entries=max_entries, clock=clock
        )
        # The last good copy of each profile, for revalidating it with If-None-Match (bounded alike).
        self._previous: OrderedDict[str, _Profile] = OrderedDict()
        self._max_entries = max_entries

    async def _profile(self, document: str, *, refresh_if_older_than: float | None = None) -> _Profile:
        try:
            profile = await self._cache.get(document, refresh_if_older_than=refresh_if_older_than)
            if self._clock() >= profile.fresh_until:
                # RFC 9111 §4.3: a stale copy is revalidated before it is used again.
                profile = await self._cache.get(document, refresh_if_older_than=0.0)
        except RemoteError as error:
            raise WebIdError(str(error)) from error
        return profile

    async def issuers(self, webid: str) -> frozenset[str]:
        """The issuers the WebID's profile document trusts to speak for it."""
        document, _fragment = urldefrag(webid)
        return (await self._profile(document)).issuers.get(webid, frozenset())

    async def check_issuer(self, webid: str, issuer: str) -> None:
        """Raise WebIdError unless the profile states `<webid> solid:oidcIssuer <issuer>`."""
        trusted = await self.issuers(webid)
        if not any(same_issuer(issuer, candidate) for candidate in trusted):
            # The profile may have changed since we fetched it: look again (not more often than
            # `recheck_after`, so that tokens naming an untrusted issuer cannot make us fetch each time).
            document, _fragment = urldefrag(webid)
            profile = await self._profile(document, refresh_if_older_than=self.recheck_after)
            trusted = profile.issuers.get(webid, frozenset())
        # Solid-OIDC §6.1: the profile lists the OPs trusted to issue tokens for this WebID.
        if not any(same_issuer(issuer, candidate) for candidate in trusted):
            raise WebIdError(f"the WebID profile of {webid} does not list {issuer} as its solid:oidcIssuer")

    def _remember(self, document: str, profile: _Profile) -> _Profile:
        self._previous[document] = profile
        self._previous.move_to_end(document)
        while len(self._previous) > self._max_entries:
            self._previous.popitem(last=False)
        return profile

    async def _load(self, document: str) -> _Profile:
        previous = self._previous.get(document)
        headers = {"If-None-Match": previous.etag} if previous is not None and previous.etag else {}
        try:
            fetched = await self.outbound.get(document, accept=ACCEPT, **headers)
        except FetchError as error:
            raise RemoteError(f"the WebID profile could not be fetched: {error}") from error
        fresh_until = self._clock() + lifetime(
            fetched.headers, default=self.ttl, floor=MIN_FRESHNESS, ceiling=self.ttl
        )
        if fetched.status == 304 and previous is not None:
            # RFC 9110 §15.4.5: not modified — what we have is current again.
            return self._remember(document, _Profile(previous.issuers, previous.etag, fresh_until))
        if fetched.status != 200:
            raise RemoteError(f"the WebID profile {document} answered {fetched.status}")
        if not formats.is_rdf(fetched.content_type):
            raise RemoteError(f"the WebID profile {document} is not RDF (it is {fetched.content_type})")
        assert fetched.content_type is not None
        try:
            graph = await formats.parse_off_loop(fetched.body, fetched.content_type, fetched.url)
        except PodError as error:
            raise RemoteError(f"the WebID profile {document} does not parse: {error.detail}") from error
        etag = next((value for name, value in fetched.headers.items() if name.lower() == "etag"), None)
        return self._remember(document, _Profile(_issuers(graph), etag, fresh_until))


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
