"""The SPARQL 1.1 Protocol as this endpoint speaks it: operations, result formats, bad input (issue 10)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from rdflib import Graph

from tests.conftest import ClientFactory
from tests.idp_oidc.conftest import Client

ENDPOINT = "/.well-known/sparql"
DOC = b'<#it> a <http://example.org/Note>; <http://example.org/text> "hello" .\n'
SELECT = "SELECT ?s WHERE { ?s a <http://example.org/Note> }"


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    """A single-user server whose root is the pod, open to everyone (no account yet), with one note."""
    client = await make_client()
    answer = await client.put("/note.ttl", data=DOC, headers={"Content-Type": "text/turtle"})
    assert answer.status == 201
    return client


async def problem(resp: Any, status: int) -> str:
    assert resp.status == status, await resp.text()
    detail: str = (await resp.json())["detail"]
    return detail


async def test_query_via_get(client: Client) -> None:
    """SPARQL 1.1 Protocol §2.1.1: query via GET; JSON results when the client does not mind."""
    resp = await client.get(ENDPOINT, params={"query": SELECT})
    assert resp.status == 200
    assert resp.content_type == "application/sparql-results+json"
    assert [b["s"]["value"] for b in (await resp.json())["results"]["bindings"]] == [
        str(client.make_url("/note.ttl#it"))
    ]


async def test_query_via_url_encoded_post(client: Client) -> None:
    """SPARQL 1.1 Protocol §2.1.2: query via URL-encoded POST."""
    resp = await client.post(ENDPOINT, data={"query": SELECT})
    assert resp.status == 200
    assert len((await resp.json())["results"]["bindings"]) == 1


async def test_query_via_post_directly(client: Client) -> None:
    """SPARQL 1.1 Protocol §2.1.3: query via POST directly."""
    resp = await client.post(ENDPOINT, data=SELECT, headers={"Content-Type": "application/sparql-query"})
    assert resp.status == 200
    assert len((await resp.json())["results"]["bindings"]) == 1


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
)
async def test_select_results_by_conneg(client: Client, accept: str) -> None:
    """SPARQL 1.1 Protocol §2.1.6: XML, CSV and TSV results as the Accept header asks."""
    resp = await client.get(ENDPOINT, params={"query": SELECT}, headers={"Accept": accept})
    assert resp.status == 200
    assert resp.content_type == accept
    assert "note.ttl#it" in await resp.text()
    assert "Accept" in resp.headers["Vary"]


async def test_csv_results_have_a_header_row(client: Client) -> None:
    """SPARQL 1.1 Query Results CSV and TSV Formats §2: the variable names, then one row per solution."""
    resp = await client.get(ENDPOINT, params={"query": SELECT}, headers={"Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(await resp.text())))
    assert rows == [["s"], [str(client.make_url("/note.ttl#it"))]]


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")],
)
async def test_construct_by_conneg(client: Client, accept: str, rdflib_format: str) -> None:
    """Issue 10: CONSTRUCT and DESCRIBE as Turtle, JSON-LD and N-Triples."""
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <http://example.org/Note>; ?p ?o }"
    resp = await client.get(ENDPOINT, params={"query": query}, headers={"Accept": accept})
    assert resp.status == 200
    assert resp.content_type == accept
    assert len(Graph().parse(data=await resp.read(), format=rdflib_format)) == 2


async def test_describe_gives_a_graph(client: Client) -> None:
    resp = await client.get(ENDPOINT, params={"query": f"DESCRIBE <{client.make_url('/note.ttl#it')}>"})
    assert resp.status == 200
    assert resp.content_type == "text/turtle"


async def test_ask_as_json(client: Client) -> None:
    resp = await client.get(ENDPOINT, params={"query": "ASK { ?s a <http://example.org/Note> }"})
    assert (await resp.json())["boolean"] is True


async def test_unacceptable_format_is_406(client: Client) -> None:
    resp = await client.get(ENDPOINT, params={"query": SELECT}, headers={"Accept": "text/turtle"})
    assert "SELECT results are served as" in await problem(resp, 406)


async def test_syntax_error_is_400_with_the_parsers_message(client: Client) -> None:
    """Issue 10 "Bad input": a syntax error is a 400 with the parser's message."""
    detail = await problem(await client.get(ENDPOINT, params={"query": "SELECT ?s WHERE { ?s"}), 400)
    assert "does not parse" in detail and "error at" in detail


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://a/s> <http://a/p> <http://a/o> }",
        "PREFIX ex: <http://a/> DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/data.ttl>",
        "# a comment first\nDROP ALL",
    ],
)
async def test_update_operations_are_refused(client: Client, update: str) -> None:
    """Issue 10: updates are refused with a reason: writes go through LDP."""
    detail = await problem(await client.get(ENDPOINT, params={"query": update}), 400)
    assert "read-only" in detail


