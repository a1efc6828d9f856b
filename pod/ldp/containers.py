"""Container representations (containment and contained-resource metadata) and slug naming."""

from __future__ import annotations

import functools
import hashlib
import operator
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import unquote

import pyoxigraph as ox

from pod.errors import Conflict
from pod.ldp.identifiers import MAX_NAME_BYTES
from pod.storage.base import Entry

LDP = "http://www.w3.org/ns/ldp#"
PIM_STORAGE = "http://www.w3.org/ns/pim/space#Storage"
STAT = "http://www.w3.org/ns/posix/stat#"
DCTERMS_MODIFIED = "http://purl.org/dc/terms/modified"
MEDIA_TYPES = "http://www.w3.org/ns/iana/media-types/"
XSD = "http://www.w3.org/2001/XMLSchema#"

_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_CONTAINS = ox.NamedNode(LDP + "contains")
_SIZE = ox.NamedNode(STAT + "size")
_MTIME = ox.NamedNode(STAT + "mtime")
_MODIFIED = ox.NamedNode(DCTERMS_MODIFIED)
_RESOURCE = ox.NamedNode(LDP + "Resource")
_INTEGER = ox.NamedNode(XSD + "integer")
_DATE_TIME = ox.NamedNode(XSD + "dateTime")
_CONTAINER_TYPES = (ox.NamedNode(LDP + "Container"), ox.NamedNode(LDP + "BasicContainer"), _RESOURCE)
# Solid Protocol §5.3: these describe containment and contained resources; clients may not set them.
SERVER_MANAGED_PREDICATES = frozenset({LDP + "contains", STAT + "size", STAT + "mtime", DCTERMS_MODIFIED})


def seconds(mtime_ns: int) -> int:
    return mtime_ns // 1_000_000_000


# Children written together share their times, and a container's documents a few media types:
# those terms are made once each.
@functools.lru_cache(maxsize=4096)
def _modified(unix_seconds: int) -> ox.Literal:
    moment = datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ox.Literal(moment, datatype=_DATE_TIME)


@functools.lru_cache(maxsize=4096)
def _mtime(unix_seconds: int) -> ox.Literal:
    return _integer(unix_seconds)


@functools.lru_cache(maxsize=256)
def _media_type_class(content_type: str | None) -> ox.NamedNode:
    return ox.NamedNode(f"{MEDIA_TYPES}{content_type}#Resource")


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_INTEGER)


def container_graph(
    url: str,
    entry: Entry,
    children: Iterable[tuple[str, Entry]],
    *,
    is_storage: bool,
    description: Iterable[ox.Triple] = (),
) -> Iterator[ox.Triple]:
    """The container's own description, its containment triples and its children's metadata.

    A generator: the serializer consumes it as it goes, so a listing of 100,000 children never
    holds 700,000 triple objects at once.
    """
    subject = ox.NamedNode(url)
    for container_type in _CONTAINER_TYPES:
        yield ox.Triple(subject, _TYPE, container_type)
    if is_storage:
        yield ox.Triple(subject, _TYPE, ox.NamedNode(PIM_STORAGE))
    yield ox.Triple(subject, _MODIFIED, _modified(seconds(entry.mtime_ns)))
    yield ox.Triple(subject, _MTIME, _mtime(seconds(entry.mtime_ns)))
    yield from description
    for child_url, child in children:
        node = ox.NamedNode(child_url)
        yield ox.Triple(subject, _CONTAINS, node)
        if child.is_container:
            for container_type in _CONTAINER_TYPES:
                yield ox.Triple(node, _TYPE, container_type)
        else:
            yield ox.Triple(node, _TYPE, _RESOURCE)
            yield ox.Triple(node, _TYPE, _media_type_class(child.content_type))
            yield ox.Triple(node, _SIZE, _integer(child.size))
        moment = seconds(child.mtime_ns)
        yield ox.Triple(node, _MODIFIED, _modified(moment))
        yield ox.Triple(node, _MTIME, _mtime(moment))


_path_of = operator.attrgetter("identifier.path")


def in_path_order(entries: Iterable[Entry]) -> list[Entry]:
    """Entries sorted by path: the order a listing shows its children in, and hashes them in."""
    return sorted(entries, key=_path_of)


def container_version(entry: Entry, children: Iterable[Entry], description: Entry | None) -> str:
    """A validator that changes whenever anything the container's representation shows changes.

    `children` in path order (`in_path_order`), so that a listing has one version.
    """
    digest = hashlib.blake2b(digest_size=12)
    digest.update(entry.etag.encode())
    # One update of everything: as many small ones cost more than the hashing itself.
    digest.update("".join([f"|{c.identifier.path}|{c.content_type}|{c.etag}" for c in children]).encode())
    if description is not None:
        digest.update(f"|meta|{description.etag}".encode())
    return digest.hexdigest()


def check_description(graph: Iterable[ox.Triple]) -> None:
    """Solid Protocol §5.3: a container's containment and resource metadata are the server's (409)."""
    for triple in graph:
        if triple.predicate.value in SERVER_MANAGED_PREDICATES:
            raise Conflict(
                f"<{triple.predicate.value}> is managed by the server and cannot be set on a container"
            )


def name_from_slug(slug: str | None, *, is_container: bool) -> str:
    """A resource name from a Slug header: decoded, without slashes or dot segments, or a UUID."""
    if slug is None:
        return str(uuid.uuid4())
    name = unquote(slug).strip()
    if is_container:
        name = name.rstrip("/")
    name = "".join("-" if ch in "/\\" or ord(ch) < 0x20 or ch == "\x7f" else ch for ch in name)
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    if name in ("", ".", ".."):
        return str(uuid.uuid4())
    return name


def alternative_name(name: str) -> str:
    """Another name for a POST whose slug is taken: the slug with a unique suffix before any extension."""
    stem, dot, ext = name.rpartition(".")
    suffix = uuid.uuid4().hex[:8]
    candidate = f"{stem}-{suffix}.{ext}" if dot and stem else f"{name}-{suffix}"
    if len(candidate.encode("utf-8")) > MAX_NAME_BYTES:
        return str(uuid.uuid4())
    return candidate
