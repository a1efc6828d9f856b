"""SPARQL across pods (issue 12): SERVICE from Alice's pod endpoint on server A to Bob's on server B.

Two full servers, as in the other federation tests, plus a few deliberately broken SPARQL
endpoints. Server A allow-lists server B (every endpoint under its base URL) and the broken
ones; SERVICE calls are made by A through its guarded outbound client (pod.sparql.federated).
The identity of the asker goes along only when A's operator allows it *and* the asker sends a
DPoP proof for the call (`SPARQL-Service-DPoP`): a DPoP proof binds method and URL (RFC 9449
§4.3; Solid-OIDC §9.3), so A can only replay what the asker made for that call.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from pod.client.session import SolidSession
from pod.federation.people import Person, create_person
from tests.federation.conftest import PASSWORD, as_person, start_server

FOAF_KNOWS = "http://xmlns.com/foaf/0.1/knows"
LIKES = "http://example.org/likes"
PUBLIC_BOOK = "http://example.org/book/public"
PRIVATE_BOOK = "http://example.org/book/private"
SPARQL_JSON = "application/sparql-results+json"


@dataclass
class Remote:
    """Broken SPARQL endpoints, and what the recording one was sent."""

    base: str
    received: list[tuple[dict[str, str], str]]


async def broken_endpoints(aiohttp_server: Any) -> Remote:
    received: list[tuple[dict[str, str], str]] = []
    empty = {"head": {"vars": ["friend", "book"]}, "results": {"bindings": []}}

    async def record(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.text()))
        return web.json_response(empty, content_type=SPARQL_JSON)

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def fail(request: web.Request) -> web.Response:
        return web.Response(status=500, text="the database is on fire")

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>hello</html>", content_type="text/html")

    async def huge(request: web.Request) -> web.Response:
        rows = [{"book": {"type": "literal", "value": "x" * 1000}}] * 200
        return web.json_response(
            {"head": {"vars": ["book"]}, "results": {"bindings": rows}}, content_type=SPARQL_JSON
        )

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://127.0.0.1:9/sparql")

    async def strange(request: web.Request) -> web.Response:
        # A blank node, and a binding for a variable the pattern does not have.
        row = {
            "book": {"type": "bnode", "value": "b1"},
            "me": {"type": "uri", "value": "http://evil.example/me"},
        }
        body = {"head": {"vars": ["book", "me"]}, "results": {"bindings": [row]}}
        return web.json_response(body, content_type=SPARQL_JSON)

    app = web.Application()
    for name, handler in [
        ("record", record),
        ("hang", hang),
        ("fail", fail),
        ("html", html),
        ("huge", huge),
        ("away", away),
        ("strange", strange),
    ]:
        app.router.add_route("*", f"/{name}", handler)
    server = await aiohttp_server(app)
    return Remote(str(server.make_url("/")), received)


@dataclass
class World:
    a: str
    b: str
    alice: Person
    bob: Person
    remote: Remote

    @property
    def alice_endpoint(self) -> str:
        return self.alice.pod + ".well-known/sparql"

    @property
    def bob_endpoint(self) -> str:
        return self.bob.pod + ".well-known/sparql"


async def public(http: aiohttp.ClientSession, owner: Person, url: str, body: str, *, readers: str) -> None:
    """Write a Turtle document and its ACL: the owner may do everything, `readers` may read."""
    status, _, _ = await as_person(
        http, owner, "PUT", url, body=body.encode(), headers={"Content-Type": "text/turtle"}
    )
    assert status in (201, 205, 204)
    acl = (
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n"
        f"<#owner> a acl:Authorization; acl:agent <{owner.webid}>; acl:accessTo <{url}>;"
        " acl:mode acl:Read, acl:Write, acl:Control.\n"
        f"<#readers> a acl:Authorization; {readers}; acl:accessTo <{url}>; acl:mode acl:Read.\n"
    )
    status, _, _ = await as_person(
        http, owner, "PUT", url + ".acl", body=acl.encode(), headers={"Content-Type": "text/turtle"}
    )
    assert status in (201, 205, 204)


async def start_world(
    aiohttp_server: Any, http: aiohttp.ClientSession, tmp_path: Path, **a_settings: Any
) -> World:
    b, _ = await start_server(aiohttp_server, tmp_path / "b")
    remote = await broken_endpoints(aiohttp_server)
    settings: dict[str, Any] = {
        "sparql_service_allowlist": (b, remote.base),
        "sparql_service_forward_identity": True,
        "sparql_timeout": 2.0,
        "sparql_max_result_bytes": 64 * 1024,
    }
    a, _ = await start_server(aiohttp_server, tmp_path / "a", **(settings | a_settings))
    alice = await create_person(http, a, "alice", PASSWORD)
    bob = await create_person(http, b, "bob", PASSWORD)
    # Alice knows Bob, and lets him read that she does; Bob likes one book publicly, one privately.
    await public(
        http,
        alice,
        alice.pod + "friends.ttl",
        f"<{alice.webid}> <{FOAF_KNOWS}> <{bob.webid}> .",
        readers=f"acl:agent <{bob.webid}>",
    )
    await public(
        http,
        bob,
        bob.pod + "public/books.ttl",
        f"<{bob.webid}> <{LIKES}> <{PUBLIC_BOOK}> .",
        readers="acl:agentClass foaf:Agent",
    )
    status, _, _ = await as_person(
        http,
        bob,
        "PUT",
        bob.pod + "private/books.ttl",
        body=f"<{bob.webid}> <{LIKES}> <{PRIVATE_BOOK}> .".encode(),
        headers={"Content-Type": "text/turtle"},
    )
    assert status == 201
    return World(a, b, alice, bob, remote)


@pytest.fixture
async def world(aiohttp_server: Any, http: aiohttp.ClientSession, tmp_path: Path) -> World:
    return await start_world(aiohttp_server, http, tmp_path)


def books_of_friends(endpoint: str, *, silent: bool = False) -> str:
    return (
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
        f"SELECT ?friend ?book WHERE {{ ?me foaf:knows ?friend . "
        f"SERVICE {'SILENT ' if silent else ''}<{endpoint}> {{ ?friend <{LIKES}> ?book }} }} ORDER BY ?book"
    )


async def ask(
    http: aiohttp.ClientSession,
    endpoint: str,
    query: str,
    *,
    session: SolidSession | None = None,
    proofs_for: tuple[str, ...] = (),
) -> tuple[int, Any]:
    """GET the query from `endpoint` as the session's person (or anonymously); status and JSON body."""
    url = endpoint + "?" + urlencode({"query": query})
    headers = {"Accept": SPARQL_JSON}
    if session is not None:
        headers |= await session.headers("GET", url)
        token = await session.access_token()
        # A proof for each SERVICE call the person wants to make as themselves: POST to that endpoint.
        proofs = [session.key.proof("POST", target, token) for target in proofs_for]
        if proofs:
            headers["SPARQL-Service-DPoP"] = ", ".join(proofs)
    async with http.get(url, headers=headers) as answer:
        return answer.status, await answer.json(content_type=None)


