"""Writing and deleting resources over HTTP: PUT, POST and DELETE on documents, binaries and
containers.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from rdf_helpers import (
    LDP,
    TURTLE,
    absolute,
    assert_isomorphic,
    aux_body,
    contained,
    graph_of,
    link_targets,
    make_container,
    media_type,
    open_acl,
    put_bytes,
    put_turtle,
    tokens,
    turtle_graph,
)

from pod.rdf import formats

Client = TestClient[Any, Any]

DOC = """@prefix ex: <http://example.org/ns#>.
<#me> ex:name "Alice"; ex:knows <other.ttl#bob>.
"""
OTHER = """@prefix ex: <http://example.org/ns#>.
<#me> ex:name "Bob".
"""
BASIC_CONTAINER = f'<{LDP.BasicContainer}>; rel="type"'


def location(resp: ClientResponse) -> str:
    """The absolute URL in a response's Location header."""
    value = resp.headers.get("Location")
    assert value, "no Location header"
    return urljoin(str(resp.url), value)


def path_of(url: str) -> str:
    return urlsplit(url).path


async def post_turtle(
    client: Client, container: str, body: str, headers: dict[str, str] | None = None
) -> ClientResponse:
    return await client.post(
        container, data=body.encode(), headers={"Content-Type": TURTLE, **(headers or {})}
    )


# --- PUT ---------------------------------------------------------------------------------------


