"""The LDP operations: read, replace (PUT), create in a container (POST), patch and delete."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass

from pod.errors import (
    BadRequest,
    Conflict,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    PodError,
    RangeNotSatisfiable,
    UnsupportedMediaType,
)
from pod.ldp import containers
from pod.ldp.cache import Lru, VersionedCache
from pod.ldp.changes import Activity, Change, ChangeFeed, LocalChangeFeed
from pod.ldp.conditions import NO_CONDITIONS, Conditions, Outcome, Validators, evaluate
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.ldp.quota import NO_QUOTA, QuotaGuard
from pod.ldp.storages import Storages
from pod.rdf import formats
from pod.rdf.patch import Patch
from pod.shapes.validator import Authority, ShapeValidator, Validator, Write
from pod.storage.base import OCTET_STREAM, Body, Entry, Locker, Staged, Store, collect

log = logging.getLogger(__name__)

# Bodies up to this size are read whole and sent at once (and kept in the representation cache);
# larger ones are streamed from the store each time.
WHOLE_BODY_LIMIT = 1024 * 1024
# What the caches of one server may hold: representations ready to send (stored bytes, converted
# formats, container listings) and parsed graphs (counted by the size of their source document;
# a parsed graph takes several times that).
REPRESENTATION_CACHE_BYTES = 16 * 1024 * 1024
GRAPH_CACHE_BYTES = 4 * 1024 * 1024
# A patch without a search is applied on the event loop to a graph this small (microseconds):
# handing it to a thread would cost more than applying it.
PATCH_ON_LOOP_TRIPLES = 256
# A Turtle listing of more children than this is over the 1 MB a cached representation may be
# (~290 bytes a child): it streams, a piece of `containers.PIECE` children at a time.
STREAMED_LISTING_CHILDREN = 4096

# Chooses one of the media types it is offered (in the server's order of preference), or None.
Chooser = Callable[[Sequence[str]], str | None]


class ResourceKind(enum.Enum):
    CONTAINER = "container"
    RDF_DOCUMENT = "rdf"
    NON_RDF = "non-rdf"


def kind_of(identifier: ResourceIdentifier, media_type: str | None) -> ResourceKind:
    """The kind of resource at `identifier` stored as `media_type` (what a write of it leaves there)."""
    if identifier.is_container:
        return ResourceKind.CONTAINER
    return ResourceKind.RDF_DOCUMENT if formats.is_rdf(media_type) else ResourceKind.NON_RDF


@dataclass(frozen=True, slots=True)
class ByteRange:
    """One `bytes=` range: start..end inclusive, or the last `end` bytes when start is None.

    `if_range` is the If-Range validator: an entity tag (quoted) or an HTTP date in Unix seconds.
    """

    start: int | None
    end: int | None
    if_range: str | int | None = None

    def applies(self, etag: str, last_modified: int) -> bool:
        """RFC 9110 §13.1.5: the range applies only while the If-Range validator still matches."""
        if self.if_range is None:
            return True
        if isinstance(self.if_range, int):
            return self.if_range == last_modified
        return self.if_range == f'"{etag}"'

    def resolve(self, size: int) -> tuple[int, int]:
        """[start, end) within a body of `size` bytes; 416 when nothing of it is there."""
        if self.start is None:
            if not self.end:
                raise RangeNotSatisfiable(f"bytes */{size}", headers={"Content-Range": f"bytes */{size}"})
            return max(size - self.end, 0), size
        if self.start >= size:
            raise RangeNotSatisfiable(
                f"the range starts after the last byte ({size} bytes)",
                headers={"Content-Range": f"bytes */{size}"},
            )
        end = size if self.end is None else min(self.end + 1, size)
        return self.start, end


@dataclass(frozen=True, slots=True)
class Representation:
    """A representation ready to send: metadata always, a body unless it is a HEAD or a 304."""

    identifier: ResourceIdentifier
    kind: ResourceKind
    content_type: str
    etag: str
    last_modified: int  # Unix seconds
    size: int | None  # of the whole representation; None: known only once sent (a streamed listing)
    body: bytes | AsyncIterator[bytes] | None = None
    content_range: tuple[int, int] | None = None  # [start, end) when a range was served
    not_modified: bool = False


@dataclass(frozen=True, slots=True)
class Content:
    """A request body as the operations see it: its media type and its bytes."""

    media_type: str | None
    body: Body
    length: int | None = None

    async def read(self) -> bytes:
        return await collect(self.body)


@dataclass(frozen=True, slots=True)
class _Received:
    """A write's body once received: RDF bytes already parsed, or a body the store has staged."""

    media_type: str | None  # None: a container without a description
    content: bytes | Staged
    graph: formats.Graph | None = None  # the parsed RDF body (an empty one for a bare container)

    def as_write(self, identifier: ResourceIdentifier) -> Write:
        size = self.content.size if isinstance(self.content, Staged) else None
        return Write(identifier, self.graph, self.media_type, size)


