"""Reading resources over HTTP: GET, HEAD, OPTIONS, the headers every response carries, ranges."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from rdf_helpers import (
    LDP,
    PIM,
    TURTLE,
    absolute,
    assert_isomorphic,
    aux_body,
    base_url,
    graph_of,
    http_date,
    link_targets,
    make_container,
    media_type,
    put_bytes,
    put_turtle,
    tokens,
    turtle_graph,
)

Client = TestClient[Any, Any]

DOC = """@prefix ex: <http://example.org/ns#>.
<#me> ex:name "Alice"; ex:knows <other.ttl#bob>.
"""
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


# --- GET and HEAD -----------------------------------------------------------------------------


async def test_get_rdf_document_returns_its_graph(client: Client) -> None:
    """Solid Protocol §5.2 Reading Resources: GET returns the resource's representation."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl")
    assert resp.status == 200
    assert media_type(resp) == TURTLE
    assert_isomorphic(await graph_of(resp), turtle_graph(DOC, absolute(client, "/doc.ttl")))


async def test_get_missing_resource_is_404(client: Client) -> None:
    """RFC 9110 §15.5.5: a resource with no current representation is 404 Not Found."""
    resp = await client.get("/nothing-here.ttl")
    assert resp.status == 404


async def test_get_missing_container_is_404(client: Client) -> None:
    """RFC 9110 §15.5.5: a container that was never created is 404 Not Found."""
    resp = await client.get("/no-such-container/")
    assert resp.status == 404


async def test_head_has_the_headers_of_get_and_no_body(client: Client) -> None:
    """RFC 9110 §9.3.2 HEAD: same header fields as GET, no content."""
    await put_turtle(client, "/doc.ttl", DOC)
    get = await client.get("/doc.ttl")
    head = await client.head("/doc.ttl")
    assert head.status == 200
    assert await head.read() == b""
    assert media_type(head) == media_type(get)
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Last-Modified"] == get.headers["Last-Modified"]


async def test_head_missing_resource_is_404(client: Client) -> None:
    """RFC 9110 §9.3.2 HEAD: the status is the one GET would give."""
    resp = await client.head("/nothing-here.ttl")
    assert resp.status == 404


async def test_get_non_rdf_resource_returns_stored_bytes_and_media_type(client: Client) -> None:
    """Solid Protocol §5.2 Reading Resources: a non-RDF resource is served as it was stored."""
    await put_bytes(client, "/pic.png", PNG, "image/png")
    resp = await client.get("/pic.png")
    assert resp.status == 200
    assert media_type(resp) == "image/png"
    assert await resp.read() == PNG


# --- OPTIONS and Allow ------------------------------------------------------------------------


async def test_options_on_document_lists_allowed_methods(client: Client) -> None:
    """Solid Protocol §5.2 Reading Resources: servers MUST support OPTIONS and generate Allow."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.options("/doc.ttl")
    assert resp.status in (200, 204)
    assert {"get", "head", "options", "put", "patch", "delete"} <= tokens(resp, "Allow")


async def test_allow_on_document_excludes_post(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: POST creates in containers only, so a document does
    not allow it.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl")
    assert "post" not in tokens(resp, "Allow")


async def test_options_on_container_allows_post(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: servers MUST allow POST to a container."""
    await make_container(client, "/c/")
    resp = await client.options("/c/")
    assert resp.status in (200, 204)
    assert {"get", "head", "options", "post", "delete"} <= tokens(resp, "Allow")