async def test_put_creates_rdf_document_with_201(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: PUT assigns the URI; RFC 9110 §9.3.4: creation is 201."""
    resp = await client.put("/doc.ttl", data=DOC.encode(), headers={"Content-Type": TURTLE})
    assert resp.status == 201
    got = await client.get("/doc.ttl")
    assert got.status == 200
    assert_isomorphic(await graph_of(got), turtle_graph(DOC, absolute(client, "/doc.ttl")))


async def test_put_replaces_existing_document(client: Client) -> None:
    """RFC 9110 §9.3.4 PUT: replacing a current representation is 200 or 204."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.put("/doc.ttl", data=OTHER.encode(), headers={"Content-Type": TURTLE})
    assert resp.status in (200, 204)
    got = await client.get("/doc.ttl")
    assert_isomorphic(await graph_of(got), turtle_graph(OTHER, absolute(client, "/doc.ttl")))


async def test_put_creates_intermediate_containers(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: PUT creates intermediate containers."""
    resp = await client.put("/a/b/c.ttl", data=DOC.encode(), headers={"Content-Type": TURTLE})
    assert resp.status == 201
    for container in ("/a/", "/a/b/"):
        got = await client.get(container)
        assert got.status == 200, container
        assert str(LDP.BasicContainer) in link_targets(got, "type")


async def test_intermediate_containers_are_listed_in_their_parents(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: intermediate containers get containment triples."""
    await put_turtle(client, "/a/b/c.ttl", DOC)
    assert absolute(client, "/a/") in await contained(client, "/")
    assert await contained(client, "/a/") == {absolute(client, "/a/b/")}
    assert await contained(client, "/a/b/") == {absolute(client, "/a/b/c.ttl")}


async def test_put_new_document_is_listed_in_its_container(client: Client) -> None:
    """Solid Protocol §4.2 Resource Containment: no orphan resources."""
    await put_turtle(client, "/doc.ttl", DOC)
    assert absolute(client, "/doc.ttl") in await contained(client, "/")


async def test_put_to_new_slash_url_creates_a_container(client: Client) -> None:
    """Solid Protocol §3.1 URI Slash Semantics: a path ending in / denotes a container."""
    resp = await client.put("/newc/", data=b"", headers={"Content-Type": TURTLE})
    assert resp.status == 201
    got = await client.get("/newc/")
    assert got.status == 200
    assert str(LDP.BasicContainer) in link_targets(got, "type")
    assert absolute(client, "/newc/") in await contained(client, "/")


async def test_put_non_rdf_is_stored_byte_for_byte(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: a non-RDF resource keeps its bytes and media type."""
    body = bytes(range(256)) * 3 + b"\x00\xff\r\n"
    resp = await client.put("/blob.png", data=body, headers={"Content-Type": "image/png"})
    assert resp.status == 201
    got = await client.get("/blob.png")
    assert got.status == 200
    assert media_type(got) == "image/png"
    assert await got.read() == body


async def test_put_replaces_non_rdf_bytes(client: Client) -> None:
    """RFC 9110 §9.3.4 PUT: the new representation replaces the old one entirely."""
    await put_bytes(client, "/notes.txt", b"a much longer first version\n", "text/plain")
    resp = await client.put("/notes.txt", data=b"short", headers={"Content-Type": "text/plain"})
    assert resp.status in (200, 204)
    assert await (await client.get("/notes.txt")).read() == b"short"


async def test_put_empty_non_rdf_resource(client: Client) -> None:
    """RFC 9110 §9.3.4 PUT: an empty representation is still a representation."""
    resp = await client.put("/empty.txt", data=b"", headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    got = await client.get("/empty.txt")
    assert got.status == 200
    assert await got.read() == b""


async def test_put_cannot_create_document_under_a_document(client: Client) -> None:
    """Solid Protocol §3.1 URI Slash Semantics: /a/b needs container /a/, which cannot exist beside
    document /a.
    """
    await put_bytes(client, "/a", b"plain", "text/plain")
    resp = await client.put("/a/b", data=b"x", headers={"Content-Type": "text/plain"})
    assert resp.status == 409
    assert (await client.get("/a/b")).status == 404
    assert await (await client.get("/a")).read() == b"plain"


async def test_put_document_where_container_of_same_name_exists_is_409(client: Client) -> None:
    """Solid Protocol §3.1 URI Slash Semantics: /a and /a/ cannot both correspond to resources."""
    await make_container(client, "/a/")
    resp = await client.put("/a", data=b"x", headers={"Content-Type": "text/plain"})
    assert resp.status == 409
    assert (await client.get("/a", allow_redirects=False)).status in (404, 301, 308)


async def test_put_container_where_document_of_same_name_exists_is_409(client: Client) -> None:
    """Solid Protocol §3.1 URI Slash Semantics: /a/ cannot be created while /a is a document."""
    await put_bytes(client, "/a", b"plain", "text/plain")
    resp = await client.put("/a/", data=b"", headers={"Content-Type": TURTLE})
    assert resp.status == 409
    assert (await client.get("/a/", allow_redirects=False)).status in (404, 301, 308)


async def test_put_through_a_document_deeper_down_is_409(client: Client) -> None:
    """Solid Protocol §3.1 URI Slash Semantics: no intermediate container may shadow a document."""
    await put_bytes(client, "/a", b"plain", "text/plain")
    resp = await client.put("/a/b/c.ttl", data=DOC.encode(), headers={"Content-Type": TURTLE})
    assert resp.status == 409
    assert await (await client.get("/a")).read() == b"plain"


async def test_document_without_slash_is_not_served_at_slash_url(client: Client) -> None:
    """Solid Protocol §3.1 URI Slash Semantics: the slash variant is not another resource (404 or a
    redirect).
    """
    await put_turtle(client, "/doc", DOC)
    resp = await client.get("/doc/", allow_redirects=False)
    assert resp.status in (404, 301, 308)


# --- POST --------------------------------------------------------------------------------------


async def test_post_creates_resource_in_container(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: POST to a container creates /{container}/{id}."""
    await make_container(client, "/c/")
    resp = await post_turtle(client, "/c/", DOC)
    assert resp.status == 201
    new = location(resp)
    assert new.startswith(absolute(client, "/c/"))
    rest = new[len(absolute(client, "/c/")) :]
    assert rest and "/" not in rest
    got = await client.get(path_of(new))
    assert got.status == 200
    assert_isomorphic(await graph_of(got), turtle_graph(DOC, new))


async def test_post_created_resource_is_listed_in_container(client: Client) -> None:
    """Solid Protocol §4.2 Resource Containment: the new resource gets a containment triple."""
    await make_container(client, "/c/")
    resp = await post_turtle(client, "/c/", DOC)
    assert await contained(client, "/c/") == {location(resp)}


async def test_post_honours_slug(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources, RFC 5023 §9.7 Slug: the name suggested by the client
    is used.
    """
    await make_container(client, "/c/")
    resp = await post_turtle(client, "/c/", DOC, {"Slug": "alice"})
    assert resp.status == 201
    assert path_of(location(resp)).startswith("/c/alice")


async def test_post_never_overwrites(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: POST creates a new resource, never replaces one."""
    await make_container(client, "/c/")
    first = await post_turtle(client, "/c/", DOC, {"Slug": "same"})
    second = await post_turtle(client, "/c/", OTHER, {"Slug": "same"})
    assert first.status == second.status == 201
    assert location(first) != location(second)
    got = await client.get(path_of(location(first)))
    assert_isomorphic(await graph_of(got), turtle_graph(DOC, location(first)))


async def test_post_slug_of_existing_put_resource_does_not_overwrite(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: a Slug naming an existing resource gets another name."""
    await put_turtle(client, "/c/taken", DOC)
    resp = await post_turtle(client, "/c/", OTHER, {"Slug": "taken"})
    assert resp.status == 201
    assert location(resp) != absolute(client, "/c/taken")
    got = await client.get("/c/taken")
    assert_isomorphic(await graph_of(got), turtle_graph(DOC, absolute(client, "/c/taken")))


async def test_post_with_basic_container_link_creates_container(client: Client) -> None:
    """LDP §5.2.3.4, Solid Protocol §5.3: Link rel="type" ldp:BasicContainer on POST creates a
    container.
    """
    await make_container(client, "/c/")
    resp = await client.post(
        "/c/",
        data=b"",
        headers={"Content-Type": TURTLE, "Link": BASIC_CONTAINER, "Slug": "sub"},
    )
    assert resp.status == 201
    new = location(resp)
    assert new.endswith("/")
    got = await client.get(path_of(new))
    assert got.status == 200
    assert str(LDP.BasicContainer) in link_targets(got, "type")
    assert new in await contained(client, "/c/")


async def test_post_non_rdf_resource(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: POST creates non-RDF resources too, kept byte for
    byte.
    """
    await make_container(client, "/c/")
    body = b"\x89PNG\r\n\x1a\n\x00\x01\x02"
    resp = await client.post("/c/", data=body, headers={"Content-Type": "image/png"})
    assert resp.status == 201
    got = await client.get(path_of(location(resp)))
    assert media_type(got) == "image/png"
    assert await got.read() == body


async def test_post_to_root_creates_resource_in_root(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: POST to / creates /{id}."""
    resp = await post_turtle(client, "/", DOC)
    assert resp.status == 201
    rest = path_of(location(resp))[1:]
    assert rest and "/" not in rest


async def test_post_to_missing_container_is_404(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: POST to a resource without a representation is 404."""
    resp = await post_turtle(client, "/missing/", DOC)
    assert resp.status == 404
    assert (await client.get("/missing/")).status == 404


async def test_post_to_document_is_405(client: Client) -> None:
    """Solid Protocol §5 Reading and Writing Resources: POST is not supported by a document, so 405."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await post_turtle(client, "/doc.ttl", OTHER)
    assert resp.status == 405
    assert "post" not in tokens(resp, "Allow")
    got = await client.get("/doc.ttl")
    assert_isomorphic(await graph_of(got), turtle_graph(DOC, absolute(client, "/doc.ttl")))


# --- DELETE ------------------------------------------------------------------------------------


async def test_delete_document(client: Client) -> None:
    """Solid Protocol §5.4 Deleting Resources: DELETE removes the resource; GET is then 404."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.delete("/doc.ttl")
    assert resp.status in (200, 204)
    assert (await client.get("/doc.ttl")).status == 404


async def test_deleted_document_leaves_parent_containment(client: Client) -> None:
    """Solid Protocol §5.4 Deleting Resources: the containment triple is removed too."""
    await put_turtle(client, "/c/doc.ttl", DOC)
    await put_turtle(client, "/c/keep.ttl", DOC)
    await client.delete("/c/doc.ttl")
    assert await contained(client, "/c/") == {absolute(client, "/c/keep.ttl")}


async def test_delete_non_rdf_resource(client: Client) -> None:
    """Solid Protocol §5.4 Deleting Resources: binaries are deleted like any resource."""
    await put_bytes(client, "/pic.png", b"\x89PNG", "image/png")
    resp = await client.delete("/pic.png")
    assert resp.status in (200, 204)
    assert (await client.get("/pic.png")).status == 404


async def test_delete_missing_resource_is_404(client: Client) -> None:
    """RFC 9110 §15.5.5: there is nothing to delete."""
    resp = await client.delete("/nothing.ttl")
    assert resp.status == 404


async def test_delete_empty_container(client: Client) -> None:
    """Solid Protocol §5.4 Deleting Resources: an empty container MUST be deleted."""
    await make_container(client, "/c/")
    resp = await client.delete("/c/")
    assert resp.status in (200, 204)
    assert (await client.get("/c/")).status == 404
    assert absolute(client, "/c/") not in await contained(client, "/")


async def test_delete_non_empty_container_is_409_with_explanation(client: Client) -> None:
    """Solid Protocol §5.4 Deleting Resources: 409 with a body describing the error."""
    await put_turtle(client, "/c/doc.ttl", DOC)
    resp = await client.delete("/c/")
    assert resp.status == 409
    assert (await resp.text()).strip()
    assert (await client.get("/c/doc.ttl")).status == 200


async def test_container_with_only_auxiliary_resources_is_empty(client: Client) -> None:
    """Solid Protocol §5.4 Deleting Resources: auxiliary resources are not contained, so the
    container can go.
    """
    await make_container(client, "/c/")
    await put_turtle(client, "/c/.meta", "<./> <http://example.org/ns#p> 1.\n")
    resp = await client.delete("/c/")
    assert resp.status in (200, 204)
    assert (await client.get("/c/")).status == 404
    assert (await client.get("/c/.meta")).status == 404


async def test_delete_root_is_405(client: Client) -> None:
    """Solid Protocol §5.4 Deleting Resources: DELETE on the root container is 405."""
    resp = await client.delete("/")
    assert resp.status == 405
    assert "delete" not in tokens(resp, "Allow")
    assert (await client.get("/")).status == 200


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_root_allow_excludes_delete(client: Client, method: str) -> None:
    """Solid Protocol §5.4 Deleting Resources: the root's Allow excludes DELETE."""
    resp = await client.request(method, "/")
    assert resp.status in (200, 204)
    allowed = tokens(resp, "Allow")
    assert "get" in allowed
    assert "delete" not in allowed


async def test_delete_root_acl_is_405(client: Client) -> None:
    """Solid Protocol §5.4 Deleting Resources: DELETE on the root container's ACL resource is 405."""
    resp = await client.delete("/.acl")
    assert resp.status == 405
    assert "delete" not in tokens(resp, "Allow")


@pytest.mark.parametrize("suffix", [".acl", ".meta"])
async def test_deleting_document_deletes_its_auxiliary_resources(client: Client, suffix: str) -> None:
    """Solid Protocol §4.3 Auxiliary Resources, §5.4: deleting a subject deletes its auxiliary
    resources.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    await put_turtle(
        client, "/doc.ttl" + suffix, aux_body(suffix, "doc.ttl", "<doc.ttl> <http://example.org/ns#p> 1.\n")
    )
    resp = await client.delete("/doc.ttl")
    assert resp.status in (200, 204)
    assert (await client.get("/doc.ttl" + suffix)).status == 404


async def test_recreated_document_does_not_inherit_old_auxiliary_resources(client: Client) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: the old .acl and .meta went with the deleted
    subject.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    await put_turtle(client, "/doc.ttl.acl", open_acl("doc.ttl", "<doc.ttl> <http://example.org/ns#p> 1.\n"))
    await put_turtle(client, "/doc.ttl.meta", "<doc.ttl> <http://example.org/ns#p> 2.\n")
    await client.delete("/doc.ttl")
    await put_turtle(client, "/doc.ttl", OTHER)
    assert (await client.get("/doc.ttl.acl")).status == 404
    assert (await client.get("/doc.ttl.meta")).status == 404


@pytest.mark.parametrize("suffix", [".acl", ".meta"])
async def test_deleting_container_deletes_its_auxiliary_resources(client: Client, suffix: str) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: a container's /c/.acl and /c/.meta go with it."""
    await make_container(client, "/c/")
    await put_turtle(client, "/c/" + suffix, aux_body(suffix, "./", "<./> <http://example.org/ns#p> 1.\n"))
    resp = await client.delete("/c/")
    assert resp.status in (200, 204)
    assert (await client.get("/c/" + suffix)).status == 404


async def test_a_body_that_stops_arriving_is_a_408_and_nothing_is_written(make_client: Any) -> None:
    """RFC 9110 §15.5.9: a client that stops sending its body mid-way gets 408 once the body
    timeout passes, and no part of the body is kept (issue 2 "Bad input": never a hang)."""
    client: Client = await make_client(body_timeout=0.3)
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(
        b"PUT /stalled.ttl HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\n"
        b"Content-Length: 100\r\n\r\n<#a> <#b> "
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    writer.close()
    assert status_line.split()[1] == b"408"
    assert (await client.get("/stalled.ttl")).status == 404


# --- large RDF bodies -------------------------------------------------------------------------------


def large_turtle(triples: int) -> str:
    return "@prefix ex: <http://example.org/ns#>.\n" + "".join(
        f'<#item{n}> ex:index {n}; ex:label "item number {n}".\n' for n in range(triples)
    )


async def test_a_large_rdf_body_is_parsed_off_the_event_loop(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESIGN "no blocking work on the event loop": a large Turtle PUT is parsed in a worker thread,
    so that other requests go on meanwhile; it is stored as sent (Solid Protocol §5.3)."""
    on_main: dict[str, bool] = {}  # base IRI → whether its document was parsed on the main thread
    parse = formats.parse

    def recording(data: bytes, media_type: str, base_iri: str) -> formats.Graph:
        on_main[base_iri] = threading.current_thread() is threading.main_thread()
        return parse(data, media_type, base_iri)

    monkeypatch.setattr(formats, "parse", recording)
    body = large_turtle(2000)
    assert len(body) > formats.PARSED_ON_LOOP_BYTES
    resp = await put_turtle(client, "/large.ttl", body)
    assert resp.status == 201
    assert on_main[absolute(client, "/large.ttl")] is False
    got = await client.get("/large.ttl")
    assert_isomorphic(await graph_of(got), turtle_graph(body, absolute(client, "/large.ttl")))

    assert (await put_turtle(client, "/small.ttl", DOC)).status == 201
    assert on_main[absolute(client, "/small.ttl")] is True  # where it is: a thread would cost more


async def test_a_large_rdf_body_that_does_not_parse_is_400_and_stores_nothing(client: Client) -> None:
    """Issue 4 "bad input": the parse in a worker thread still answers a clear 400, and nothing is kept."""
    body = large_turtle(2000) + "<#broken> ex:index .\n"
    resp = await client.put("/large.ttl", data=body.encode(), headers={"Content-Type": TURTLE})
    assert resp.status == 400
    assert "does not parse" in (await resp.json())["detail"]
    assert (await client.get("/large.ttl")).status == 404
