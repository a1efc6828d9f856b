"""Container representations (containment and contained-resource metadata) and slug naming."""

from __future__ import annotations

import functools
import hashlib
import operator
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, unquote

import pyoxigraph as ox

from pod.errors import Conflict
from pod.ldp.identifiers import MAX_NAME_BYTES
from pod.storage.base import Entry

LDP = "http://www.w3.org/ns/ldp#"
PIM = "http://www.w3.org/ns/pim/space#"
PIM_STORAGE = PIM + "Storage"
STAT = "http://www.w3.org/ns/posix/stat#"
DCTERMS = "http://purl.org/dc/terms/"
DCTERMS_MODIFIED = DCTERMS + "modified"
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
def _moment(unix_seconds: int) -> str:
    """The xsd:dateTime lexical form of a time."""
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=4096)
def _modified(unix_seconds: int) -> ox.Literal:
    return ox.Literal(_moment(unix_seconds), datatype=_DATE_TIME)


@functools.lru_cache(maxsize=4096)
def _mtime(unix_seconds: int) -> ox.Literal:
    return _integer(unix_seconds)


# RFC 9110 §5.6.2: a media type's token characters an IRI may hold as they are (RFC 3987); the
# others (`#`, `%`, `^`, `` ` ``, `|`) are percent-encoded, so that any stored type has its class.
_MEDIA_TYPE_SAFE = "/!$&'*+-._~"


@functools.lru_cache(maxsize=256)
def _media_type_class(content_type: str | None) -> ox.NamedNode:
    return ox.NamedNode(f"{MEDIA_TYPES}{quote(str(content_type), safe=_MEDIA_TYPE_SAFE)}#Resource")


@functools.lru_cache(maxsize=256)
def _media_type_class_iri(content_type: str | None) -> str:
    """`<iri>` as Turtle writes it: a NamedNode's IRI needs no escaping (pyoxigraph refuses any
    IRI with a character an IRIREF may not hold as it is: space, `<>"{}|^`\\` or a control)."""
    return str(_media_type_class(content_type))


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
# Children per piece of a listing's text (and of what its version hashes): a large listing is made
# a piece at a time, each joined while its strings are still in the processor's cache, and their
# memory reused for the next, rather than all 100,000 children's strings made, then joined.
PIECE = 1024


def _pieces(children: Sequence[Entry]) -> Iterator[Sequence[Entry]]:
    for start in range(0, len(children), PIECE):
        yield children[start : start + PIECE]


def in_path_order(entries: Iterable[Entry]) -> list[Entry]:
    """Entries sorted by path: the order a listing shows its children in, and hashes them in."""
    return sorted(entries, key=_path_of)


# The Turtle listing's own prefixes: `container_turtle_pieces` writes its terms with these.
_TURTLE_HEADER = "".join(
    f"@prefix {name}: <{iri}> .\n"
    for name, iri in (("ldp", LDP), ("stat", STAT), ("dc", DCTERMS), ("xsd", XSD), ("pim", PIM))
)
_CONTAINER_CLASSES = "a ldp:Container , ldp:BasicContainer , ldp:Resource"


def container_turtle_pieces(
    url: str,
    entry: Entry,
    children: Sequence[Entry],
    *,
    is_storage: bool,
    description: Iterable[ox.Triple] = (),
) -> Iterator[bytes]:
    """The triples of `container_graph` as Turtle, a piece at a time: the container's own, then
    its children's, `PIECE` children a piece.

    Making them as pyoxigraph terms costs several times what writing them does (a Triple whose
    object is a literal takes ~2 µs to make: pyoxigraph tries it as a named and a blank node
    first, and each failed try raises an exception). The description goes through pyoxigraph,
    without prefixes, so it stands alone.

    `children` are the container's own (so each one's URL is `url` followed by the rest of its
    canonical, percent-encoded path: no escaping is needed), in the order they are written.
    """
    subject = str(ox.NamedNode(url))  # `<url>`: checked as pyoxigraph checks it
    storage = " , pim:Storage" if is_storage else ""
    moment = seconds(entry.mtime_ns)
    head = f"{_TURTLE_HEADER}{subject} {_CONTAINER_CLASSES}{storage} ;\n{_times_turtle(moment)}"
    yield head.encode() + (ox.serialize(description, format=ox.RdfFormat.TURTLE) or b"")
    skip = len(entry.identifier.path)
    for piece in _pieces(children):
        yield _children_turtle(subject, skip, piece)


def _children_turtle(subject: str, skip: int, children: Iterable[Entry]) -> bytes:
    """Each child's containment triple and metadata, as `container_turtle_pieces` writes them (a child's
    URL is `subject`'s followed by its path after the container's `skip` characters)."""
    url_head = subject[:-1]  # `<url` without its `>`
    written = []
    for child in children:
        node = f"{url_head}{child.identifier.path[skip:]}>"
        moment = seconds(child.mtime_ns)
        if child.is_container:
            classes = _CONTAINER_CLASSES
        else:
            classes = (
                f"a ldp:Resource , {_media_type_class_iri(child.content_type)} ;\n\tstat:size {child.size}"
            )
        written.append(f"{subject} ldp:contains {node} .\n{node} {classes} ;\n{_times_turtle(moment)}")
    return "".join(written).encode()


def _times_turtle(unix_seconds: int) -> str:
    """The end of a resource's statement in a Turtle listing: when it was last modified."""
    return f'\tdc:modified "{_moment(unix_seconds)}"^^xsd:dateTime ;\n\tstat:mtime {unix_seconds} .\n'


def container_version(entry: Entry, children: Sequence[Entry], description: Entry | None) -> str:
    """A validator that changes whenever anything the container's representation shows changes.

    `children` in path order (`in_path_order`), so that a listing has one version.
    """
    digest = hashlib.blake2b(digest_size=12)
    digest.update(entry.etag.encode())
    # One update per piece: one per child would cost more than the hashing itself.
    for piece in _pieces(children):
        digest.update("".join([f"|{c.identifier.path}|{c.content_type}|{c.etag}" for c in piece]).encode())
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