async def test_get_generates_allow_header(client: Client) -> None:
    """Solid Protocol §5.2 Reading Resources: Allow in successful responses."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl")
    assert {"get", "head", "options"} <= tokens(resp, "Allow")


@pytest.mark.parametrize("method", ["PROPFIND", "MKCOL", "COPY", "LOCK"])
async def test_unknown_method_is_405_with_allow(client: Client, method: str) -> None:
    """Solid Protocol §5 Reading and Writing Resources: unsupported methods are 405 (with Allow, RFC
    9110 §15.5.6).
    """
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.request(method, "/doc.ttl")
    assert resp.status == 405
    assert "get" in tokens(resp, "Allow")


async def test_method_unknown_to_http_is_a_client_error(client: Client) -> None:
    """Solid Protocol §5 Reading and Writing Resources: an unsupported method is refused.

    405 is what the spec asks for, but aiohttp's C parser (llhttp) knows a fixed list of methods
    and answers 400 "Invalid method encountered" for others before the application sees them.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.request("FOO", "/doc.ttl")
    assert resp.status in (400, 405)


# --- Interaction-model and storage headers -----------------------------------------------------


async def test_every_resource_has_ldp_resource_type_link(client: Client) -> None:
    """LDP §4.2.1.4 / Solid Protocol §4.2: every LDP resource advertises rel="type" ldp:Resource."""
    await put_turtle(client, "/doc.ttl", DOC)
    await put_bytes(client, "/pic.png", PNG, "image/png")
    for path in ("/", "/doc.ttl", "/pic.png"):
        resp = await client.get(path)
        assert str(LDP.Resource) in link_targets(resp, "type"), path


async def test_container_has_container_and_basic_container_type_links(client: Client) -> None:
    """Solid Protocol §4.2 Resource Containment: containers are LDP Basic Containers."""
    await make_container(client, "/c/")
    resp = await client.get("/c/")
    assert resp.status == 200
    types = link_targets(resp, "type")
    assert {str(LDP.Container), str(LDP.BasicContainer)} <= types


async def test_rdf_document_has_rdf_source_type_link(client: Client) -> None:
    """LDP §4.3: an RDF document is an ldp:RDFSource."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl")
    types = link_targets(resp, "type")
    assert str(LDP.RDFSource) in types
    assert str(LDP.Container) not in types
    assert str(LDP.NonRDFSource) not in types


async def test_non_rdf_resource_has_non_rdf_source_type_link(client: Client) -> None:
    """LDP §4.4: a binary resource is an ldp:NonRDFSource."""
    await put_bytes(client, "/pic.png", PNG, "image/png")
    resp = await client.get("/pic.png")
    types = link_targets(resp, "type")
    assert str(LDP.NonRDFSource) in types
    assert str(LDP.RDFSource) not in types


async def test_root_container_has_storage_type_link(client: Client) -> None:
    """Solid Protocol §4.1 Storage Resource: the root advertises rel="type" pim:Storage."""
    resp = await client.get("/")
    assert resp.status == 200
    assert str(PIM.Storage) in link_targets(resp, "type")


async def test_head_on_root_has_storage_type_link(client: Client) -> None:
    """Solid Protocol §4.1 Storage Resource: clients find the storage with HEAD too."""
    resp = await client.head("/")
    assert resp.status == 200
    assert str(PIM.Storage) in link_targets(resp, "type")


async def test_child_container_is_not_a_storage(client: Client) -> None:
    """Solid Protocol §4.1 Storage Resource: clients walk up until they find pim:Storage, so only
    the root has it.
    """
    await make_container(client, "/c/")
    resp = await client.get("/c/")
    assert str(PIM.Storage) not in link_targets(resp, "type")


# --- Auxiliary-resource links ------------------------------------------------------------------


async def test_document_links_to_its_acl_and_description(client: Client) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: rel="acl" and rel="describedby" on GET."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl")
    assert link_targets(resp, "acl") == {absolute(client, "/doc.ttl.acl")}
    assert link_targets(resp, "describedby") == {absolute(client, "/doc.ttl.meta")}


async def test_head_advertises_auxiliary_resources(client: Client) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: advertised in response to HEAD and GET."""
    await put_bytes(client, "/pic.png", PNG, "image/png")
    resp = await client.head("/pic.png")
    assert link_targets(resp, "acl") == {absolute(client, "/pic.png.acl")}
    assert link_targets(resp, "describedby") == {absolute(client, "/pic.png.meta")}