@dataclass(frozen=True, slots=True)
class _PendingPatch:
    """A PATCH waiting for its turn, and where its answer goes (True: it created the resource)."""

    patch: Patch
    authority: Authority | None
    answer: asyncio.Future[bool]


@dataclass(frozen=True, slots=True)
class _Listing:
    """A container's members and description entry as listed once, and the version of that listing."""

    children: list[Entry]
    description: Entry | None
    version: str


@dataclass(frozen=True, slots=True)
class ResourceState:
    """What OPTIONS and error responses need to know: does it exist, and as what."""

    identifier: ResourceIdentifier
    kind: ResourceKind | None  # None: it does not exist


def _representation_tag(etag: str, media_type: str, stored_type: str | None) -> str:
    if media_type == stored_type:
        return etag
    return f"{etag}-{media_type.rsplit('/', 1)[-1].replace('+', '-')}"


def _all_tags(etag: str, stored_type: str | None) -> frozenset[str]:
    return frozenset({etag, *(_representation_tag(etag, t, stored_type) for t in formats.RDF_MEDIA_TYPES)})


def _size(content: bytes | Staged) -> int:
    return content.size if isinstance(content, Staged) else len(content)


def _lock_key(identifier: ResourceIdentifier) -> str:
    # "/a" and "/a/" share one lock: only one of them may exist.
    return identifier.path.rstrip("/") or "/"


