"""Building a container's listing: its version is computed once per build, and the bytes cached
under a version are the listing of exactly that version."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import rdflib
from aiohttp.test_utils import TestClient
from rdf_helpers import graph_of, make_container, put_bytes, put_turtle
from rdflib import RDF
from rdflib.compare import isomorphic

from pod.ldp import containers, operations
from pod.ldp.conditions import NO_CONDITIONS
from pod.ldp.identifiers import parse_path
from pod.ldp.operations import Content, Representation, Resources
from pod.ldp.storages import Storages
from pod.rdf import formats
from pod.storage.base import Entry, ProcessLocker
from pod.storage.files import FileStore
from pod.storage.memory import MemoryStore

BASE = "http://pod.example/"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
DOC = b"<#a> <http://example.org/ns#p> 0 ."


def turtle(offered: Iterable[str]) -> str:
    return formats.TURTLE


@pytest.fixture
async def resources() -> Resources:
    resources = Resources(MemoryStore(), ProcessLocker(), Storages(), BASE)
    await resources.replace(parse_path("/c/a.ttl"), Content(formats.TURTLE, DOC, len(DOC)), NO_CONDITIONS)
    return resources


async def read_listing(resources: Resources) -> Representation:
    return await resources.read(parse_path("/c/"), turtle)


async def test_a_listing_built_afresh_is_hashed_once(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[int] = []
    version_of = containers.container_version

    def counted(entry: Entry, children: list[Entry], description: Entry | None) -> str:
        hashed.append(len(children))
        return version_of(entry, children, description)

    monkeypatch.setattr(containers, "container_version", counted)
    await read_listing(resources)
    assert hashed == [1]


async def test_a_listing_changed_since_its_version_was_remembered_is_cached_under_its_new_version(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await read_listing(resources)  # its version is remembered, its bytes cached
    # A child rewritten behind the server's back, while the store claims nothing changed.
    monkeypatch.setattr(resources.store, "generation", lambda: 0)
    await resources.read(parse_path("/c/"), turtle)  # remembered under generation 0
    await resources.store.write(parse_path("/c/a.ttl"), DOC + b"\n<#b> <#c> <#d>.", formats.TURTLE)
    resources.representations.forget("/c/")
    after = await read_listing(resources)
    container = await resources.store.stat(parse_path("/c/"))
    children = await resources.store.children(parse_path("/c/"))
    assert container is not None
    assert after.etag == containers.container_version(container, children, None) != before.etag
    assert after.body == resources.representations.get("/c/", after.etag)
    assert resources.representations.get("/c/", before.etag) is None
    assert isinstance(after.body, bytes) and b"stat:size 50 ;" in after.body  # the child as it is now


async def test_a_listing_shows_its_children_in_path_order(resources: Resources) -> None:
    for name in ("z.ttl", "m/", "b.ttl"):
        await resources.replace(
            parse_path(f"/c/{name}"), Content(formats.TURTLE, DOC, len(DOC)), NO_CONDITIONS
        )
    body = (await read_listing(resources)).body
    assert isinstance(body, bytes)
    shown = [body.index(f"<{BASE}c/{name}>".encode()) for name in ("a.ttl", "b.ttl", "m/", "z.ttl")]
    assert shown == sorted(shown)


def entry(path: str, content_type: str | None = formats.TURTLE, size: int = 10, mtime_ns: int = 1) -> Entry:
    return Entry(parse_path(path), content_type, size, mtime_ns)


def test_a_container_version_changes_with_anything_its_listing_shows() -> None:
    container = entry("/c/", None)
    children = [entry("/c/a.ttl"), entry("/c/b.png", "image/png"), entry("/c/d/", None)]
    description = entry("/c/.meta")
    version = containers.container_version(container, children, description)
    assert containers.container_version(container, list(children), description) == version
    changed = [
        containers.container_version(entry("/c/", None, mtime_ns=2), children, description),
        containers.container_version(container, children[:2], description),
        containers.container_version(container, [*children, entry("/c/e.ttl")], description),
        containers.container_version(container, [entry("/c/a.ttl", size=11), *children[1:]], description),
        containers.container_version(container, [entry("/c/a.ttl", mtime_ns=2), *children[1:]], description),
        containers.container_version(container, [entry("/c/a.ttl", "text/n3"), *children[1:]], description),
        containers.container_version(container, [entry("/c/A.ttl"), *children[1:]], description),
        containers.container_version(container, children, None),
        containers.container_version(container, children, entry("/c/.meta", size=11)),
    ]
    assert len({version, *changed}) == len(changed) + 1


# Names a listing must write exactly: every one is percent-encoded in its URL.
AWKWARD_NAMES = [
    "plain.ttl",
    "with space.txt",
    "ünïcödé.ttl",
    "日本語のファイル",
    "emoji 😀.png",
    "100%.txt",
    "a%20b",
    "hash#tag.ttl",
    'double"quote',
    "apostrophe's",
    "<angle>.html",
    "back\\slash",
    "{brace}|pipe^caret`tick",
    "!$&'()*+,;=:@~-_.",
    "x" * 196,  # with " dir": the longest name there may be
    "é" * 98,
    ".hidden",
    "trailing.",
    "...",
    "question?mark",
]
MEDIA_TYPES = [
    "text/turtle",
    "image/png",
    "application/ld+json",
    "application/octet-stream",
    "text/plain",
    "application/vnd.example+json",
    "text/plain;charset=utf-8",
    "x-made-up/é",
]
CONTAINER = entry("/c/", None, mtime_ns=1_700_000_000_123_456_789)


def awkward_children() -> list[Entry]:
    parent = parse_path("/c/")
    found = []
    for n, name in enumerate(AWKWARD_NAMES):
        media_type = MEDIA_TYPES[n % len(MEDIA_TYPES)]
        size, mtime_ns = n * 7919, (1_600_000_000 + n * 86_400) * 10**9 + n
        found.append(Entry(parent.child(name), media_type, size, mtime_ns))
        found.append(Entry(parent.child(name + " dir", container=True), None, 4096, mtime_ns))
    found.append(Entry(parent.child("empty"), "text/plain", 0, 0))
    found.append(Entry(parent.child("before-1970"), "text/plain", 2**40, -(10**18)))
    return containers.in_path_order(found)


def parsed(turtle: bytes) -> set[ox.Triple]:
    return {quad.triple for quad in ox.parse(turtle, format=ox.RdfFormat.TURTLE)}


def url_of(child: Entry) -> str:
    return BASE + child.identifier.path[1:]


def described() -> list[ox.Triple]:
    """A container description with what Turtle must escape or nest: quotes, a newline, a
    language tag, a typed literal and a blank node."""
    node, label, blank = (
        ox.NamedNode(BASE + "c/"),
        ox.NamedNode("http://example.org/ns#label"),
        ox.BlankNode(),
    )
    return [
        ox.Triple(node, label, ox.Literal('say "hi"\n\\ there', language="en")),
        ox.Triple(node, ox.NamedNode("http://example.org/ns#n"), ox.Literal("007", datatype=XSD_INTEGER)),
        ox.Triple(node, ox.NamedNode("http://example.org/ns#part"), blank),
        ox.Triple(blank, label, ox.Literal("inner")),
    ]


def both_listings(is_storage: bool) -> tuple[bytes, list[ox.Triple]]:
    """The listing of the awkward children as Turtle written directly, and as pyoxigraph terms."""
    children, description = awkward_children(), described()
    graph = containers.container_graph(
        BASE + "c/",
        CONTAINER,
        ((url_of(c), c) for c in children),
        is_storage=is_storage,
        description=description,
    )
    turtle = b"".join(
        containers.container_turtle_pieces(
            BASE + "c/", CONTAINER, children, is_storage=is_storage, description=description
        )
    )
    return turtle, list(graph)


def ground(triples: Iterable[ox.Triple]) -> set[ox.Triple]:
    """The triples without a blank node (whose labels differ from one parse to the next)."""
    return {t for t in triples if not any(isinstance(term, ox.BlankNode) for term in t)}


def rdflib_graph(data: bytes, rdflib_format: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=rdflib_format)


@pytest.mark.parametrize("is_storage", [False, True])
def test_the_turtle_listing_has_exactly_the_listings_triples(is_storage: bool) -> None:
    turtle, graph = both_listings(is_storage)
    # Each child's and the description's triples, none merged with another's.
    assert len(set(graph)) == len(described()) + (6 if is_storage else 5) + 6 * len(awkward_children())
    assert ground(parsed(turtle)) == ground(graph)
    # A second parser reads it as the same graph, blank nodes included.
    as_ntriples = formats.serialize(graph, formats.N_TRIPLES)
    assert isomorphic(rdflib_graph(turtle, "turtle"), rdflib_graph(as_ntriples, "nt"))


async def test_a_stored_media_type_with_characters_no_iri_holds_still_lists(
    client: TestClient[Any, Any],
) -> None:
    """Solid Protocol §5.2 (containment listed for every member): RFC 9110 token characters such as
    `|`, `#`, `%`, `^` and `` ` `` are valid in a Content-Type; its class IRI percent-encodes them."""
    odd = ["text/x|y", "a/b#c", "a/b%zz", "a/b^c", "a/b`c"]
    for n, media_type in enumerate(odd):
        await put_bytes(client, f"/c/odd{n}", b"x", media_type)
    for accept in ("text/turtle", "application/ld+json"):
        response = await client.get("/c/", headers={"Accept": accept})
        assert response.status == 200, await response.text()
        types = {str(o) for _, p, o in await graph_of(response) if str(p) == str(RDF.type)}
        for media_type in odd:
            encoded = quote(media_type, safe="/")
            assert f"http://www.w3.org/ns/iana/media-types/{encoded}#Resource" in types


