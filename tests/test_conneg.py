"""Content negotiation for RDF resources: formats on read and on write, q-values, 406, 400 on bad
RDF.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from rdf_helpers import (
    RDFLIB_FORMATS,
    TURTLE,
    absolute,
    assert_isomorphic,
    contained,
    graph_of,
    make_container,
    media_type,
    put_turtle,
    turtle_graph,
)
from rdflib import Graph

from tests.conftest import ClientFactory

Client = TestClient[Any, Any]

DOC = """@prefix ex: <http://example.org/ns#>.
@prefix xsd: <http://www.w3.org/2001/XMLSchema#>.
# A comment the Turtle serializer would drop: proves the stored bytes come back.
<#me> ex:name "Alice"@en;
    ex:age "42"^^xsd:integer;
    ex:knows <other.ttl#bob>, [ ex:name "Carol" ].
"""
FORMATS = sorted(RDFLIB_FORMATS)


def doc_graph(client: Client, path: str = "/doc.ttl") -> Graph:
    return turtle_graph(DOC, absolute(client, path))


def serialize_for(client: Client, mime: str, path: str) -> bytes:
    """DOC in the given format, with absolute IRIs so no base handling is involved."""
    data = doc_graph(client, path).serialize(format=RDFLIB_FORMATS[mime])
    return data.encode() if isinstance(data, str) else data


# --- Reading --------------------------------------------------------------------------------------


async def test_turtle_is_the_default_without_accept(client: Client) -> None:
    """Solid Protocol §5.5 Resource Representations: Turtle is always available; it is our default."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", skip_auto_headers=["Accept"])
    assert resp.status == 200
    assert media_type(resp) == TURTLE


async def test_turtle_is_the_default_for_any_type(client: Client) -> None:
    """Solid Protocol §5.5 Resource Representations: Accept */* gets Turtle."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Accept": "*/*"})
    assert resp.status == 200
    assert media_type(resp) == TURTLE


@pytest.mark.parametrize("mime", FORMATS)
async def test_document_is_served_in_requested_format(client: Client, mime: str) -> None:
    """Solid Protocol §5.5 Resource Representations: the same graph in each RDF format asked for."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Accept": mime})
    assert resp.status == 200
    assert media_type(resp) == mime
    assert_isomorphic(await graph_of(resp), doc_graph(client))


@pytest.mark.parametrize("mime", FORMATS)
async def test_container_is_served_in_requested_format(client: Client, mime: str) -> None:
    """Solid Protocol §5.5 Resource Representations: container descriptions negotiate too."""
    await put_turtle(client, "/c/doc.ttl", DOC)
    turtle = await graph_of(await client.get("/c/", headers={"Accept": TURTLE}))
    resp = await client.get("/c/", headers={"Accept": mime})
    assert resp.status == 200
    assert media_type(resp) == mime
    assert_isomorphic(await graph_of(resp), turtle)


async def test_q_values_choose_the_preferred_format(client: Client) -> None:
    """RFC 9110 §12.5.1 Accept: the highest quality value wins, whatever the order."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Accept": "text/turtle;q=0.5, application/ld+json;q=0.9"})
    assert resp.status == 200
    assert media_type(resp) == "application/ld+json"
    assert_isomorphic(await graph_of(resp), doc_graph(client))


async def test_q_zero_excludes_a_format(client: Client) -> None:
    """RFC 9110 §12.4.2 Quality Values: q=0 means not acceptable."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Accept": "text/turtle;q=0, application/n-triples;q=0.1"})
    assert resp.status == 200
    assert media_type(resp) == "application/n-triples"


async def test_browser_accept_header_gets_an_rdf_format(make_client: ClientFactory) -> None:
    """RFC 9110 §12.5.1 Accept: a wildcard with low q still selects an RDF representation.

    (With the SolidOS data browser off: when it is on, a browser gets its page; tests/test_databrowser.py.)"""
    client = await make_client(mashlib_url="")
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get(
        "/doc.ttl",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )
    assert resp.status == 200
    assert media_type(resp) in RDFLIB_FORMATS
    assert_isomorphic(await graph_of(resp), doc_graph(client))


async def test_no_acceptable_format_is_406(client: Client) -> None:
    """RFC 9110 §15.5.7 406 Not Acceptable: an RDF document has no image/png representation."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Accept": "image/png"})
    assert resp.status == 406


async def test_container_with_no_acceptable_format_is_406(client: Client) -> None:
    """RFC 9110 §15.5.7 406 Not Acceptable: containers are RDF, so image/png cannot be served."""
    await make_container(client, "/c/")
    resp = await client.get("/c/", headers={"Accept": "image/png"})
    assert resp.status == 406


async def test_turtle_of_turtle_document_is_the_stored_bytes(client: Client) -> None:
    """DESIGN.md "Hot paths do not parse what they can stream": Turtle stored is Turtle served, byte
    for byte.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Accept": TURTLE})
    assert await resp.read() == DOC.encode()


async def test_representations_have_different_etags(client: Client) -> None:
    """DESIGN.md "ETags identify a representation": Turtle and JSON-LD of one resource differ."""
    await put_turtle(client, "/doc.ttl", DOC)
    turtle = await client.get("/doc.ttl", headers={"Accept": TURTLE})
    jsonld = await client.get("/doc.ttl", headers={"Accept": "application/ld+json"})
    assert turtle.headers["ETag"] != jsonld.headers["ETag"]


