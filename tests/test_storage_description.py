"""The storage and its description resource (Solid Protocol §4.1 Storage Resource)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from rdf_helpers import (
    LDP,
    PIM,
    RDF_TYPE,
    STORAGE_DESCRIPTION_REL,
    TURTLE,
    assert_isomorphic,
    base_url,
    graph_of,
    http_date,
    link_targets,
    make_container,
    media_type,
    put_bytes,
    put_turtle,
)
from rdflib import URIRef

Client = TestClient[Any, Any]

DESCRIPTION = "/.well-known/solid"


def description_url(client: Client) -> str:
    return base_url(client) + ".well-known/solid"


async def test_storage_description_is_turtle(client: Client) -> None:
    """Solid Protocol §4.1 Storage Resource: the storage description is an RDF document."""
    resp = await client.get(DESCRIPTION)
    assert resp.status == 200
    assert media_type(resp) == TURTLE


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_storage_description_has_last_modified(client: Client, method: str) -> None:
    """Solid Protocol §2.1 HTTP Server: Last-Modified in response to every GET and HEAD."""
    resp = await client.request(method, DESCRIPTION)
    assert resp.status == 200
    http_date(resp)


async def test_storage_description_states_the_storage(client: Client) -> None:
    """Solid Protocol §4.1 Storage Resource: the description says <storage> a pim:Storage."""
    resp = await client.get(DESCRIPTION)
    graph = await graph_of(resp)
    assert (URIRef(base_url(client)), RDF_TYPE, PIM.Storage) in graph


async def test_storage_description_negotiates_json_ld(client: Client) -> None:
    """Solid Protocol §5.5 Resource Representations: RDF resources are available as JSON-LD."""
    turtle = await graph_of(await client.get(DESCRIPTION, headers={"Accept": TURTLE}))
    resp = await client.get(DESCRIPTION, headers={"Accept": "application/ld+json"})
    assert resp.status == 200
    assert media_type(resp) == "application/ld+json"
    assert_isomorphic(await graph_of(resp), turtle)


async def test_storage_description_answers_head(client: Client) -> None:
    """Solid Protocol §5.2 Reading Resources: HEAD is supported wherever GET is."""
    resp = await client.head(DESCRIPTION)
    assert resp.status == 200
    assert await resp.read() == b""


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/c/", "/c/doc.ttl", "/c/pic.png"])
async def test_resources_link_to_the_storage_description(client: Client, method: str, path: str) -> None:
    """Solid Protocol §4.1 Storage Resource: rel=storageDescription on GET, HEAD and OPTIONS."""
    await make_container(client, "/c/")
    await put_turtle(client, "/c/doc.ttl", "<#a> <#b> <#c>.\n")
    await put_bytes(client, "/c/pic.png", b"\x89PNG", "image/png")
    resp = await client.request(method, path)
    assert resp.status in (200, 204)
    assert link_targets(resp, STORAGE_DESCRIPTION_REL) == {description_url(client)}


async def test_storage_description_is_not_contained_in_the_root(client: Client) -> None:
    """Solid Protocol §4.2 Resource Containment: server-provided descriptions are not user
    resources.
    """
    resp = await client.get("/", headers={"Accept": TURTLE})
    graph = await graph_of(resp)
    listed = {str(o) for o in graph.objects(URIRef(base_url(client)), LDP.contains)}
    assert not any(".well-known" in url for url in listed)


async def test_storage_description_cannot_be_overwritten(client: Client) -> None:
    """Solid Protocol §4.1 Storage Resource: the description is the server's; clients cannot replace
    it.
    """
    resp = await client.put(DESCRIPTION, data=b"<#x> <#y> <#z>.", headers={"Content-Type": TURTLE})
    assert 400 <= resp.status < 500
    graph = await graph_of(await client.get(DESCRIPTION))
    assert (URIRef(base_url(client)), RDF_TYPE, PIM.Storage) in graph
