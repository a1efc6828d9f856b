"""Containers: the root, containment triples, contained-resource metadata, what containers refuse."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from aiohttp.test_utils import TestClient
from rdf_helpers import (
    DCTERMS,
    LDP,
    RDF_TYPE,
    STAT,
    TURTLE,
    absolute,
    contained,
    graph_of,
    http_date,
    iana_type,
    make_container,
    open_acl,
    put_bytes,
    put_turtle,
)
from rdflib import Graph, Literal, URIRef

Client = TestClient[Any, Any]

DOC = """@prefix ex: <http://example.org/ns#>.
<#me> ex:name "Alice".
"""


async def container_graph(client: Client, path: str) -> Graph:
    resp = await client.get(path, headers={"Accept": TURTLE})
    assert resp.status == 200, f"GET {path}: {resp.status}"
    return await graph_of(resp)


def one(graph: Graph, subject: URIRef, predicate: URIRef) -> Literal:
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, f"{subject} {predicate}: {values}"
    value = values[0]
    assert isinstance(value, Literal)
    return value


async def test_root_container_exists_on_an_empty_server(client: Client) -> None:
    """Solid Protocol §4.1 Storage Resource: the storage is the root container; it always exists."""
    resp = await client.get("/")
    assert resp.status == 200
    await graph_of(resp)


async def test_container_lists_each_child(client: Client) -> None:
    """Solid Protocol §4.2 Resource Containment: one containment triple per contained resource."""
    await put_turtle(client, "/c/doc.ttl", DOC)
    await put_bytes(client, "/c/pic.png", b"\x89PNG", "image/png")
    await make_container(client, "/c/sub/")
    assert await contained(client, "/c/") == {
        absolute(client, "/c/doc.ttl"),
        absolute(client, "/c/pic.png"),
        absolute(client, "/c/sub/"),
    }


async def test_container_does_not_list_grandchildren(client: Client) -> None:
    """Solid Protocol §4.2 Resource Containment: containment follows the path hierarchy one level at
    a time.
    """
    await put_turtle(client, "/c/sub/deep.ttl", DOC)
    assert await contained(client, "/c/") == {absolute(client, "/c/sub/")}


async def test_auxiliary_resources_are_not_contained(client: Client) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: .acl and .meta belong to their subject, not to the
    container.
    """
    await put_turtle(client, "/c/doc.ttl", DOC)
    await put_turtle(
        client, "/c/doc.ttl.acl", open_acl("doc.ttl", "<doc.ttl> <http://example.org/ns#p> 1.\n")
    )
    await put_turtle(client, "/c/doc.ttl.meta", "<doc.ttl> <http://example.org/ns#p> 2.\n")
    await put_turtle(client, "/c/.acl", open_acl("./", "<./> <http://example.org/ns#p> 3.\n"))
    await put_turtle(client, "/c/.meta", "<./> <http://example.org/ns#p> 4.\n")
    assert await contained(client, "/c/") == {absolute(client, "/c/doc.ttl")}


async def test_root_auxiliary_resources_are_not_contained(client: Client) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: the root's /.acl and /.meta are not in its listing."""
    await put_turtle(client, "/.meta", "<./> <http://example.org/ns#p> 1.\n")
    await put_turtle(client, "/doc.ttl", DOC)
    listed = await contained(client, "/")
    assert absolute(client, "/doc.ttl") in listed
    assert not {absolute(client, "/.meta"), absolute(client, "/.acl")} & listed


async def test_contained_document_has_resource_and_media_type_classes(client: Client) -> None:
    """Solid Protocol §4.2.1 Contained Resource Metadata: rdf:type includes the IANA media-type
    class.
    """
    await put_turtle(client, "/c/doc.ttl", DOC)
    await put_bytes(client, "/c/pic.png", b"\x89PNG", "image/png")
    graph = await container_graph(client, "/c/")
    doc = set(graph.objects(URIRef(absolute(client, "/c/doc.ttl")), RDF_TYPE))
    assert {LDP.Resource, iana_type("text/turtle")} <= doc
    assert LDP.Container not in doc
    pic = set(graph.objects(URIRef(absolute(client, "/c/pic.png")), RDF_TYPE))
    assert {LDP.Resource, iana_type("image/png")} <= pic


async def test_contained_container_has_container_classes(client: Client) -> None:
    """Solid Protocol §4.2 Resource Containment: a contained container is typed ldp:Container and
    ldp:BasicContainer.
    """
    await make_container(client, "/c/sub/")
    graph = await container_graph(client, "/c/")
    types = set(graph.objects(URIRef(absolute(client, "/c/sub/")), RDF_TYPE))
    assert {LDP.Resource, LDP.Container, LDP.BasicContainer} <= types


