"""Public reads answered again from memory (pod.http.public_reads): never an answer that no longer holds.

The answer to a GET without credentials is remembered while nothing stored changed; each test
first makes the server remember one, then changes something the answer depends on, and checks
that the next answer is the one the server would make afresh.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.wac.conftest import Agents
from tests.wac.test_http import ALICE, APP, HERE_AND_BELOW, OTHER_APP, acl, put_turtle, wac_allow, write_acl

Client = TestClient[Any, Any]

DOC = '<#it> <http://example.org/ns#name> "a document".\n'


async def remembered(client: Client, path: str, **headers: str) -> Any:
    """GET twice (the first answer is remembered, the second given from memory); both must agree."""
    first = await client.get(path, headers=headers)
    second = await client.get(path, headers=headers)
    assert first.status == second.status == 200
    assert await first.read() == await second.read()
    for name in ("ETag", "Last-Modified", "Content-Type", "WAC-Allow", "Link", "Allow", "Vary"):
        assert first.headers.get(name) == second.headers.get(name), name
    return second


async def test_a_document_written_again_is_read_as_it_is_now(client: Client) -> None:
    """Solid Protocol §Resource Representations: a GET after a PUT gives the new representation."""
    assert (await put_turtle(client, "/doc.ttl", DOC)).status == 201
    before = await remembered(client, "/doc.ttl", Accept="text/turtle")
    assert (await put_turtle(client, "/doc.ttl", DOC + "<#it> <#is> <#new>.\n")).status == 204
    after = await client.get("/doc.ttl", headers={"Accept": "text/turtle"})
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "new" in await after.text()


async def test_an_acl_taking_public_read_away_applies_to_the_next_read(client: Client) -> None:
    """WAC §Authorization Evaluation: each request is authorized by the ACL as it is then."""
    assert (await put_turtle(client, "/shared/doc", DOC)).status == 201
    # Anybody may read, and change the ACL (writing an ACL needs Control on what it is for).
    await write_acl(
        client,
        "/shared/.acl",
        acl(f"acl:agentClass foaf:Agent; {HERE_AND_BELOW}; acl:mode acl:Read, acl:Control"),
    )
    await remembered(client, "/shared/doc")
    # Only Alice now.
    await write_acl(
        client, "/shared/.acl", acl(f"acl:agent <{ALICE}>; {HERE_AND_BELOW}; acl:mode acl:Read, acl:Control")
    )
    assert (await client.get("/shared/doc")).status == 401


async def test_each_accept_gets_its_own_answer(client: Client) -> None:
    """Solid Protocol §Content Negotiation: the representation follows the Accept header."""
    assert (await put_turtle(client, "/doc.ttl", DOC)).status == 201
    turtle = await remembered(client, "/doc.ttl", Accept="text/turtle")
    json_ld = await remembered(client, "/doc.ttl", Accept="application/ld+json")
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    assert json_ld.headers["Content-Type"].startswith("application/ld+json")


async def test_each_origin_gets_its_own_answer(client: Client) -> None:
    """WAC §Web Origin Authorization and Solid Protocol §CORS: the origin decides, and is echoed."""
    assert (await put_turtle(client, "/app/doc", DOC)).status == 201
    await write_acl(
        client,
        "/app/.acl",
        acl(f"acl:agentClass foaf:Agent; acl:origin <{APP}>; {HERE_AND_BELOW}; acl:mode acl:Read"),
    )
    allowed = await remembered(client, "/app/doc", Origin=APP)
    assert allowed.headers["Access-Control-Allow-Origin"] == APP
    refused = await client.get("/app/doc", headers={"Origin": OTHER_APP})
    assert refused.status == 403
    assert refused.headers["Access-Control-Allow-Origin"] == OTHER_APP


async def test_an_authenticated_read_is_not_given_the_public_answer(client: Client, agents: Agents) -> None:
    """WAC §wac-allow HTTP Header: `user` is the requesting agent's modes, not the public's."""
    assert (await put_turtle(client, "/shared/doc", DOC)).status == 201
    await write_acl(
        client,
        "/shared/.acl",
        acl(
            f"acl:agentClass foaf:Agent; {HERE_AND_BELOW}; acl:mode acl:Read",
            f"acl:agent <{agents.alice}>; {HERE_AND_BELOW}; acl:mode acl:Read, acl:Write, acl:Control",
        ),
    )
    public = await remembered(client, "/shared/doc")
    assert wac_allow(public) == {"user": {"read"}, "public": {"read"}}
    headers = agents.headers(client, agents.alice, "GET", "/shared/doc")
    alice = await client.get("/shared/doc", headers=headers)
    assert alice.status == 200
    assert wac_allow(alice) == {"user": {"read", "write", "append", "control"}, "public": {"read"}}


async def test_a_conditional_read_is_answered_afresh(client: Client) -> None:
    """RFC 9110 §13.1.2 (Solid Protocol §HTTP Server): If-None-Match with the current tag is 304."""
    assert (await put_turtle(client, "/doc.ttl", DOC)).status == 201
    answer = await remembered(client, "/doc.ttl", Accept="text/turtle")
    again = await client.get(
        "/doc.ttl", headers={"Accept": "text/turtle", "If-None-Match": answer.headers["ETag"]}
    )
    assert again.status == 304


async def test_a_range_is_answered_afresh(client: Client) -> None:
    """RFC 9110 §14.2: a Range request for a document gets 206 and only those bytes."""
    data = bytes(range(256))
    assert (
        await client.put("/blob.bin", data=data, headers={"Content-Type": "application/octet-stream"})
    ).status == 201
    await remembered(client, "/blob.bin")
    part = await client.get("/blob.bin", headers={"Range": "bytes=10-19"})
    assert part.status == 206
    assert await part.read() == data[10:20]