async def test_container_links_to_its_acl_and_description_inside_it(client: Client) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: a container /c/ has /c/.acl and /c/.meta."""
    await make_container(client, "/c/")
    resp = await client.get("/c/")
    assert link_targets(resp, "acl") == {absolute(client, "/c/.acl")}
    assert link_targets(resp, "describedby") == {absolute(client, "/c/.meta")}


async def test_root_links_to_its_acl_and_description(client: Client) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: the root's are /.acl and /.meta."""
    resp = await client.get("/")
    assert link_targets(resp, "acl") == {absolute(client, "/.acl")}
    assert link_targets(resp, "describedby") == {absolute(client, "/.meta")}


@pytest.mark.parametrize("suffix", [".acl", ".meta"])
async def test_auxiliary_resource_is_a_writable_rdf_document(client: Client, suffix: str) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: auxiliary resources are RDF documents read and
    written like others.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    aux = "/doc.ttl" + suffix
    body = aux_body(suffix, "doc.ttl", f'<{base_url(client)}doc.ttl> <http://example.org/ns#note> "aux".\n')
    resp = await client.put(aux, data=body.encode(), headers={"Content-Type": TURTLE})
    assert resp.status in (200, 201, 204)
    got = await client.get(aux)
    assert got.status == 200
    assert_isomorphic(await graph_of(got), turtle_graph(body, absolute(client, aux)))


@pytest.mark.parametrize("suffix", [".acl", ".meta"])
async def test_container_auxiliary_resource_is_a_writable_rdf_document(client: Client, suffix: str) -> None:
    """Solid Protocol §5.3 Writing Resources: a PUT to an auxiliary resource creates or updates it."""
    await make_container(client, "/c/")
    aux = "/c/" + suffix
    body = aux_body(suffix, "./", '<./> <http://example.org/ns#note> "container aux".\n')
    resp = await client.put(aux, data=body.encode(), headers={"Content-Type": TURTLE})
    assert resp.status in (200, 201, 204)
    got = await client.get(aux)
    assert got.status == 200
    assert_isomorphic(await graph_of(got), turtle_graph(body, absolute(client, aux)))


@pytest.mark.parametrize("suffix", [".acl", ".meta"])
async def test_auxiliary_resource_must_be_rdf(client: Client, suffix: str) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: auxiliary resources are represented as RDF documents,
    so a non-RDF body is refused (4xx) and nothing is created.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    aux = "/doc.ttl" + suffix
    resp = await client.put(aux, data=b"not rdf", headers={"Content-Type": "text/plain"})
    assert 400 <= resp.status < 500
    assert (await client.get(aux)).status == 404


# --- Representation headers -------------------------------------------------------------------


async def test_rdf_document_advertises_n3_and_sparql_update_patches(client: Client) -> None:
    """Solid Protocol §5.3.1 N3 Patch: Accept-Patch lists text/n3 (and SPARQL Update, which we
    support).
    """
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl")
    assert {"text/n3", "application/sparql-update"} <= tokens(resp, "Accept-Patch")


async def test_container_advertises_accept_post(client: Client) -> None:
    """Solid Protocol §5.2 Reading Resources: Accept-Post on resources that allow POST."""
    await make_container(client, "/c/")
    for method in ("GET", "HEAD", "OPTIONS"):
        resp = await client.request(method, "/c/")
        assert tokens(resp, "Accept-Post"), method


async def test_document_advertises_accept_put(client: Client) -> None:
    """Solid Protocol §12.1.1 Accept-Put: documents say which formats PUT accepts."""
    await put_turtle(client, "/doc.ttl", DOC)
    for method in ("GET", "HEAD", "OPTIONS"):
        resp = await client.request(method, "/doc.ttl")
        assert tokens(resp, "Accept-Put"), method


async def test_get_has_strong_etag(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: a strong validator ETag, so clients can use If-Match."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl")
    etag = resp.headers.get("ETag", "")
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2