async def test_contained_resource_size_is_its_byte_count(client: Client) -> None:
    """Solid Protocol §4.2.1 Contained Resource Metadata: stat:size is the size in bytes."""
    body = b"0123456789" * 7
    await put_bytes(client, "/c/data.txt", body, "text/plain")
    graph = await container_graph(client, "/c/")
    size = one(graph, URIRef(absolute(client, "/c/data.txt")), STAT.size)
    assert int(size) == len(body)


async def test_contained_resource_has_mtime_in_unix_seconds(client: Client) -> None:
    """Solid Protocol §4.2.1 Contained Resource Metadata: stat:mtime is the Unix time of the last
    change.
    """
    before = time.time()
    await put_turtle(client, "/c/doc.ttl", DOC)
    graph = await container_graph(client, "/c/")
    mtime = float(one(graph, URIRef(absolute(client, "/c/doc.ttl")), STAT.mtime))
    assert before - 5 <= mtime <= time.time() + 5


async def test_contained_resource_modified_matches_its_last_modified(client: Client) -> None:
    """Solid Protocol §4.2.1 Contained Resource Metadata: dcterms:modified corresponds with
    Last-Modified.
    """
    await put_turtle(client, "/c/doc.ttl", DOC)
    graph = await container_graph(client, "/c/")
    modified = one(graph, URIRef(absolute(client, "/c/doc.ttl")), DCTERMS.modified).toPython()
    assert isinstance(modified, datetime), modified
    last_modified = http_date(await client.head("/c/doc.ttl"))
    # HTTP dates have whole seconds only.
    assert abs(modified.timestamp() - last_modified.timestamp()) < 1


async def test_contained_container_has_mtime_and_modified(client: Client) -> None:
    """Solid Protocol §4.2.1 Contained Resource Metadata: a contained container has its modification
    time (stat:size is left out for containers, as CSS does: a folder has no meaningful byte size).
    """
    await make_container(client, "/c/sub/")
    graph = await container_graph(client, "/c/")
    sub = URIRef(absolute(client, "/c/sub/"))
    one(graph, sub, STAT.mtime)
    one(graph, sub, DCTERMS.modified)


async def test_container_etag_changes_when_a_child_is_added(client: Client) -> None:
    """RFC 9110 §8.8.3 ETag: the listing is part of the representation, so its strong validator
    changes.
    """
    await make_container(client, "/c/")
    before = (await client.get("/c/")).headers["ETag"]
    await put_turtle(client, "/c/doc.ttl", DOC)
    after = (await client.get("/c/")).headers["ETag"]
    assert before != after


async def test_put_on_existing_container_is_409(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: PUT may not replace a container's containment triples."""
    await put_turtle(client, "/c/doc.ttl", DOC)
    resp = await client.put("/c/", data=b"", headers={"Content-Type": TURTLE})
    assert resp.status == 409
    assert await contained(client, "/c/") == {absolute(client, "/c/doc.ttl")}


async def test_put_on_root_is_409(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: the root is a container, so PUT cannot replace it."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.put("/", data=b"", headers={"Content-Type": TURTLE})
    assert resp.status == 409
    assert absolute(client, "/doc.ttl") in await contained(client, "/")


async def test_put_new_container_with_containment_triples_is_409(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: containment triples cannot be written with PUT."""
    body = f"<> <{LDP.contains}> <ghost.ttl>.\n"
    resp = await client.put("/newc/", data=body.encode(), headers={"Content-Type": TURTLE})
    assert resp.status == 409
    assert (await client.get("/newc/")).status == 404


async def test_post_container_with_containment_triples_is_409(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: containment triples cannot be written with POST."""
    await make_container(client, "/c/")
    body = f"<> <{LDP.contains}> <ghost.ttl>.\n"
    resp = await client.post(
        "/c/",
        data=body.encode(),
        headers={
            "Content-Type": TURTLE,
            "Link": f'<{LDP.BasicContainer}>; rel="type"',
            "Slug": "sub",
        },
    )
    assert resp.status == 409
    assert await contained(client, "/c/") == set()


async def test_listing_shows_percent_encoded_names(client: Client) -> None:
    """Solid Protocol §3.1 URI Slash Semantics: containment follows the URI path, encoded as in the
    request.
    """
    resp = await client.put("/c/hello%20world.txt", data=b"hi", headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    assert await contained(client, "/c/") == {absolute(client, "/c/hello%20world.txt")}
