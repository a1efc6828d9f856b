"""CORS (Solid Protocol §8): every origin may send anything and read everything; access control is
WAC's job.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from rdf_helpers import TURTLE, make_container, put_bytes, put_turtle, tokens

Client = TestClient[Any, Any]

ORIGIN = "https://app.example"
DOC = '<#me> <http://example.org/ns#name> "Alice".\n'

# Solid response headers an app needs to read: each one a response carries must be exposed.
SOLID_HEADERS = (
    "Location",
    "Link",
    "ETag",
    "Allow",
    "Accept-Patch",
    "Accept-Post",
    "Accept-Put",
    "WAC-Allow",
    "Content-Range",
    "Updates-Via",
)


def assert_exposes_what_it_sends(resp: ClientResponse) -> None:
    exposed = tokens(resp, "Access-Control-Expose-Headers")
    missing = [h for h in SOLID_HEADERS if h in resp.headers and h.lower() not in exposed]
    assert not missing, f"sent but not exposed: {missing} (exposed: {sorted(exposed)})"


def assert_cors_allows_origin(resp: ClientResponse) -> None:
    assert resp.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert resp.headers.get("Access-Control-Allow-Credentials") == "true"
    assert "origin" in tokens(resp, "Vary")


async def test_response_echoes_the_origin(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: Access-Control-Allow-Origin is the request's Origin."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Origin": ORIGIN})
    assert resp.status == 200
    assert resp.headers.get("Access-Control-Allow-Origin") == ORIGIN


async def test_response_varies_on_origin(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: Origin is listed in Vary."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Origin": ORIGIN})
    assert "origin" in tokens(resp, "Vary")
    assert "accept" in tokens(resp, "Vary")


async def test_response_allows_credentials(client: Client) -> None:
    """Fetch §3.2.3 CORS protocol: credentialed requests need Access-Control-Allow-Credentials:
    true.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Origin": ORIGIN})
    assert resp.headers.get("Access-Control-Allow-Credentials") == "true"


async def test_get_exposes_the_solid_headers(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: all used response headers are listed in
    Access-Control-Expose-Headers.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Origin": ORIGIN})
    for name in ("Link", "ETag", "Allow", "Accept-Patch"):
        assert name in resp.headers, name
    assert_exposes_what_it_sends(resp)


async def test_container_get_exposes_accept_post(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: Accept-Post on containers is readable by apps."""
    await make_container(client, "/c/")
    resp = await client.get("/c/", headers={"Origin": ORIGIN})
    assert "Accept-Post" in resp.headers
    assert_exposes_what_it_sends(resp)


async def test_post_exposes_location(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: an app must be able to read the Location of what it created."""
    await make_container(client, "/c/")
    resp = await client.post("/c/", data=DOC.encode(), headers={"Origin": ORIGIN, "Content-Type": TURTLE})
    assert resp.status == 201
    assert "location" in tokens(resp, "Access-Control-Expose-Headers")
    assert_cors_allows_origin(resp)


async def test_partial_content_exposes_content_range(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: Content-Range of a 206 is readable by apps."""
    await put_bytes(client, "/pic.png", b"0123456789", "image/png")
    resp = await client.get("/pic.png", headers={"Origin": ORIGIN, "Range": "bytes=2-5"})
    assert resp.status == 206
    assert "content-range" in tokens(resp, "Access-Control-Expose-Headers")


async def test_preflight_allows_the_requested_method_and_headers(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: preflights allow any method and any request headers."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.options(
        "/doc.ttl",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, x-custom",
        },
    )
    assert 200 <= resp.status < 300
    assert resp.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert "put" in tokens(resp, "Access-Control-Allow-Methods")
    assert {"content-type", "x-custom"} <= tokens(resp, "Access-Control-Allow-Headers")


async def test_preflight_allows_long_accept_headers(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: servers SHOULD list Accept explicitly in
    Access-Control-Allow-Headers.
    """
    resp = await client.options(
        "/",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept",
        },
    )
    assert 200 <= resp.status < 300
    assert "accept" in tokens(resp, "Access-Control-Allow-Headers")


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "POST"])
async def test_preflight_allows_each_write_method(client: Client, method: str) -> None:
    """Solid Protocol §8.1 CORS Server: CORS never blocks a method; WAC decides."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.options(
        "/doc.ttl", headers={"Origin": ORIGIN, "Access-Control-Request-Method": method}
    )
    assert 200 <= resp.status < 300
    assert method.lower() in tokens(resp, "Access-Control-Allow-Methods")


async def test_preflight_to_a_missing_resource_succeeds(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: blocking is by status code on the real request, never by
    CORS.
    """
    resp = await client.options(
        "/not/yet/created.ttl",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert 200 <= resp.status < 300
    assert resp.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert "put" in tokens(resp, "Access-Control-Allow-Methods")


async def test_not_found_carries_cors_headers(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: apps must be able to read error statuses, so errors have
    CORS headers.
    """
    resp = await client.get("/missing.ttl", headers={"Origin": ORIGIN})
    assert resp.status == 404
    assert_cors_allows_origin(resp)


async def test_method_not_allowed_carries_cors_headers(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: a 405 is readable by the app, with its Allow exposed."""
    resp = await client.delete("/", headers={"Origin": ORIGIN})
    assert resp.status == 405
    assert_cors_allows_origin(resp)
    assert_exposes_what_it_sends(resp)


async def test_conflict_carries_cors_headers(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: a 409 from a write is readable by the app."""
    await put_turtle(client, "/c/doc.ttl", DOC)
    resp = await client.delete("/c/", headers={"Origin": ORIGIN})
    assert resp.status == 409
    assert_cors_allows_origin(resp)


async def test_bad_request_carries_cors_headers(client: Client) -> None:
    """Solid Protocol §8.1 CORS Server: a 400 (bad RDF) is readable by the app."""
    resp = await client.put(
        "/bad.ttl", data=b"<#a> <#b> .", headers={"Origin": ORIGIN, "Content-Type": TURTLE}
    )
    assert resp.status == 400
    assert_cors_allows_origin(resp)
