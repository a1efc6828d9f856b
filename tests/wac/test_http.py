"""Web Access Control over HTTP: 401/403/404, WAC-Allow, ACL writes, origins, as a client sees them.

The server serves one open storage at the root (single-user mode before its first account), so each
test writes an ACL that restricts one container and checks what a client is allowed there:
anonymously, or as an authenticated agent. Agents authenticate for real (Solid-OIDC): their WebID
profiles and their OpenID provider are a second server (tests/auth/conftest.py's), whose tokens and
DPoP proofs are signed with joserfc and checked by the pod server as any other issuer's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from rdf_helpers import ACL, TURTLE, absolute, graph_of, make_container, tokens
from rdflib import RDF, URIRef

from tests.wac.conftest import Agents

Client = TestClient[Any, Any]

ALICE = "https://alice.example/profile#me"
BOB = "https://bob.example/profile#me"
APP = "https://app.example"
OTHER_APP = "https://other.example"
DOC = '<#it> <http://example.org/ns#name> "a document".\n'

# The container an ACL is for, and everything in it.
HERE_AND_BELOW = "acl:accessTo <./>; acl:default <./>"
PREFIXES = """@prefix acl: <http://www.w3.org/ns/auth/acl#>.
@prefix foaf: <http://xmlns.com/foaf/0.1/>.
"""


def acl(*rules: str) -> str:
    return PREFIXES + "".join(f"<#r{i}> a acl:Authorization; {rule}.\n" for i, rule in enumerate(rules))


async def put_turtle(client: Client, path: str, body: str) -> ClientResponse:
    """PUT Turtle and return the response, whatever its status."""
    return await client.put(path, data=body.encode(), headers={"Content-Type": TURTLE})


def wac_allow(resp: ClientResponse) -> dict[str, set[str]]:
    """WAC §wac-allow HTTP Header: the permission groups and their modes."""
    header = resp.headers.get("WAC-Allow")
    assert header is not None, "no WAC-Allow header"
    groups: dict[str, set[str]] = {}
    for param in header.split(","):
        name, _, value = param.partition("=")
        groups[name.strip().lower()] = set(value.strip().strip('"').split())
    return groups


async def write_acl(client: Client, path: str, body: str) -> None:
    """PUT an ACL document, creating the container it is in first."""
    container = path[: path.rindex("/") + 1]
    if container != "/" and (await client.head(container)).status == 404:
        await make_container(client, container)
    resp = await put_turtle(client, path, body)
    assert resp.status in (201, 204), await resp.text()


async def restrict_private(client: Client, owner: str = ALICE) -> None:
    """`/private/doc` exists; `/private/` and everything in it belongs to `owner` alone."""
    assert (await put_turtle(client, "/private/doc", DOC)).status == 201
    await write_acl(
        client,
        "/private/.acl",
        acl(f"acl:agent <{owner}>; {HERE_AND_BELOW}; acl:mode acl:Read, acl:Write, acl:Control"),
    )


def assert_challenge(resp: ClientResponse) -> None:
    """Solid Protocol §Authorization: a 401 offers DPoP and Bearer."""
    assert resp.status == 401
    challenges = resp.headers.get("WWW-Authenticate", "")
    assert "DPoP" in challenges and "Bearer" in challenges


# --- the root ACL -----------------------------------------------------------------------------------


async def test_the_root_has_an_acl_granting_control_from_the_start(client: Client) -> None:
    """WAC §ACL Resource Representation: the root container's ACL has a representation and grants
    acl:Control.
    """
    resp = await client.get("/.acl", headers={"Accept": TURTLE})
    assert resp.status == 200
    graph = await graph_of(resp)
    root = URIRef(absolute(client, "/"))
    controls = [
        rule
        for rule in graph.subjects(RDF.type, ACL.Authorization)
        if (rule, ACL.mode, ACL.Control) in graph and (rule, ACL.accessTo, root) in graph
    ]
    assert controls


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_wac_allow_on_get_and_head(client: Client, method: str) -> None:
    """WAC §Access Privileges: GET and HEAD responses carry WAC-Allow; the open root allows everything."""
    resp = await client.request(method, "/")
    assert resp.status == 200
    everything = {"read", "write", "append", "control"}
    assert wac_allow(resp) == {"user": everything, "public": everything}


async def test_wac_allow_is_exposed_to_browser_apps(client: Client) -> None:
    """WAC §Access Privileges: with CORS, WAC-Allow is listed in Access-Control-Expose-Headers."""
    resp = await client.get("/", headers={"Origin": APP})
    assert "WAC-Allow" in resp.headers
    assert "wac-allow" in tokens(resp, "Access-Control-Expose-Headers")


async def test_wac_allow_tells_the_public_modes_of_a_resource(client: Client) -> None:
    """WAC §wac-allow HTTP Header: `public` lists what everyone may do; append is implied by write."""
    assert (await put_turtle(client, "/shared/doc", DOC)).status == 201
    await write_acl(
        client,
        "/shared/.acl",
        acl(
            f"acl:agentClass foaf:Agent; {HERE_AND_BELOW}; acl:mode acl:Read",
            f"acl:agent <{ALICE}>; acl:default <./>; acl:mode acl:Write",
        ),
    )
    for method in ("GET", "HEAD"):
        resp = await client.request(method, "/shared/doc")
        assert resp.status == 200
        assert wac_allow(resp) == {"user": {"read"}, "public": {"read"}}


# --- 401, 403, 404 ------------------------------------------------------------------------------------


async def test_anonymous_without_access_gets_401_with_a_challenge(client: Client) -> None:
    """Solid Protocol §Authorization: an unauthenticated request that is not allowed is a 401."""
    await restrict_private(client)
    for method in ("GET", "HEAD", "DELETE"):
        assert_challenge(await client.request(method, "/private/doc"))
    assert_challenge(await put_turtle(client, "/private/doc", DOC))
    assert_challenge(await client.post("/private/", data=DOC, headers={"Content-Type": TURTLE}))


async def test_a_missing_resource_is_401_to_those_who_may_not_read_there(client: Client) -> None:
    """Solid Protocol §Authorization, issue 5: existence does not leak to agents who may not read."""
    await restrict_private(client)
    assert_challenge(await client.get("/private/missing"))
    assert_challenge(await client.get("/private/missing/deeper/"))


async def test_a_missing_resource_is_404_to_readers(client: Client) -> None:
    """RFC 9110 §15.5.5: an agent allowed to read there learns that nothing is there."""
    assert (await client.get("/nothing/here")).status == 404


async def test_the_acl_of_a_missing_resource_is_404_to_controllers(client: Client) -> None:
    """WAC §ACL Resource Representation: an authorized GET of an ACL without a representation is 404."""
    assert (await client.get("/nothing.acl")).status == 404


async def test_an_acl_resource_needs_control(client: Client) -> None:
    """WAC §Reading and Writing Resources: Read and Write on a resource do not open its ACL."""
    assert (await put_turtle(client, "/ro/doc", DOC)).status == 201
    await write_acl(
        client,
        "/ro/.acl",
        acl(f"acl:agentClass foaf:Agent; {HERE_AND_BELOW}; acl:mode acl:Read, acl:Write"),
    )
    assert (await client.get("/ro/doc")).status == 200
    assert_challenge(await client.get("/ro/.acl"))
    assert_challenge(await client.get("/ro/doc.acl"))
    assert_challenge(await put_turtle(client, "/ro/.acl", acl()))


async def test_a_description_resource_follows_its_subject(client: Client) -> None:
    """Solid Protocol §Auxiliary Resources: `.meta` is governed by its subject's rules."""
    assert (await put_turtle(client, "/locked/doc", DOC)).status == 201
    await write_acl(
        client, "/locked/.acl", acl("acl:agentClass foaf:Agent; acl:default <./>; acl:mode acl:Append")
    )
    assert_challenge(await client.get("/locked/doc.meta"))