def rows(body: Any) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in row.items()} for row in body["results"]["bindings"]]


async def test_service_joins_a_query_of_alices_pod_with_bobs_public_data(
    http: aiohttp.ClientSession, world: World
) -> None:
    """Issue 12: Alice's endpoint follows SERVICE to Bob's pod endpoint on server B and joins the results."""
    status, body = await ask(
        http, world.alice_endpoint, books_of_friends(world.bob_endpoint), session=world.alice.session(http)
    )
    assert status == 200, body
    assert rows(body) == [{"friend": world.bob.webid, "book": PUBLIC_BOOK}]


async def test_service_calls_are_anonymous_by_default(http: aiohttp.ClientSession, world: World) -> None:
    """Issue 12: Bob asks through Alice's endpoint; the call to his own pod is anonymous: no private book.

    Server A allows forwarding identities, but Bob did not ask for it (no SPARQL-Service-DPoP).
    """
    bob = world.bob.session(http)
    # Bob may read his private book on B himself...
    status, body = await ask(
        http, world.bob_endpoint, f"SELECT ?book WHERE {{ ?s <{LIKES}> ?book }}", session=bob
    )
    assert status == 200 and {row["book"] for row in rows(body)} == {PUBLIC_BOOK, PRIVATE_BOOK}
    # ...but not through Alice's endpoint without asking for it.
    status, body = await ask(http, world.alice_endpoint, books_of_friends(world.bob_endpoint), session=bob)
    assert status == 200, body
    assert rows(body) == [{"friend": world.bob.webid, "book": PUBLIC_BOOK}]