async def test_same_representation_has_a_stable_etag(client: Client) -> None:
    """RFC 9110 §8.8.3 ETag: an unchanged representation keeps its validator."""
    await put_turtle(client, "/doc.ttl", DOC)
    first = await client.get("/doc.ttl", headers={"Accept": "application/ld+json"})
    second = await client.get("/doc.ttl", headers={"Accept": "application/ld+json"})
    assert first.headers["ETag"] == second.headers["ETag"]


# --- Writing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mime", FORMATS)
async def test_put_accepts_each_rdf_format(client: Client, mime: str) -> None:
    """Solid Protocol §5.5 Resource Representations: an RDF source written in any format reads back
    as Turtle.
    """
    body = serialize_for(client, mime, "/doc")
    resp = await client.put("/doc", data=body, headers={"Content-Type": mime})
    assert resp.status == 201, await resp.text()
    got = await client.get("/doc", headers={"Accept": TURTLE})
    assert media_type(got) == TURTLE
    assert_isomorphic(await graph_of(got), doc_graph(client, "/doc"))


async def test_put_json_ld_resolves_relative_iris_against_the_resource(client: Client) -> None:
    """Solid Protocol §1.4.1 Relationship to LDP: relative references resolve against the request
    URI.
    """
    body = b'{"@id": "#me", "http://example.org/ns#knows": {"@id": "other.ttl#bob"}}'
    resp = await client.put("/j/doc", data=body, headers={"Content-Type": "application/ld+json"})
    assert resp.status == 201, await resp.text()
    got = await client.get("/j/doc", headers={"Accept": TURTLE})
    expected = turtle_graph(
        "<#me> <http://example.org/ns#knows> <other.ttl#bob>.", absolute(client, "/j/doc")
    )
    assert_isomorphic(await graph_of(got), expected)


async def test_post_json_ld_is_readable_as_turtle(client: Client) -> None:
    """Solid Protocol §5.5 Resource Representations: created by POST in JSON-LD, served as Turtle."""
    await make_container(client, "/c/")
    body = b'{"@id": "", "http://example.org/ns#name": "posted"}'
    resp = await client.post("/c/", data=body, headers={"Content-Type": "application/ld+json"})
    assert resp.status == 201, await resp.text()
    new = urljoin(str(resp.url), resp.headers["Location"])
    got = await client.get(urlsplit(new).path, headers={"Accept": TURTLE})
    assert got.status == 200
    expected = turtle_graph('<> <http://example.org/ns#name> "posted".', str(got.url))
    assert_isomorphic(await graph_of(got), expected)


@pytest.mark.parametrize(
    ("mime", "body"),
    [
        (TURTLE, b"<#a> <#b> ."),
        (TURTLE, b'@prefix ex: <http://example.org/ns#> .\n<#a> ex:p "unterminated .'),
        ("application/ld+json", b'{"@id": "#a", '),
        ("application/n-triples", b"<http://a.example/s> <http://a.example/p> .\n"),
        ("application/rdf+xml", b"<rdf:RDF><oops"),
    ],
)
async def test_put_of_unparseable_rdf_is_400(client: Client, mime: str, body: bytes) -> None:
    """DESIGN.md "Every input is hostile": RDF that does not parse is a 400 with the parser's
    message.
    """
    resp = await client.put("/bad.ttl", data=body, headers={"Content-Type": mime})
    assert resp.status == 400
    assert (await resp.text()).strip()
    assert (await client.get("/bad.ttl")).status == 404


async def test_put_of_unparseable_rdf_leaves_existing_document(client: Client) -> None:
    """DESIGN.md "Every input is hostile": a refused write changes nothing."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.put("/doc.ttl", data=b"<#a> <#b> .", headers={"Content-Type": TURTLE})
    assert resp.status == 400
    assert await (await client.get("/doc.ttl", headers={"Accept": TURTLE})).read() == DOC.encode()


async def test_post_of_unparseable_rdf_is_400(client: Client) -> None:
    """DESIGN.md "Every input is hostile": POST parses RDF bodies as PUT does."""
    await make_container(client, "/c/")
    resp = await client.post("/c/", data=b"<#a> <#b> .", headers={"Content-Type": TURTLE})
    assert resp.status == 400
    assert (await resp.text()).strip()
    assert await contained(client, "/c/") == set()


async def test_put_without_content_type_is_400(client: Client) -> None:
    """Solid Protocol §2.1 HTTP Server: PUT with content but no Content-Type MUST be 400."""
    resp = await client.put("/doc.ttl", data=DOC.encode(), skip_auto_headers=["Content-Type"])
    assert resp.status == 400
    assert (await client.get("/doc.ttl")).status == 404


async def test_post_without_content_type_is_400(client: Client) -> None:
    """Solid Protocol §2.1 HTTP Server: POST with content but no Content-Type MUST be 400."""
    await make_container(client, "/c/")
    resp = await client.post("/c/", data=DOC.encode(), skip_auto_headers=["Content-Type"])
    assert resp.status == 400