# --- which modes each method needs --------------------------------------------------------------------


async def test_post_needs_only_append_on_the_container(client: Client) -> None:
    """DESIGN "Creating by PUT or PATCH": POST needs only Append on the container."""
    await write_acl(
        client, "/inbox/.acl", acl("acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Append")
    )
    resp = await client.post("/inbox/", data=DOC, headers={"Content-Type": TURTLE})
    assert resp.status == 201
    assert_challenge(await client.get("/inbox/"))
    assert_challenge(await client.get(urlsplit(resp.headers["Location"]).path))


async def test_put_creating_needs_write_on_the_new_resource(client: Client) -> None:
    """WAC §PUT: creating needs Write on the new resource as well as Append on the container."""
    await write_acl(
        client, "/inbox/.acl", acl("acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Append")
    )
    assert_challenge(await put_turtle(client, "/inbox/new", DOC))


async def test_put_creating_containers_needs_append_on_each(client: Client) -> None:
    """DESIGN "Creating by PUT or PATCH", WAC §Container Permissions: Append on the parent and on each
    container created on the way.
    """
    await write_acl(
        client,
        "/drop/.acl",
        acl(
            "acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Append",
            "acl:agentClass foaf:Agent; acl:default <./>; acl:mode acl:Write",
        ),
    )
    assert (await put_turtle(client, "/drop/a/b/doc", DOC)).status == 201
    await write_acl(
        client, "/shut/.acl", acl("acl:agentClass foaf:Agent; acl:default <./>; acl:mode acl:Write")
    )
    assert_challenge(await put_turtle(client, "/shut/a/doc", DOC))
    assert (await client.get("/shut/a/")).status != 200