class Resources:
    """The resources under one base URL, kept in a Store; every method is one LDP operation."""

    def __init__(
        self,
        store: Store,
        locker: Locker,
        storages: Storages,
        base_url: str,
        changes: ChangeFeed | None = None,
        validator: Validator | None = None,
    ) -> None:
        self.store = store
        # Issue 11: writes into shape-constrained containers, and ACL documents, are validated.
        self.validator: Validator = validator or ShapeValidator(store, base_url)
        self.changes: ChangeFeed = changes or LocalChangeFeed()
        # Containers' listing versions, by path: (store generation, container ETag, version).
        self._listing_versions: Lru[str, tuple[int | None, str, str]] = Lru(1024)
        # What the caches hold for a resource that changed is of no more use: dropped at once.
        self.changes.subscribe(self._forget_cached)
        self.locker = locker
        self.storages = storages
        self.base_url = base_url
        # Keyed by path and version (ETag): a write makes a new version, so they are never stale.
        self.graphs: VersionedCache[formats.Graph] = VersionedCache(GRAPH_CACHE_BYTES, WHOLE_BODY_LIMIT)
        self.representations: VersionedCache[bytes] = VersionedCache(
            REPRESENTATION_CACHE_BYTES, WHOLE_BODY_LIMIT
        )
        # Issue 15: every write asks for room in its pod first (pod.admin.quota sets a real one).
        self.quota: QuotaGuard = NO_QUOTA
        # PATCHes waiting for a resource (by lock key), and the tasks that will apply them.
        self._patch_batches: dict[str, list[_PendingPatch]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def url(self, identifier: ResourceIdentifier) -> str:
        return self.base_url + identifier.path[1:]

    async def state(self, identifier: ResourceIdentifier) -> ResourceState:
        entry = await self.store.stat(identifier)
        return ResourceState(identifier, None if entry is None else kind_of(identifier, entry.content_type))

    # -- reading ------------------------------------------------------------------------------

    async def read(
        self,
        identifier: ResourceIdentifier,
        choose: Chooser,
        conditions: Conditions = NO_CONDITIONS,
        byte_range: ByteRange | None = None,
        *,
        with_body: bool = True,
    ) -> Representation:
        entry = await self.store.stat(identifier)
        if entry is None:
            raise NotFound(f"{identifier} does not exist")
        if entry.is_container:
            return await self._read_container(entry, choose, conditions, with_body=with_body)
        if formats.is_rdf(entry.content_type):
            return await self._read_rdf(entry, choose, conditions, with_body=with_body)
        return await self._read_non_rdf(entry, conditions, byte_range, with_body=with_body)

    def _check(self, conditions: Conditions, tag: str, last_modified: int) -> bool:
        """Evaluate a read's preconditions: True when the answer is 304 Not Modified."""
        if not conditions:
            return False
        validators = Validators(frozenset({tag}), last_modified)
        return evaluate(conditions, validators, is_read=True) is Outcome.NOT_MODIFIED

    async def _read_rdf(
        self, entry: Entry, choose: Chooser, conditions: Conditions, *, with_body: bool
    ) -> Representation:
        stored_type = entry.content_type
        assert stored_type is not None
        media_type = choose(formats.RDF_MEDIA_TYPES)
        if media_type is None:
            raise NotAcceptable(
                f"{entry.identifier} is RDF: ask for one of {', '.join(formats.RDF_MEDIA_TYPES)}"
            )
        tag = _representation_tag(entry.etag, media_type, stored_type)
        last_modified = containers.seconds(entry.mtime_ns)
        meta = (entry.identifier, ResourceKind.RDF_DOCUMENT, media_type, tag, last_modified)
        if self._check(conditions, tag, last_modified):
            return Representation(*meta, size=entry.size, not_modified=True)
        if media_type == stored_type:
            # The hot path: the stored bytes as they are, never parsed.
            return Representation(*meta, size=entry.size, body=await self._body(entry) if with_body else None)

        async def convert() -> tuple[bytes, int]:
            data = formats.serialize(await self._graph(entry), media_type)
            return data, len(data)

        data = await self.representations.get_or_make(entry.identifier.path, tag, convert)
        return Representation(*meta, size=len(data), body=data if with_body else None)

    async def _body(self, entry: Entry) -> bytes | AsyncIterator[bytes]:
        """A document's stored bytes: small ones whole (cheaper to send, and cached), large ones streamed."""
        if entry.size > WHOLE_BODY_LIMIT:
            return self.store.stream(entry.identifier)
        path = entry.identifier.path
        data = self.representations.get(path, entry.etag)
        if data is None:
            data = await self.store.read(entry.identifier)
            # Kept only if the file did not change while it was read, so a key never holds other bytes.
            after = await self.store.stat(entry.identifier)
            if after is not None and after.etag == entry.etag and len(data) == entry.size:
                self.representations.put(path, entry.etag, data, len(data))
        return data

    async def _graph(self, entry: Entry) -> formats.Graph:
        """The parsed graph of a stored RDF document, from the cache when its version is there."""

        async def parse() -> tuple[formats.Graph, int]:
            assert entry.content_type is not None
            data = await self.store.read(entry.identifier)
            graph = await formats.parse_off_loop(data, entry.content_type, self.url(entry.identifier))
            return graph, len(data)

        return await self.graphs.get_or_make(entry.identifier.path, entry.etag, parse)

    async def _read_non_rdf(
        self, entry: Entry, conditions: Conditions, byte_range: ByteRange | None, *, with_body: bool
    ) -> Representation:
        # A non-RDF resource has one representation; it is served whatever the Accept header says.
        media_type = entry.content_type or OCTET_STREAM
        last_modified = containers.seconds(entry.mtime_ns)
        meta = (entry.identifier, ResourceKind.NON_RDF, media_type, entry.etag, last_modified)
        if self._check(conditions, entry.etag, last_modified):
            return Representation(*meta, size=entry.size, not_modified=True)
        if byte_range is not None and not byte_range.applies(entry.etag, last_modified):
            byte_range = None
        start, end = (0, entry.size) if byte_range is None else byte_range.resolve(entry.size)
        body: bytes | AsyncIterator[bytes] | None = None
        if with_body:
            body = self.store.stream(entry.identifier, start, end) if byte_range else await self._body(entry)
        served = None if byte_range is None else (start, end)
        return Representation(*meta, size=entry.size, body=body, content_range=served)

    async def _read_container(
        self, entry: Entry, choose: Chooser, conditions: Conditions, *, with_body: bool
    ) -> Representation:
        media_type = choose(formats.RDF_MEDIA_TYPES)
        if media_type is None:
            raise NotAcceptable(f"containers are RDF: ask for one of {', '.join(formats.RDF_MEDIA_TYPES)}")
        version, listing = await self._version_and_listing(entry)
        tag = _representation_tag(version, media_type, formats.TURTLE)
        last_modified = containers.seconds(entry.mtime_ns)
        meta = (entry.identifier, ResourceKind.CONTAINER, media_type, tag, last_modified)
        if self._check(conditions, tag, last_modified):
            return Representation(*meta, size=0, not_modified=True)
        path = entry.identifier.path
        cached = self.representations.get(path, tag)
        if cached is not None:
            return Representation(*meta, size=len(cached), body=cached if with_body else None)
        if listing is None:
            # The version was remembered: the listing as it is now, under the version it has now
            # (the same, unless it just changed).
            listing = await self._list(entry)
            tag = _representation_tag(listing.version, media_type, formats.TURTLE)
            meta = (entry.identifier, ResourceKind.CONTAINER, media_type, tag, last_modified)
        if media_type == formats.TURTLE and len(listing.children) > STREAMED_LISTING_CHILDREN:
            # Issue 4: a large listing streams. It is sent as it is written, a piece at a time, with
            # other requests served in between; its length is known only at its end.
            body = self._streamed_listing(entry, listing) if with_body else None
            return Representation(*meta, size=None, body=body)
        data = await self.container_body(entry, listing.children, listing.description, media_type)
        self.representations.put(path, tag, data, len(data))
        return Representation(*meta, size=len(data), body=data if with_body else None)

    async def container_body(
        self, entry: Entry, children: list[Entry], description: Entry | None, media_type: str
    ) -> bytes:
        """A container's representation, from its members (in path order) and its description's
        entry: what a GET gives, and what the SPARQL index keeps. Turtle is written directly, the
        other formats by pyoxigraph."""
        if media_type == formats.TURTLE:
            return b"".join(await self._turtle_pieces(entry, children, description))
        graph = containers.container_graph(
            self.url(entry.identifier),
            entry,
            ((self.url(c.identifier), c) for c in children),
            is_storage=self.storages.is_storage(entry.identifier),
            description=await self._described(description),
        )
        return formats.serialize(graph, media_type)

    async def _streamed_listing(self, entry: Entry, listing: _Listing) -> AsyncIterator[bytes]:
        for piece in await self._turtle_pieces(entry, listing.children, listing.description):
            yield piece
            await asyncio.sleep(0)  # the other requests' turn between two pieces

    async def _turtle_pieces(
        self, entry: Entry, children: list[Entry], description: Entry | None
    ) -> Iterator[bytes]:
        return containers.container_turtle_pieces(
            self.url(entry.identifier),
            entry,
            children,
            is_storage=self.storages.is_storage(entry.identifier),
            description=await self._described(description),
        )

    async def _described(self, description: Entry | None) -> formats.Graph:
        """A container's own description (its `.meta`) as its listing shows it. One that is not RDF,
        is gone since it was listed, or was made unreadable on disk adds nothing: the listing is
        still the server's to give (a 200), not the client's fault (a 400)."""
        if description is None or not formats.is_rdf(description.content_type):
            return []
        try:
            return await self._graph(description)
        except NotFound:
            return []
        except BadRequest as error:
            log.warning(
                "%s is not readable RDF, so its container is listed without it: %s",
                description.identifier,
                error,
            )
            return []

    async def _listing(self, entry: Entry) -> tuple[list[Entry], Entry | None]:
        """A container's members (auxiliary resources aside) in path order, and its description's entry."""
        children = containers.in_path_order(
            c for c in await self.store.children(entry.identifier) if not c.identifier.is_auxiliary
        )
        return children, await self.store.stat(entry.identifier.auxiliary(AuxiliaryKind.DESCRIPTION))

    # -- writing ------------------------------------------------------------------------------

    def _check_target(self, identifier: ResourceIdentifier) -> None:
        """Refuse writes to paths that can never be written, before anything is received."""
        if self.storages.is_reserved(identifier):
            raise MethodNotAllowed(f"{identifier} is served by the server itself and cannot be written")
        if identifier.has_auxiliary_container:
            raise Conflict(f"{identifier}: auxiliary resources (.acl, .meta) are documents, never containers")

    async def _current(self, identifier: ResourceIdentifier) -> Entry | None:
        """The entry a write replaces (None if new); 409 if the other slash form exists."""
        # Solid Protocol §3.1: a URI differing only in the trailing slash cannot be another resource.
        if await self.store.exists(identifier.with_slash_toggled()):
            other = "a document" if identifier.is_container else "a container"
            raise Conflict(f"{identifier.with_slash_toggled()} exists as {other}")
        return await self.store.stat(identifier)

    async def _check_conditions(self, entry: Entry | None, conditions: Conditions) -> None:
        """A write's preconditions, against any representation of the current state."""
        if not conditions:
            return
        current = None
        if entry is not None:
            stored_type: str | None = formats.TURTLE
            if entry.is_container:
                version = await self._container_version(entry)
            else:
                version, stored_type = entry.etag, entry.content_type
            current = Validators(_all_tags(version, stored_type), containers.seconds(entry.mtime_ns))
        evaluate(conditions, current, is_read=False)

    async def _container_version(self, entry: Entry) -> str:
        return (await self._version_and_listing(entry))[0]

    async def _version_and_listing(self, entry: Entry) -> tuple[str, _Listing | None]:
        """A listing's version covers every child's: while nothing stored changed, it is the same
        (then remembered, and None for the listing); otherwise the container is listed to make it."""
        generation = self.store.generation()
        known = self._listing_versions.get(entry.identifier.path)
        if generation is not None and known is not None and known[:2] == (generation, entry.etag):
            return known[2], None
        listing = await self._list(entry)
        return listing.version, listing

    async def _list(self, entry: Entry) -> _Listing:
        """List the container now, and remember the version of what was listed."""
        generation = self.store.generation()
        children, description = await self._listing(entry)
        version = containers.container_version(entry, children, description)
        self._listing_versions.put(entry.identifier.path, (generation, entry.etag, version))
        return _Listing(children, description, version)

    async def missing_containers(self, identifier: ResourceIdentifier) -> list[ResourceIdentifier]:
        """The containers above `identifier` that do not exist yet, nearest first."""
        missing = []
        for ancestor in identifier.ancestors():
            if await self.store.exists(ancestor):
                break
            missing.append(ancestor)
        return missing

    async def _ensure_parents(
        self, identifier: ResourceIdentifier, authority: Authority | None = None
    ) -> None:
        """Solid Protocol §5.3: PUT and PATCH create the intermediate containers of their target."""
        missing = await self.missing_containers(identifier)
        for ancestor in missing:  # all checked before any is made: a refused write creates nothing
            # Issue 11: a container made on the way is a new member of its (maybe constrained) parent.
            await self.validator.check(Write(ancestor, [], None), authority)
        for ancestor in reversed(missing):
            async with self.locker.lock(_lock_key(ancestor)):
                if await self.store.exists(ancestor.with_slash_toggled()):
                    raise Conflict(
                        f"{ancestor.with_slash_toggled()} is a document, so {ancestor} cannot be created"
                    )
                await self.store.make_container(ancestor)
            self._announce_created(ancestor, None)

    # -- the change feed ----------------------------------------------------------------------

    def _forget_cached(self, change: Change) -> None:
        self.graphs.forget(change.identifier.path)
        self.representations.forget(change.identifier.path)

    def _announce_created(self, identifier: ResourceIdentifier, entry: Entry | None) -> None:
        etag = None if entry is None or identifier.is_container else entry.etag
        self.changes.publish(Change(Activity.CREATE, identifier, etag))
        parent = identifier.parent
        if parent is not None and identifier.auxiliary_kind is None:
            self.changes.publish(Change(Activity.ADD, parent, None, object=identifier))

    def _announce_updated(self, identifier: ResourceIdentifier, entry: Entry | None) -> None:
        etag = None if entry is None or identifier.is_container else entry.etag
        self.changes.publish(Change(Activity.UPDATE, identifier, etag))

    def _announce_deleted(self, identifier: ResourceIdentifier) -> None:
        self.changes.publish(Change(Activity.DELETE, identifier, None))
        parent = identifier.parent
        if parent is not None and identifier.auxiliary_kind is None:
            self.changes.publish(Change(Activity.REMOVE, parent, None, object=identifier))

    async def _received(self, identifier: ResourceIdentifier, content: Content) -> _Received:
        """The whole body of a write, checked and held before any lock is taken or anything created.

        RDF is parsed (400 if it does not parse); other bodies are staged by the store, so an
        upload that is cut off or too large changes nothing.
        """
        if identifier.is_container:
            return await self._received_description(identifier, content)
        media_type = self._media_type(content)
        if formats.is_rdf(media_type):
            return _Received(media_type, *await self._validated_rdf(identifier, content))
        self.storages.check_protected(identifier, [])  # a protected RDF document cannot become non-RDF
        if identifier.auxiliary_kind is not None:
            # Solid Protocol §4.3: auxiliary resources are RDF documents.
            raise UnsupportedMediaType(
                f"{identifier} is an auxiliary resource: it must be RDF, not {media_type}"
            )
        # Issue 15: refused before staging when Content-Length cannot fit, cut off once it outgrows the room.
        body = await self.quota.admit(identifier, content.body, content.length)
        return _Received(media_type, await self.store.stage(body))

    async def _received_description(self, identifier: ResourceIdentifier, content: Content) -> _Received:
        """A new container's body: optional RDF that becomes its description (its `.meta`)."""
        if content.media_type is None and not content.length:
            return _Received(None, b"", [])
        media_type = self._media_type(content)
        if not formats.is_rdf(media_type):
            raise UnsupportedMediaType(f"a container is described in RDF, not in {media_type}")
        return _Received(media_type, *await self._validated_rdf(identifier, content))

    async def _validated_rdf(
        self, identifier: ResourceIdentifier, content: Content
    ) -> tuple[bytes, formats.Graph]:
        """Parse an RDF body (400 if it does not), and keep server-managed triples off containers."""
        assert content.media_type is not None
        data = await content.read()
        graph = await formats.parse_off_loop(data, content.media_type, self.url(identifier))
        self.storages.check_protected(identifier, graph)  # e.g. a WebID profile keeps solid:oidcIssuer
        if identifier.subject.is_container and identifier.auxiliary_kind is not AuxiliaryKind.ACL:
            containers.check_description(graph)
        return data, graph

    @staticmethod
    def _media_type(content: Content) -> str:
        if content.media_type is None:
            # Solid Protocol §2.1: content without a Content-Type is a 400.
            raise BadRequest("the request has content but no Content-Type")
        return content.media_type

    async def _store(self, identifier: ResourceIdentifier, received: _Received, *, created: bool) -> None:
        """Write what was received (a document, or a container with its description) and announce it."""
        if not identifier.is_container:
            assert received.media_type is not None
            entry = await self.store.write(identifier, received.content, received.media_type)
            if created:
                self._announce_created(identifier, entry)
            else:
                self._announce_updated(identifier, entry)
            return
        await self.store.make_container(identifier)
        if (
            received.media_type is not None
            and isinstance(received.content, bytes)
            and received.content.strip()
        ):
            description = identifier.auxiliary(AuxiliaryKind.DESCRIPTION)
            await self.store.write(description, received.content, received.media_type)
        self._announce_created(identifier, None)

    def _room(
        self, identifier: ResourceIdentifier, received: _Received, old: Entry | None
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """Issue 15: room in the pod's quota, held from before anything is created (413 otherwise)
        until the write is counted."""
        if identifier.is_container:
            size = len(received.content) if isinstance(received.content, bytes) else 0
            return self.quota.reserve(identifier.auxiliary(AuxiliaryKind.DESCRIPTION), size, 0)
        return self.quota.reserve(identifier, _size(received.content), 0 if old is None else old.size)

    async def _discard(self, received: _Received) -> None:
        if isinstance(received.content, Staged):
            await self.store.discard(received.content)

    async def replace(
        self,
        identifier: ResourceIdentifier,
        content: Content,
        conditions: Conditions,
        *,
        authority: Authority | None = None,
    ) -> bool:
        """PUT: create or replace; True when it created the resource."""
        self._check_target(identifier)
        received = await self._received(identifier, content)
        try:
            async with self.locker.lock(_lock_key(identifier)):
                entry = await self._current(identifier)
                await self._check_conditions(entry, conditions)
                if identifier.is_container and entry is not None:
                    raise Conflict("PUT cannot replace a container: its containment is the server's")
                await self.validator.check(received.as_write(identifier), authority)
                async with self._room(identifier, received, entry):
                    await self._ensure_parents(identifier, authority)
                    await self._store(identifier, received, created=entry is None)
                return entry is None
        except BaseException:
            await self._discard(received)
            raise

    async def create_child(
        self,
        container: ResourceIdentifier,
        content: Content,
        slug: str | None,
        *,
        as_container: bool,
        authority: Authority | None = None,
    ) -> ResourceIdentifier:
        """POST: create a new resource in a container and return its identifier."""
        if not container.is_container:
            if await self.store.stat(container) is not None:
                raise MethodNotAllowed(
                    f"{container} is not a container: POST creates resources in containers"
                )
            raise NotFound(f"{container} does not exist")
        if await self.store.stat(container) is None:
            raise NotFound(f"the container {container} does not exist")
        self._check_target(container)
        name = containers.name_from_slug(slug, is_container=as_container)
        first = container.child(name, container=as_container)
        received = await self._received(first, content)
        try:
            await self.validator.check(received.as_write(first), authority)
            # Never overwrite: a taken name (either slash form, or an auxiliary name) gets a new one.
            for _ in range(8):
                child = container.child(name, container=as_container)
                async with self.locker.lock(_lock_key(child)):
                    taken = child.auxiliary_kind is not None or self.storages.is_reserved(child)
                    taken = taken or await self.store.exists(child)
                    taken = taken or await self.store.exists(child.with_slash_toggled())
                    if not taken:
                        async with self._room(child, received, None):
                            await self._store(child, received, created=True)
                        return child
                name = containers.alternative_name(name)
            raise Conflict("could not find a free name in the container")
        except BaseException:
            await self._discard(received)
            raise

    async def patch(
        self,
        identifier: ResourceIdentifier,
        patch: Patch,
        conditions: Conditions,
        *,
        authority: Authority | None = None,
    ) -> bool:
        """PATCH: apply an N3 or SPARQL patch; True when it created the resource.

        Patches to one resource that arrive while it is being written are applied together, in
        order, and written once (a group commit): each is still checked on its own (its result
        must keep protected triples and pass constraints, or it changes nothing and gets its own
        error), and each is answered only once a state that contains it is durable. A patch with
        preconditions is about one stored version, so it goes alone.
        """
        self._check_target(identifier)
        pending = _PendingPatch(patch, authority, asyncio.get_running_loop().create_future())
        key = _lock_key(identifier)
        if conditions:
            async with self.locker.lock(key):
                await self._patch_together(identifier, [pending], conditions)
            return pending.answer.result()
        batch = self._patch_batches.get(key)
        if batch is None:
            batch = self._patch_batches[key] = []
            task = asyncio.create_task(self._patch_batch(identifier, key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        batch.append(pending)
        return await pending.answer

    async def _patch_batch(self, identifier: ResourceIdentifier, key: str) -> None:
        """Once the resource is free: every patch that arrived meanwhile, in one write."""
        async with self.locker.lock(key):
            # From here on, new arrivals form the next batch.
            pending = [p for p in self._patch_batches.pop(key) if not p.answer.done()]
            try:
                await self._patch_together(identifier, pending, NO_CONDITIONS)
            except BaseException as error:
                for waiting in pending:
                    if waiting.answer.done():
                        continue
                    if isinstance(error, Exception):
                        waiting.answer.set_exception(error)
                    else:
                        waiting.answer.cancel()
                if not isinstance(error, Exception):
                    raise

    async def _patch_together(
        self, identifier: ResourceIdentifier, pending: list[_PendingPatch], conditions: Conditions
    ) -> None:
        """Apply `pending` in order to the stored graph and write the result once (under the lock)."""
        # A container's own description lives in its description resource.
        target = identifier.auxiliary(AuxiliaryKind.DESCRIPTION) if identifier.is_container else identifier
        entry = await self._current(identifier)
        await self._check_conditions(entry, conditions)
        stored = entry if target == identifier else await self.store.stat(target)
        if stored is not None and not formats.is_rdf(stored.content_type):
            raise UnsupportedMediaType(f"{identifier} is not an RDF document, so it cannot be patched")
        graph = await self._graph(stored) if stored is not None else []
        media_type = stored.content_type if stored is not None else self._new_rdf_type(target)
        assert media_type is not None
        applied: list[_PendingPatch] = []
        for waiting in pending:
            try:
                graph = await self._patched(identifier, target, graph, media_type, waiting)
            except PodError as error:
                if not waiting.answer.done():
                    waiting.answer.set_exception(error)
                continue
            applied.append(waiting)
        if not applied:
            return
        data = formats.serialize(graph, media_type)
        # Issue 15: a patch that grows the document needs room in the pod's quota.
        async with self.quota.reserve(target, len(data), 0 if stored is None else stored.size):
            await self._ensure_parents(target, applied[0].authority)
            written = await self.store.write(target, data, media_type)
        if identifier.is_container:
            if entry is not None:  # a new container was announced as it was created
                self._announce_updated(identifier, None)
        elif entry is None:
            self._announce_created(target, written)
        else:
            self._announce_updated(target, written)
        # The next patch and the next read start from here, without reading the file again.
        self.graphs.put(target.path, written.etag, graph, len(data))
        self.representations.put(target.path, written.etag, data, len(data))
        for position, waiting in enumerate(applied):
            if not waiting.answer.done():
                waiting.answer.set_result(entry is None and position == 0)

    async def _patched(
        self,
        identifier: ResourceIdentifier,
        target: ResourceIdentifier,
        graph: formats.Graph,
        media_type: str,
        waiting: _PendingPatch,
    ) -> formats.Graph:
        """One patch applied to `graph`, and its result checked: the new graph, or a 4xx."""
        patch = waiting.patch
        if patch.searches() or len(graph) > PATCH_ON_LOOP_TRIPLES:
            # Off the event loop: a patch's WHERE clause can be costly, and other requests go on.
            result = await asyncio.to_thread(patch.apply, graph)
        else:
            result = patch.apply(graph)  # one pass over a small graph: less than the hand-off costs
        self.storages.check_protected(target, result)
        if identifier.subject.is_container and identifier.auxiliary_kind is not AuxiliaryKind.ACL:
            before = set(graph)
            containers.check_description(t for t in result if t not in before)
        # Issue 11: the result of the patch is what a constraint validates.
        await self.validator.check(Write(target, result, media_type), waiting.authority)
        return result

    @staticmethod
    def _new_rdf_type(identifier: ResourceIdentifier) -> str:
        """The format a document created by PATCH is stored in: what its name says, else Turtle."""
        extension = identifier.name.rpartition(".")[2].lower()
        by_extension = {"jsonld": formats.JSON_LD, "nt": formats.N_TRIPLES, "rdf": formats.RDF_XML}
        return by_extension.get(extension, formats.TURTLE)

    async def delete(
        self, identifier: ResourceIdentifier, conditions: Conditions, *, authority: Authority | None = None
    ) -> None:
        # Solid Protocol §5.4: the storage root and its ACL cannot be deleted.
        if self.storages.is_undeletable(identifier):
            raise MethodNotAllowed(f"{identifier} belongs to a storage root and cannot be deleted")
        if self.storages.is_reserved(identifier):
            raise MethodNotAllowed(f"{identifier} is served by the server itself")
        self.storages.check_protected(identifier, [])  # deleting a WebID profile would remove its issuer
        async with self.locker.lock(_lock_key(identifier)):
            entry = await self.store.stat(identifier)
            if entry is None:
                # RFC 9110 §13.2.1: preconditions are ignored when the answer would be 404 anyway.
                raise NotFound(f"{identifier} does not exist")
            await self._check_conditions(entry, conditions)
            # Deleting a container's `.meta` lifts its constraint: that needs Control too.
            await self.validator.check(Write(identifier, None, None, deleted=True), authority)
            if identifier.is_container:
                children = await self.store.children(identifier)
                if any(c.identifier.auxiliary_kind is None for c in children):
                    raise Conflict(f"{identifier} is not empty: delete what it contains first")
                for child in children:  # its own auxiliary resources
                    await self.store.delete(child.identifier)
                await self.store.delete(identifier)
            else:
                await self.store.delete(identifier)
                # Solid Protocol §4.3: deleting a resource deletes its auxiliary resources.
                if identifier.auxiliary_kind is None:
                    for kind in AuxiliaryKind:
                        with contextlib.suppress(NotFound):
                            await self.store.delete(identifier.auxiliary(kind))
            self._announce_deleted(identifier)