DESCRIPTION_TURTLE = """<./> <http://example.org/ns#label> "say \\"hi\\"\\n"@en ;
    <http://example.org/ns#n> "007"^^<http://www.w3.org/2001/XMLSchema#integer> ;
    <http://example.org/ns#part> [ <http://example.org/ns#label> "inner" ] .
"""


async def test_a_listing_served_as_turtle_and_as_json_ld_is_one_graph(client: TestClient[Any, Any]) -> None:
    for n, name in enumerate(AWKWARD_NAMES):
        media_type = ["text/turtle", "image/png", "text/plain"][n % 3]
        await put_bytes(client, f"/c/{quote(name, safe='')}", b"<#a> <#b> <#c>.", media_type)
        await make_container(client, f"/c/{quote(name + ' dir', safe='')}/")
    await put_turtle(client, "/c/.meta", DESCRIPTION_TURTLE)
    turtle = await client.get("/c/", headers={"Accept": "text/turtle"})
    json_ld = await client.get("/c/", headers={"Accept": "application/ld+json"})
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    assert json_ld.headers["Content-Type"].startswith("application/ld+json")
    as_turtle, as_json_ld = await graph_of(turtle), await graph_of(json_ld)
    # Each child's six triples, the container's five and its description's four.
    assert len(as_turtle) == 2 * len(AWKWARD_NAMES) * 6 + 5 + 4
    assert isomorphic(as_turtle, as_json_ld)