async def test_delete_needs_write_on_the_container_too(client: Client) -> None:
    """WAC §Reading and Writing Resources: delete needs Write on the resource and on its container."""
    assert (await put_turtle(client, "/keep/doc", DOC)).status == 201
    await write_acl(
        client,
        "/keep/doc.acl",
        acl("acl:agentClass foaf:Agent; acl:accessTo <doc>; acl:mode acl:Read, acl:Write, acl:Control"),
    )
    await write_acl(
        client,
        "/keep/.acl",
        acl(f"acl:agentClass foaf:Agent; {HERE_AND_BELOW}; acl:mode acl:Read"),
    )
    assert_challenge(await client.delete("/keep/doc"))
    assert (await client.get("/keep/doc")).status == 200


# --- ACL documents that do not parse ----------------------------------------------------------------


async def test_put_of_an_acl_that_does_not_parse_is_400(client: Client) -> None:
    """Issue 5 "Bad input": an ACL that does not parse as RDF is refused, and the old one stays."""
    resp = await put_turtle(client, "/.acl", "<#r> a acl:Authorization; this is not turtle")
    assert resp.status == 400
    assert (await client.get("/")).status == 200


async def test_an_acl_on_disk_that_does_not_parse_denies(
    make_client: Any, storage: str, tmp_path: Path
) -> None:
    """WAC §ACL Resource Representation, issue 5 "Bad input": a broken ACL file denies, never allows."""
    if storage != "file":
        pytest.skip("an ACL broken on disk needs the file store")
    client = await make_client()
    assert (await put_turtle(client, "/broken/doc", DOC)).status == 201
    await write_acl(
        client,
        "/broken/.acl",
        acl(f"acl:agentClass foaf:Agent; {HERE_AND_BELOW}; acl:mode acl:Read, acl:Write"),
    )
    assert (await client.get("/broken/doc")).status == 200
    [acl_file] = (tmp_path / "data" / "broken").glob(".acl*")
    acl_file.write_text("@prefix acl: <http://www.w3.org/ns/auth/acl#>. <#r> a acl:Authorization; oops")
    assert_challenge(await client.get("/broken/doc"))


# --- origins ----------------------------------------------------------------------------------------


async def test_public_modes_pass_any_origin(client: Client) -> None:
    """WAC §Web Origin Authorization: a mode open to all agents needs no acl:origin."""
    resp = await client.get("/", headers={"Origin": OTHER_APP})
    assert resp.status == 200


async def test_an_origin_not_named_is_refused_with_403_even_anonymously(client: Client) -> None:
    """WAC §Web Origin Authorization, DESIGN "Browser origins": acl:origin limits a rule to that origin;
    a refusal because of the origin is a 403 (authenticating would not help) and says so.
    """
    assert (await put_turtle(client, "/app/doc", DOC)).status == 201
    await write_acl(
        client,
        "/app/.acl",
        acl(f"acl:agentClass foaf:Agent; acl:origin <{APP}>; {HERE_AND_BELOW}; acl:mode acl:Read"),
    )
    assert (await client.get("/app/doc")).status == 200
    assert (await client.get("/app/doc", headers={"Origin": APP})).status == 200
    resp = await client.get("/app/doc", headers={"Origin": OTHER_APP})
    assert resp.status == 403
    assert "origin" in (await resp.json())["detail"]