async def test_etag_changes_when_the_document_changes(client: Client) -> None:
    """RFC 9110 §8.8.3: a strong ETag changes whenever the representation data changes."""
    await put_turtle(client, "/doc.ttl", DOC)
    before = (await client.get("/doc.ttl")).headers["ETag"]
    await put_turtle(client, "/doc.ttl", DOC + "<#me> <http://example.org/ns#age> 42.\n")
    after = (await client.get("/doc.ttl")).headers["ETag"]
    assert before != after


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_last_modified_on_documents(client: Client, method: str) -> None:
    """Solid Protocol §2.1 HTTP Server: Last-Modified in response to GET and HEAD."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.request(method, "/doc.ttl")
    http_date(resp)


@pytest.mark.parametrize("path", ["/", "/c/", "/pic.png"])
async def test_last_modified_on_containers_and_binaries(client: Client, path: str) -> None:
    """Solid Protocol §2.1 HTTP Server: Last-Modified in response to GET and HEAD, on any resource."""
    await make_container(client, "/c/")
    await put_bytes(client, "/pic.png", PNG, "image/png")
    for method in ("GET", "HEAD"):
        resp = await client.request(method, path)
        assert resp.status == 200
        http_date(resp)


@pytest.mark.parametrize("path", ["/doc.ttl", "/c/"])
async def test_negotiated_responses_vary_on_accept(client: Client, path: str) -> None:
    """RFC 9110 §12.5.5 Vary: a representation chosen by Accept lists Accept in Vary."""
    await put_turtle(client, "/doc.ttl", DOC)
    await make_container(client, "/c/")
    resp = await client.get(path)
    assert "accept" in tokens(resp, "Vary")


async def test_container_is_served_as_turtle(client: Client) -> None:
    """Solid Protocol §2.1 HTTP Server: a Content-Type on every message with content."""
    resp = await client.get("/")
    assert media_type(resp) == TURTLE
    await graph_of(resp)


# --- Ranges -----------------------------------------------------------------------------------


async def test_range_request_returns_partial_content(client: Client) -> None:
    """RFC 9110 §14.2 Range, §15.3.7 206: the requested bytes with Content-Range."""
    await put_bytes(client, "/pic.png", PNG, "image/png")
    resp = await client.get("/pic.png", headers={"Range": "bytes=2-5"})
    assert resp.status == 206
    assert resp.headers["Content-Range"] == f"bytes 2-5/{len(PNG)}"
    assert await resp.read() == PNG[2:6]


async def test_suffix_range_returns_the_last_bytes(client: Client) -> None:
    """RFC 9110 §14.1.1: bytes=-N selects the last N bytes."""
    await put_bytes(client, "/pic.png", PNG, "image/png")
    resp = await client.get("/pic.png", headers={"Range": "bytes=-4"})
    assert resp.status == 206
    assert resp.headers["Content-Range"] == f"bytes {len(PNG) - 4}-{len(PNG) - 1}/{len(PNG)}"
    assert await resp.read() == PNG[-4:]


async def test_unsatisfiable_range_is_416(client: Client) -> None:
    """RFC 9110 §15.5.17 416 Range Not Satisfiable: no range overlaps the content."""
    await put_bytes(client, "/pic.png", PNG, "image/png")
    resp = await client.get("/pic.png", headers={"Range": f"bytes={len(PNG) + 10}-{len(PNG) + 20}"})
    assert resp.status == 416


async def test_unsatisfiable_range_reports_the_current_length(client: Client) -> None:
    """RFC 9110 §14.4 Content-Range: a 416 should say bytes */{length}."""
    await put_bytes(client, "/pic.png", PNG, "image/png")
    resp = await client.get("/pic.png", headers={"Range": f"bytes={len(PNG) + 10}-"})
    assert resp.status == 416
    assert resp.headers.get("Content-Range") == f"bytes */{len(PNG)}"