def test_a_listing_made_in_pieces_is_the_listing_made_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    children = awkward_children()
    version = containers.container_version(CONTAINER, children, None)
    turtle, graph = both_listings(is_storage=False)
    monkeypatch.setattr(containers, "PIECE", 5)  # a last piece of fewer children, too
    assert len(children) % 5
    assert containers.container_version(CONTAINER, children, None) == version
    in_pieces, _ = both_listings(is_storage=False)
    assert ground(parsed(in_pieces)) == ground(graph) and len(parsed(in_pieces)) == len(parsed(turtle))


async def test_a_folder_read_from_disk_lists_its_children_in_name_order(tmp_path: Path) -> None:
    """So that a listing finds them nearly sorted already, their entries made in that order."""
    names = [f"{n:03d}.txt" for n in range(64)]
    (tmp_path / "c").mkdir()
    for name in random.Random(7).sample(names, len(names)):
        (tmp_path / "c" / name).write_bytes(b"x")
    store = FileStore(tmp_path)
    children = await store.children(parse_path("/c/"))
    store.close()
    assert [c.identifier.name for c in children] == names


async def test_a_large_listing_streams_and_is_the_whole_listing(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 4 ("its listing must stream"): a listing of more than STREAMED_LISTING_CHILDREN children
    is sent in pieces as it is written (chunked: no Content-Length); it is the same graph, under
    the same ETag, as the listing sent whole, and conditional requests and HEAD treat it alike."""
    for n in range(7):
        await put_bytes(client, f"/big/d{n}", b"x", "text/plain")
    await put_turtle(client, "/big/.meta", DESCRIPTION_TURTLE)
    monkeypatch.setattr(operations, "STREAMED_LISTING_CHILDREN", 3)
    monkeypatch.setattr(containers, "PIECE", 2)
    streamed = await client.get("/big/", headers={"Accept": "text/turtle"})
    assert streamed.status == 200
    assert "Content-Length" not in streamed.headers
    assert streamed.headers["Transfer-Encoding"] == "chunked"
    streamed_graph = await graph_of(streamed)
    head = await client.head("/big/", headers={"Accept": "text/turtle"})
    assert head.status == 200 and head.headers["ETag"] == streamed.headers["ETag"]
    unchanged = await client.get(
        "/big/", headers={"Accept": "text/turtle", "If-None-Match": streamed.headers["ETag"]}
    )
    assert unchanged.status == 304
    monkeypatch.undo()
    whole = await client.get("/big/", headers={"Accept": "text/turtle"})
    assert whole.headers["Content-Length"] == str(len(await whole.read()))
    assert whole.headers["ETag"] == streamed.headers["ETag"]
    assert len(streamed_graph) == 7 * 6 + 5 + 4
    assert isomorphic(streamed_graph, await graph_of(whole))


@pytest.mark.parametrize("media_type", [formats.TURTLE, formats.JSON_LD])
async def test_a_container_whose_description_was_broken_on_disk_is_still_listed(
    tmp_path: Path, media_type: str
) -> None:
    """Issue 4's rule for bad input: a `.meta` file made unreadable by hand is the server's data, not
    the client's request, so the container is listed (without it) rather than refused with a 400."""
    store = FileStore(tmp_path)
    resources = Resources(store, ProcessLocker(), Storages(), BASE)
    await resources.replace(parse_path("/c/a.ttl"), Content(formats.TURTLE, DOC, len(DOC)), NO_CONDITIONS)
    title = b'<> <http://purl.org/dc/terms/title> "Mine" .'
    await resources.replace(parse_path("/c/.meta"), Content(formats.TURTLE, title, len(title)), NO_CONDITIONS)
    described = await resources.read(parse_path("/c/"), lambda offered: media_type)
    assert isinstance(described.body, bytes) and b"Mine" in described.body

    [meta_file] = (tmp_path / "c").glob(".meta*")
    meta_file.write_bytes(b"<> <http://purl.org/dc/terms/title> this is not turtle")

    listed = await resources.read(parse_path("/c/"), lambda offered: media_type)
    assert isinstance(listed.body, bytes)
    store.close()
    graph = formats.parse(listed.body, media_type, BASE + "c/")
    members = {t.object.value for t in graph if t.predicate.value == "http://www.w3.org/ns/ldp#contains"}
    assert members == {BASE + "c/a.ttl"}
    assert b"Mine" not in listed.body