async def test_a_service_call_sends_no_credentials_and_only_the_pattern(
    http: aiohttp.ClientSession, world: World
) -> None:
    """Issue 12 (privacy): the remote gets the SERVICE pattern with the prefixes it uses; no credentials."""
    query = (
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX ex: <http://example.org/>\n"
        "SELECT * WHERE { ?me foaf:knows ?friend . "
        f"SERVICE <{world.remote.base}record> {{ ?friend ex:likes ?book }} }}"
    )
    status, body = await ask(http, world.alice_endpoint, query, session=world.alice.session(http))
    assert status == 200, body
    ((headers, sent),) = world.remote.received
    assert sent == "PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?friend ex:likes ?book }"
    assert not {"authorization", "dpop", "cookie"} & {name.lower() for name in headers}
    assert headers["Content-Type"] == "application/sparql-query"


async def test_with_opt_in_on_both_sides_the_forwarded_identity_sees_what_it_may(
    http: aiohttp.ClientSession, world: World
) -> None:
    """Issue 12: server A allows forwarding and Bob sends a DPoP proof for the call: B answers Bob, as Bob.

    Solid-OIDC §8.1: Bob's token is meant for any Solid server ("solid" audience); RFC 9449 §4.3:
    the proof Bob made for `POST <B's endpoint>` is what lets A use it there, once.
    """
    bob = world.bob.session(http)
    status, body = await ask(
        http,
        world.alice_endpoint,
        books_of_friends(world.bob_endpoint),
        session=bob,
        proofs_for=(world.bob_endpoint,),
    )
    assert status == 200, body
    assert [row["book"] for row in rows(body)] == [PRIVATE_BOOK, PUBLIC_BOOK]
    # Alice forwarding her own identity to B sees only what she may read there: the public book.
    alice = world.alice.session(http)
    status, body = await ask(
        http,
        world.alice_endpoint,
        books_of_friends(world.bob_endpoint),
        session=alice,
        proofs_for=(world.bob_endpoint,),
    )
    assert status == 200, body
    assert [row["book"] for row in rows(body)] == [PUBLIC_BOOK]


async def test_a_proof_for_another_endpoint_or_method_is_refused(
    http: aiohttp.ClientSession, world: World
) -> None:
    """Issue 12: a proof is only forwarded to the call it was made for (RFC 9449 §4.3 (8), (9))."""
    bob = world.bob.session(http)
    query = books_of_friends(world.bob_endpoint)
    status, body = await ask(
        http, world.alice_endpoint, query, session=bob, proofs_for=(world.b + "elsewhere",)
    )
    assert status == 400 and "no SERVICE calls" in body["detail"]
    url = world.alice_endpoint + "?" + urlencode({"query": query})
    token = await bob.access_token()
    headers = await bob.headers("GET", url) | {
        "SPARQL-Service-DPoP": bob.key.proof("GET", world.bob_endpoint, token)
    }
    async with http.get(url, headers=headers) as answer:
        assert answer.status == 400 and "POST" in (await answer.json())["detail"]


async def test_identity_forwarding_needs_the_servers_opt_in_too(
    aiohttp_server: Any, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Issue 12: never by default — on a server that does not allow forwarding, asking for it is a 400."""
    world = await start_world(aiohttp_server, http, tmp_path, sparql_service_forward_identity=False)
    bob = world.bob.session(http)
    status, body = await ask(
        http,
        world.alice_endpoint,
        books_of_friends(world.bob_endpoint),
        session=bob,
        proofs_for=(world.bob_endpoint,),
    )
    assert status == 400 and "does not forward identities" in body["detail"]
    status, body = await ask(http, world.alice_endpoint, books_of_friends(world.bob_endpoint), session=bob)
    assert status == 200 and [row["book"] for row in rows(body)] == [PUBLIC_BOOK]


async def test_a_service_to_an_endpoint_not_on_the_allow_list_is_refused(
    http: aiohttp.ClientSession, world: World
) -> None:
    """Issue 12: SERVICE to anything but the allow-list is a 400 with the reason; nothing is fetched."""
    for endpoint in (
        "http://169.254.169.254/latest/",
        world.a + "alice/.well-known/sparql",
        "http://127.0.0.1:1/",
    ):
        status, body = await ask(http, world.alice_endpoint, books_of_friends(endpoint))
        assert status == 400, body
        assert "allow-list" in body["detail"]


async def test_the_word_service_in_a_literal_or_an_iri_is_no_service_call(
    http: aiohttp.ClientSession, world: World
) -> None:
    """Issue 12: only real SERVICE clauses of the parsed query count, not the word."""
    for query in (
        'SELECT * WHERE { ?s ?p "the service is good" }',
        "SELECT * WHERE { ?s <http://example.org/service> ?o }",
        f'SELECT * WHERE {{ ?s ?p "SERVICE <{world.remote.base}record> {{ ?a ?b ?c }}" }}',
        "PREFIX service: <http://example.org/service#> SELECT ?service WHERE { ?service a service:Desk }",
    ):
        status, body = await ask(http, world.alice_endpoint, query)
        assert status == 200, (query, body)
    assert world.remote.received == []


async def test_a_hanging_endpoint_is_a_504_within_the_query_time_limit(
    http: aiohttp.ClientSession, world: World
) -> None:
    """Issue 12, bad input "remote servers that are slow or hang": 504 at the query's limit, never stuck."""
    started = time.monotonic()
    status, body = await ask(http, world.alice_endpoint, books_of_friends(world.remote.base + "hang"))
    assert status == 504, body
    assert "did not answer" in body["detail"]
    assert time.monotonic() - started < 4  # the limit is 2 s
    # The server answers the next query as ever.
    status, _ = await ask(http, world.alice_endpoint, "ASK { ?s ?p ?o }")
    assert status == 200


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("fail", "answered 500"),
        ("html", "text/html, not SPARQL results"),
        ("huge", "larger than 65536 bytes"),
        ("away", "not allowed"),
    ],
)
async def test_a_failing_endpoint_is_a_502_with_the_reason(
    http: aiohttp.ClientSession, world: World, path: str, reason: str
) -> None:
    """Issue 12: 5xx, answers that are no SPARQL results or over the size cap, redirects off the list: 502."""
    status, body = await ask(
        http,
        world.alice_endpoint,
        books_of_friends(world.remote.base + path),
        session=world.alice.session(http),
    )
    assert status == 502, body
    assert reason in body["detail"]