async def test_update_by_protocol_is_refused(client: Client) -> None:
    """SPARQL 1.1 Protocol §2.2 update operation: neither the update parameter nor its media type."""
    update = "INSERT DATA { <http://a/s> <http://a/p> <http://a/o> }"
    form = await client.post(ENDPOINT, data={"update": update})
    assert "read-only" in await problem(form, 400)
    direct = await client.post(ENDPOINT, data=update, headers={"Content-Type": "application/sparql-update"})
    assert "read-only" in await problem(direct, 400)
    count = await client.get(ENDPOINT, params={"query": "SELECT * WHERE { <http://a/s> ?p ?o }"})
    assert (await count.json())["results"]["bindings"] == []


async def test_service_is_refused(client: Client) -> None:
    """Issue 10: SERVICE to anywhere is refused (no outbound request: SSRF)."""
    query = "SELECT * WHERE { SERVICE <http://169.254.169.254/latest/> { ?s ?p ?o } }"
    assert "SERVICE is refused" in await problem(await client.get(ENDPOINT, params={"query": query}), 400)


@pytest.mark.parametrize(
    "params",
    [{}, {"query": ""}, {"format": "json"}],
)
async def test_missing_or_empty_query_is_400(client: Client, params: dict[str, str]) -> None:
    resp = await client.get(ENDPOINT, params=params)
    assert resp.status == 400


async def test_two_queries_are_400(client: Client) -> None:
    """SPARQL 1.1 Protocol §2.1.1: exactly one query string."""
    resp = await client.get(f"{ENDPOINT}?query=ASK%7B%7D&query=ASK%7B%7D")
    assert "exactly one" in await problem(resp, 400)


async def test_other_post_bodies_are_415(client: Client) -> None:
    resp = await client.post(ENDPOINT, data=SELECT, headers={"Content-Type": "text/plain"})
    assert resp.status == 415


async def test_other_methods_are_405(client: Client) -> None:
    resp = await client.put(ENDPOINT, data=SELECT, headers={"Content-Type": "application/sparql-query"})
    assert resp.status == 405
    assert "POST" in resp.headers["Allow"]
    options = await client.options(ENDPOINT)
    assert options.status == 204 and "GET" in options.headers["Allow"]


async def test_the_endpoint_can_never_be_a_resource(client: Client) -> None:
    """Issue 10: the reserved path cannot collide with a user's resource: writes to it are refused."""
    resp = await client.delete(ENDPOINT)
    assert resp.status == 405
    resp = await client.put("/.well-known/sparql2", data=DOC, headers={"Content-Type": "text/turtle"})
    assert resp.status in (404, 405)


async def test_timeout_stops_the_query_with_503(make_client: ClientFactory) -> None:
    """Issue 10: a query that would run (nearly) forever is stopped at the limit; the next one works."""
    client = await make_client(sparql_timeout=0.5)
    lines = "".join(f'<#s{i}> <http://example.org/p> "{i}" .\n' for i in range(60)).encode()
    await client.put("/many.ttl", data=lines, headers={"Content-Type": "text/turtle"})
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    detail = await problem(await client.get(ENDPOINT, params={"query": endless}), 503)
    assert "limit of 0.5 seconds" in detail
    resp = await client.get(ENDPOINT, params={"query": "ASK { ?s ?p ?o }"})
    assert (await resp.json())["boolean"] is True


async def test_huge_results_are_capped_with_422(make_client: ClientFactory) -> None:
    """Issue 10: a result over the size cap is refused with a reason (and no partial body)."""
    client = await make_client(sparql_max_result_bytes=2000)
    lines = "".join(f'<#s{i}> <http://example.org/p> "{i}" .\n' for i in range(100)).encode()
    await client.put("/many.ttl", data=lines, headers={"Content-Type": "text/turtle"})
    detail = await problem(await client.get(ENDPOINT, params={"query": "SELECT * WHERE { ?s ?p ?o }"}), 422)
    assert "2000 bytes" in detail
    small = await client.get(ENDPOINT, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2"})
    assert small.status == 200


async def test_results_are_not_cached(client: Client) -> None:
    resp = await client.get(ENDPOINT, params={"query": SELECT})
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Authorization" in resp.headers["Vary"]
    json.loads(await resp.text())
