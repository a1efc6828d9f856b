"""Group membership for acl:agentGroup (WAC §Access Subjects): vcard:Group documents, local or remote.

A group document on this server is read through the Store and cached by its ETag. A remote one
is fetched with the OutboundClient (its timeout, size cap and address policy) and cached for a
while, failures too, so a slow or broken group server costs one fetch per TTL, not one per
request. Whatever goes wrong with a group document denies the rules that name that group, and
nothing else; the log says why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urldefrag

import pyoxigraph as ox

from pod.errors import PodError
from pod.ldp.cache import Lru
from pod.ldp.identifiers import parse_path
from pod.outbound import FetchError, OutboundClient
from pod.rdf import formats
from pod.storage.base import Store
from pod.wac import vocabulary as v

log = logging.getLogger(__name__)

# Members by group IRI, for every group a document describes.
Members = dict[str, frozenset[str]]

GROUP_ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/n-triples;q=0.8, application/rdf+xml;q=0.5"
)


@dataclass(frozen=True, slots=True)
class _Remote:
    members: Members | None  # None: the document could not be used
    expires: float


def members_in(triples: list[ox.Triple]) -> Members:
    found: dict[str, set[str]] = defaultdict(set)
    for triple in triples:
        if (
            triple.predicate.value == v.VCARD_HAS_MEMBER
            and isinstance(triple.subject, ox.NamedNode)
            and isinstance(triple.object, ox.NamedNode)
        ):
            found[triple.subject.value].add(triple.object.value)
    return {group: frozenset(agents) for group, agents in found.items()}


class GroupMembership:
    """Answers 'is this agent a member of this group?' for groups on this server or elsewhere."""

    def __init__(
        self,
        store: Store,
        base_url: str,
        outbound: OutboundClient,
        *,
        ttl: float = 300.0,
        failure_ttl: float = 60.0,
        max_documents: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.outbound = outbound
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self._clock = clock
        self._local: Lru[tuple[str, str], Members] = Lru(max_documents)
        self._remote: Lru[str, _Remote] = Lru(max_documents)
        self._fetching: dict[str, asyncio.Future[Members | None]] = {}

    async def is_member(self, group: str, agent: str) -> bool:
        document_url = urldefrag(group).url
        if document_url.startswith(self.base_url):
            members = await self._local_members(document_url)
        else:
            members = await self._remote_members(document_url)
        return members is not None and agent in members.get(group, frozenset())

    async def _local_members(self, url: str) -> Members | None:
        try:
            identifier = parse_path("/" + url[len(self.base_url) :])
        except PodError as error:
            log.warning("group document %s: not a resource on this server (%s)", url, error)
            return None
        entry = await self.store.stat(identifier)
        if entry is None or entry.is_container:
            log.warning("group document %s does not exist; rules naming its groups grant nothing", url)
            return None
        key = (identifier.path, entry.etag)
        members = self._local.get(key)
        if members is None:
            try:
                data = await self.store.read(identifier)
                members = self._parse(data, entry.content_type, url)
            except PodError as error:
                log.warning("group document %s is not usable RDF: %s", url, error)
                return None
            self._local.put(key, members)
        return members

    async def _remote_members(self, url: str) -> Members | None:
        cached = self._remote.get(url)
        if cached is not None and cached.expires > self._clock():
            return cached.members
        # One fetch per document at a time; concurrent requests wait for the same answer.
        pending = self._fetching.get(url)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Members | None] = asyncio.get_running_loop().create_future()
        self._fetching[url] = future
        try:
            members = await self._fetch(url)
            ttl = self.ttl if members is not None else self.failure_ttl
            self._remote.put(url, _Remote(members, self._clock() + ttl))
            future.set_result(members)
            return members
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # marked retrieved, so a future nobody waited for logs nothing
            raise
        finally:
            del self._fetching[url]

    async def _fetch(self, url: str) -> Members | None:
        try:
            fetched = await self.outbound.get(url, accept=GROUP_ACCEPT)
        except FetchError as error:
            log.warning("group document %s could not be fetched: %s", url, error)
            return None
        if fetched.status != 200:
            log.warning("group document %s answered %d", url, fetched.status)
            return None
        try:
            # Relative IRIs resolve against the URL the rule names, even after a redirect.
            return self._parse(fetched.body, fetched.content_type, url)
        except PodError as error:
            log.warning("group document %s is not usable RDF: %s", url, error)
            return None

    @staticmethod
    def _parse(data: bytes, media_type: str | None, url: str) -> Members:
        if not formats.is_rdf(media_type):
            raise PodError(f"{media_type or 'an untyped document'} is not an RDF format")
        assert media_type is not None
        return members_in(formats.parse(data, media_type, url))