async def test_this_servers_own_origin_passes(client: Client) -> None:
    """WAC §Trusted Origins: the server's own origin is allowed implicitly."""
    assert (await put_turtle(client, "/app/doc", DOC)).status == 201
    await write_acl(
        client,
        "/app/.acl",
        acl(f"acl:agentClass foaf:Agent; acl:origin <{APP}>; {HERE_AND_BELOW}; acl:mode acl:Read"),
    )
    own = absolute(client, "/").rstrip("/")
    assert (await client.get("/app/doc", headers={"Origin": own})).status == 200


# --- authenticated agents (Solid-OIDC) ----------------------------------------------------------------


async def test_an_authenticated_agent_is_recognised(client: Client, agents: Agents) -> None:
    """Solid-OIDC §Resource Access: the ACL names the WebID of the token, and that agent gets in.

    (The tests below rely on authentication working; this one shows it does.)
    """
    await restrict_private(client, agents.alice)
    assert_challenge(await client.get("/private/doc"))
    resp = await client.get(
        "/private/doc", headers=agents.headers(client, agents.alice, "GET", "/private/doc")
    )
    assert resp.status == 200


async def test_an_authenticated_agent_without_access_gets_403(client: Client, agents: Agents) -> None:
    """Solid Protocol §Authorization: an authenticated agent that is not allowed gets 403, not 401."""
    await restrict_private(client, agents.alice)
    for method in ("GET", "HEAD", "DELETE"):
        headers = agents.headers(client, agents.bob, method, "/private/doc")
        resp = await client.request(method, "/private/doc", headers=headers)
        assert resp.status == 403, method
        assert "WWW-Authenticate" not in resp.headers
    headers = agents.headers(client, agents.bob, "PUT", "/private/doc")
    resp = await client.put("/private/doc", data=DOC, headers={**headers, "Content-Type": TURTLE})
    assert resp.status == 403
    assert (
        await client.get("/private/doc", headers=agents.headers(client, agents.alice, "GET", "/private/doc"))
    ).status == 200


async def test_a_missing_resource_is_403_to_an_agent_who_may_not_read_and_404_to_one_who_may(
    client: Client, agents: Agents
) -> None:
    """Issue 5: a missing resource is 404 only to an agent allowed to read there."""
    await restrict_private(client, agents.alice)
    path = "/private/missing"
    bob = await client.get(path, headers=agents.headers(client, agents.bob, "GET", path))
    assert bob.status == 403
    alice = await client.get(path, headers=agents.headers(client, agents.alice, "GET", path))
    assert alice.status == 404


async def test_wac_allow_tells_the_agent_apart_from_the_public(client: Client, agents: Agents) -> None:
    """WAC §wac-allow HTTP Header: `user` is the requesting agent's modes, `public` everyone's."""
    await restrict_private(client, agents.alice)
    for method in ("GET", "HEAD"):
        headers = agents.headers(client, agents.alice, method, "/private/doc")
        resp = await client.request(method, "/private/doc", headers=headers)
        assert resp.status == 200
        assert wac_allow(resp) == {"user": {"read", "write", "append", "control"}, "public": set()}


async def test_an_agent_refused_because_of_the_origin_is_told_it_was_the_origin(
    client: Client, agents: Agents
) -> None:
    """WAC §Access Subject and Origin Rejection Reason: the 403 says the origin, not the agent, is refused."""
    await restrict_private(client, agents.alice)
    headers = {**agents.headers(client, agents.alice, "GET", "/private/doc"), "Origin": OTHER_APP}
    resp = await client.get("/private/doc", headers=headers)
    assert resp.status == 403
    assert OTHER_APP in (await resp.json())["detail"]
    # The same agent, from no browser app or from this server's own origin, is let in.
    own = absolute(client, "/").rstrip("/")
    headers = {**agents.headers(client, agents.alice, "GET", "/private/doc"), "Origin": own}
    assert (await client.get("/private/doc", headers=headers)).status == 200