@pytest.mark.parametrize("path", ["fail", "hang", "away"])
async def test_service_silent_turns_a_failure_into_one_empty_solution(
    http: aiohttp.ClientSession, world: World, path: str
) -> None:
    """SPARQL 1.1 Federated Query, "Service Execution Failure": SILENT makes a failure one empty solution."""
    query = books_of_friends(world.remote.base + path, silent=True)
    status, body = await ask(http, world.alice_endpoint, query, session=world.alice.session(http))
    assert status == 200, body
    assert rows(body) == [{"friend": world.bob.webid}]


async def test_a_remote_answer_binds_only_its_own_variables_and_blank_nodes_become_iris(
    http: aiohttp.ClientSession, world: World
) -> None:
    """Issue 12: a remote endpoint cannot bind the local query's other variables; RDF 1.1 §3.5 skolem IRIs."""
    query = (
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
        "SELECT ?me ?book WHERE { ?me foaf:knows ?friend . "
        f"SERVICE <{world.remote.base}strange> {{ ?x <{LIKES}> ?book }} }}"
    )
    status, body = await ask(http, world.alice_endpoint, query, session=world.alice.session(http))
    assert status == 200, body
    (row,) = body["results"]["bindings"]
    assert row["me"]["value"] == world.alice.webid
    assert row["book"]["type"] == "uri" and row["book"]["value"].startswith(world.a + ".well-known/genid/")


async def test_service_works_in_construct_and_ask(http: aiohttp.ClientSession, world: World) -> None:
    query = f"ASK {{ SERVICE <{world.bob_endpoint}> {{ ?s <{LIKES}> <{PUBLIC_BOOK}> }} }}"
    status, body = await ask(http, world.alice_endpoint, query)
    assert status == 200 and body["boolean"] is True
    construct = (
        f"CONSTRUCT {{ ?s <{LIKES}> ?o }} WHERE {{ SERVICE <{world.bob_endpoint}> {{ ?s <{LIKES}> ?o }} }}"
    )
    url = world.alice_endpoint + "?" + urlencode({"query": construct})
    async with http.get(url, headers={"Accept": "application/n-triples"}) as answer:
        assert answer.status == 200
        assert f"<{world.bob.webid}> <{LIKES}> <{PUBLIC_BOOK}> ." in await answer.text()


def test_the_settings_read_the_allow_list_and_the_opt_in() -> None:
    """Issue 12: the allow-list and the forwarding opt-in are settings like the others (pod.config)."""
    from pod.config import settings_from

    settings = settings_from(
        {},
        {
            "POD_SPARQL_SERVICE_ALLOWLIST": "https://a.example/sparql https://b.example/",
            "POD_SPARQL_SERVICE_FORWARD_IDENTITY": "yes",
        },
    )
    assert settings.sparql_service_allowlist == ("https://a.example/sparql", "https://b.example/")
    assert settings.sparql_service_forward_identity is True
    assert settings_from({}, {}).sparql_service_forward_identity is False
