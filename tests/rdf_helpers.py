"""Helpers for HTTP-level tests: read responses as RDF graphs, Link headers and header lists, send
raw paths.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import yarl
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.compare import graph_diff, to_isomorphic

LDP = Namespace("http://www.w3.org/ns/ldp#")
PIM = Namespace("http://www.w3.org/ns/pim/space#")
SOLID = Namespace("http://www.w3.org/ns/solid/terms#")
STAT = Namespace("http://www.w3.org/ns/posix/stat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
ACL = Namespace("http://www.w3.org/ns/auth/acl#")
EX = Namespace("http://example.org/ns#")
RDF_TYPE = RDF.type
IANA = "http://www.w3.org/ns/iana/media-types/"

STORAGE_DESCRIPTION_REL = "http://www.w3.org/ns/solid/terms#storageDescription"

# media type → rdflib parser name, for the RDF formats the server negotiates.
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "text/n3": "n3",
}

TURTLE = "text/turtle"


def base_url(client: TestClient[Any, Any]) -> str:
    """The server's base URL, ending in '/'."""
    return str(client.make_url("/"))


def absolute(client: TestClient[Any, Any], path: str) -> str:
    """The absolute URL of a path on the server (path as written, no re-encoding)."""
    return base_url(client).rstrip("/") + path


def iana_type(media_type: str) -> URIRef:
    """The class a container listing uses for a contained resource of this media type."""
    return URIRef(f"{IANA}{media_type}#Resource")


def media_type(resp: ClientResponse) -> str:
    """The response's media type without parameters, lower-cased."""
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def parse_graph(data: bytes | str, content_type: str, base: str) -> Graph:
    """Parse an RDF body by its media type, resolving relative IRIs against base."""
    mime = content_type.split(";")[0].strip().lower()
    fmt = RDFLIB_FORMATS.get(mime)
    if fmt is None:
        raise AssertionError(f"not an RDF media type: {content_type!r}")
    graph = Graph()
    graph.parse(data=data, format=fmt, publicID=base)
    return graph


async def graph_of(resp: ClientResponse) -> Graph:
    """The RDF graph in a response body, parsed by its Content-Type with the request URL as base."""
    body = await resp.read()
    return parse_graph(body, resp.headers.get("Content-Type", ""), str(resp.url))


def turtle_graph(text: str, base: str) -> Graph:
    return parse_graph(text, TURTLE, base)


def assert_isomorphic(actual: Graph, expected: Graph) -> None:
    """Assert two graphs are equal up to blank-node renaming; on failure show the differences."""
    iso_actual, iso_expected = to_isomorphic(actual), to_isomorphic(expected)
    if iso_actual == iso_expected:
        return
    _, only_actual, only_expected = graph_diff(iso_actual, iso_expected)
    raise AssertionError(
        "graphs differ\n--- only in actual:\n"
        + only_actual.serialize(format="nt")
        + "--- only in expected:\n"
        + only_expected.serialize(format="nt")
    )


def _split_outside_quotes(value: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    in_quotes = in_angle = False
    for char in value:
        if char == '"' and not in_angle:
            in_quotes = not in_quotes
        elif char == "<" and not in_quotes:
            in_angle = True
        elif char == ">" and not in_quotes:
            in_angle = False
        if char == sep and not in_quotes and not in_angle:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def links(resp: ClientResponse) -> set[tuple[str, str]]:
    """Every (absolute target, rel) pair in all the response's Link headers (RFC 8288)."""
    found: set[tuple[str, str]] = set()
    for header in resp.headers.getall("Link", []):
        for link in _split_outside_quotes(header, ","):
            pieces = _split_outside_quotes(link, ";")
            target = pieces[0].strip()
            assert target.startswith("<") and target.endswith(">"), f"bad Link: {link!r}"
            href = urljoin(str(resp.url), target[1:-1])
            for param in pieces[1:]:
                name, _, value = param.partition("=")
                if name.strip().lower() == "rel":
                    for rel in value.strip().strip('"').split():
                        found.add((href, rel))
    return found


def link_targets(resp: ClientResponse, rel: str) -> set[str]:
    """The absolute targets of the response's links with this relation."""
    return {href for href, r in links(resp) if r == rel}


def tokens(resp: ClientResponse, name: str) -> set[str]:
    """The comma-separated values of a header (all occurrences), lower-cased, parameters dropped."""
    values: set[str] = set()
    for header in resp.headers.getall(name, []):
        for item in _split_outside_quotes(header, ","):
            values.add(item.split(";")[0].strip().lower())
    return values


def http_date(resp: ClientResponse, name: str = "Last-Modified") -> datetime:
    value = resp.headers.get(name)
    assert value, f"missing {name}"
    return parsedate_to_datetime(value)


def raw_url(client: TestClient[Any, Any], raw_path: str) -> yarl.URL:
    """A URL with the path sent exactly as written: no dot-segment removal, no re-encoding."""
    return yarl.URL(base_url(client).rstrip("/") + raw_path, encoded=True)


def raw_request(client: TestClient[Any, Any], method: str, raw_path: str, **kwargs: Any) -> Any:
    """Send a request whose path goes on the wire byte for byte (use as `async with` or await)."""
    return client.session.request(method, raw_url(client, raw_path), **kwargs)


async def put_turtle(client: TestClient[Any, Any], path: str, body: str) -> ClientResponse:
    """PUT a Turtle document; asserts it was created or replaced."""
    resp = await client.put(path, data=body.encode(), headers={"Content-Type": TURTLE})
    assert resp.status in (200, 201, 204), f"PUT {path}: {resp.status} {await resp.text()}"
    return resp


async def put_bytes(
    client: TestClient[Any, Any], path: str, body: bytes, content_type: str
) -> ClientResponse:
    """PUT a non-RDF resource; asserts it was created or replaced."""
    resp = await client.put(path, data=body, headers={"Content-Type": content_type})
    assert resp.status in (200, 201, 204), f"PUT {path}: {resp.status} {await resp.text()}"
    return resp


async def make_container(client: TestClient[Any, Any], path: str) -> None:
    """Create an empty container (and its ancestors) with PUT on its slash URL."""
    assert path.endswith("/")
    resp = await client.put(path, data=b"", headers={"Content-Type": TURTLE})
    assert resp.status in (200, 201, 204), f"PUT {path}: {resp.status} {await resp.text()}"


async def contained(client: TestClient[Any, Any], container: str) -> set[str]:
    """The absolute URLs a container lists with ldp:contains."""
    resp = await client.get(container, headers={"Accept": TURTLE})
    assert resp.status == 200, f"GET {container}: {resp.status}"
    graph = await graph_of(resp)
    return {str(o) for o in graph.objects(URIRef(str(resp.url)), LDP.contains)}


def open_acl(subject: str, extra: str = "") -> str:
    """An ACL document that keeps `subject` open to everyone, plus `extra` Turtle.

    WAC §ACL Resource Discovery: a resource's own ACL replaces the inherited one, so a test that
    writes an ACL only to exercise LDP behaviour must still grant access, or it locks itself out.
    """
    return (
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n"
        "<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>;\n"
        f"  acl:accessTo <{subject}>; acl:default <{subject}>;\n"
        "  acl:mode acl:Read, acl:Write, acl:Control.\n" + extra
    )


def aux_body(suffix: str, subject: str, extra: str) -> str:
    """The body for a test's `.acl` or `.meta` document about `subject`: `extra`, kept open if an ACL."""
    return open_acl(subject, extra) if suffix == ".acl" else extra
