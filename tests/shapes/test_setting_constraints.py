"""Setting a constraint: who may (Control), which shapes documents (usable ones), and the members' report."""

from __future__ import annotations

import threading

import pytest
from rdflib import RDFS, URIRef

from pod.app import RESOURCES
from pod.ldp.identifiers import AuxiliaryKind, parse_path
from tests.conftest import ClientFactory
from tests.rdf_helpers import TURTLE, absolute, graph_of
from tests.shapes.documents import CONFORMING, FAILING
from tests.shapes.helpers import (
    SH,
    Client,
    constrain,
    constrained_by,
    constraint,
    put,
    report_of,
    shipped,
)

BOB = "https://bob.example/profile#me"
GOOD = CONFORMING["contact"]["name, mailto and tel"]
NO_NAME = FAILING["contact"]["no name"]
ALL_BUT_CONTROL = "acl:Read, acl:Write, acl:Append"
EVERY_MODE = "acl:Read, acl:Write, acl:Append, acl:Control"


async def grant(client: Client, container: str, modes: str, agent: str = f"acl:agent <{BOB}>") -> None:
    """Write `container`'s ACL straight into the store (as its owner would): `agent` gets `modes`."""
    url = absolute(client, container)
    body = (
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n"
        f"<#it> a acl:Authorization; {agent}; acl:accessTo <{url}>; acl:default <{url}>; acl:mode {modes}."
    )
    store = client.server.app[RESOURCES].store
    await store.write(parse_path(container).auxiliary(AuxiliaryKind.ACL), body.encode(), TURTLE)


async def put_meta(client: Client, container: str, body: str) -> int:
    resp = await client.put(container + ".meta", data=body.encode(), headers={"Content-Type": TURTLE})
    return resp.status


@pytest.fixture
async def as_bob(make_client: ClientFactory) -> Client:
    """Every request is Bob's (the dev-only trusted WebID); `/c/` exists, Bob may not Control it."""
    client = await make_client(trusted_webid=BOB)
    assert (await client.put("/c/", data=b"", headers={"Content-Type": TURTLE})).status == 201
    await grant(client, "/c/", ALL_BUT_CONTROL)
    return client


# --- Control ------------------------------------------------------------------------------------


async def test_setting_a_constraint_needs_control_on_the_container(as_bob: Client) -> None:
    """Issue 11: only someone with Control on the container may set its constraint."""
    assert await put_meta(as_bob, "/c/", constraint(as_bob, "/c/", shipped(as_bob, "contact"))) == 403
    await grant(as_bob, "/c/", EVERY_MODE)
    assert await put_meta(as_bob, "/c/", constraint(as_bob, "/c/", shipped(as_bob, "contact"))) == 201


async def test_other_description_changes_need_only_the_containers_modes(as_bob: Client) -> None:
    """WAC: a `.meta` is written with its subject's modes; only the constraint needs more."""
    assert await put_meta(as_bob, "/c/", '<> <http://purl.org/dc/terms/title> "Contacts".') == 201


async def test_setting_a_constraint_by_patching_the_container_needs_control(as_bob: Client) -> None:
    insert = f"INSERT DATA {{ {constraint(as_bob, '/c/', shipped(as_bob, 'contact'))} }}"
    sparql = {"Content-Type": "application/sparql-update"}
    assert (await as_bob.patch("/c/", data=insert.encode(), headers=sparql)).status == 403
    await grant(as_bob, "/c/", EVERY_MODE)
    assert (await as_bob.patch("/c/", data=insert.encode(), headers=sparql)).status == 204


async def test_changing_or_lifting_a_constraint_needs_control(as_bob: Client) -> None:
    await grant(as_bob, "/c/", EVERY_MODE)
    set_contact = constraint(as_bob, "/c/", shipped(as_bob, "contact"))
    assert await put_meta(as_bob, "/c/", set_contact) == 201
    await grant(as_bob, "/c/", ALL_BUT_CONTROL)
    assert await put_meta(as_bob, "/c/", constraint(as_bob, "/c/", shipped(as_bob, "profile"))) == 403
    assert await put_meta(as_bob, "/c/", '<> <http://purl.org/dc/terms/title> "x".') == 403
    assert (await as_bob.delete("/c/.meta")).status == 403
    # Keeping the constraint as it is, Bob may change the rest of the description.
    titled = set_contact + '<> <http://purl.org/dc/terms/title> "Contacts".'
    assert await put_meta(as_bob, "/c/", titled) in (204, 205)


async def test_an_anonymous_agent_setting_a_constraint_gets_401(make_client: ClientFactory) -> None:
    """Solid Protocol §Authorization: refused and anonymous → 401 with a challenge."""
    client = await make_client()
    await client.put("/c/", data=b"", headers={"Content-Type": TURTLE})
    await grant(client, "/c/", ALL_BUT_CONTROL, agent="acl:agentClass foaf:Agent")
    resp = await client.put(
        "/c/.meta",
        data=constraint(client, "/c/", shipped(client, "contact")).encode(),
        headers={"Content-Type": TURTLE},
    )
    assert resp.status == 401
    assert "WWW-Authenticate" in resp.headers


async def test_the_shapes_document_must_be_readable_by_who_sets_it(as_bob: Client) -> None:
    """A report would otherwise tell Bob what a document he may not read says."""
    await grant(as_bob, "/c/", EVERY_MODE)
    await grant(as_bob, "/", EVERY_MODE, agent="acl:agentClass foaf:Agent")
    await put(as_bob, "/private/shapes.ttl", "<#S> a <http://www.w3.org/ns/shacl#NodeShape>.")
    await grant(as_bob, "/private/", "acl:Read", agent="acl:agent <https://somebody.else/#me>")
    assert (
        await put_meta(as_bob, "/c/", constraint(as_bob, "/c/", absolute(as_bob, "/private/shapes.ttl")))
        == 403
    )


# --- usable shapes documents ----------------------------------------------------------------------

SHAPES_NOT_SHACL = "<#S> <http://example.org/says> 'hello'."
SHAPES_BAD_SHACL = """@prefix sh: <http://www.w3.org/ns/shacl#>.
<#S> a sh:NodeShape; sh:targetClass <http://example.org/T>;
    sh:property [ sh:path <http://example.org/p>; sh:minCount "lots" ]."""


@pytest.mark.parametrize(
    ("where", "body", "content_type"),
    [
        ("https://shapes.elsewhere.example/contact.ttl", None, None),
        ("/shapes/missing.ttl", None, None),
        ("/shapes/plain.txt", "sh:NodeShape, surely", "text/plain"),
        ("/shapes/not-shacl.ttl", SHAPES_NOT_SHACL, TURTLE),
        ("/shapes/bad-shacl.ttl", SHAPES_BAD_SHACL, TURTLE),
        ("/.shapes/no-such-shape.ttl", None, None),
    ],
    ids=["remote", "missing", "not-rdf", "not-shacl", "invalid-shacl", "not-shipped"],
)
async def test_a_constraint_on_an_unusable_shapes_document_is_refused_when_set(
    make_client: ClientFactory, where: str, body: str | None, content_type: str | None
) -> None:
    """Issue 11 "Bad input": 422 with the reason, naming the document (in the text and the Link)."""
    client = await make_client()
    if body is not None and content_type is not None:
        await put(client, where, body, content_type)
    url = where if where.startswith("https:") else absolute(client, where)
    await client.put("/c/", data=b"", headers={"Content-Type": TURTLE})
    resp = await client.put(
        "/c/.meta", data=constraint(client, "/c/", url).encode(), headers={"Content-Type": TURTLE}
    )
    assert resp.status == 422
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert url in (await resp.json())["detail"]
    assert constrained_by(resp) == {url}
    assert (await client.head("/c/.meta")).status == 404


async def test_a_shapes_document_that_breaks_later_fails_closed_with_422(make_client: ClientFactory) -> None:
    """Issue 11: writes fail closed with a 500-free 422 naming the broken shapes document."""
    client = await make_client()
    shapes_url = absolute(client, "/shapes/things.ttl")
    await put(client, "/shapes/things.ttl", "<#S> a <http://www.w3.org/ns/shacl#NodeShape>.")
    await constrain(client, "/things/", shapes_url)
    await put(client, "/shapes/things.ttl", SHAPES_NOT_SHACL)
    resp = await put(client, "/things/a.ttl", "<#a> a <http://example.org/Thing>.")
    assert resp.status == 422
    assert shapes_url in (await resp.json())["detail"]
    assert constrained_by(resp) == {shapes_url}
    assert (await client.delete("/shapes/things.ttl")).status == 204
    assert (await put(client, "/things/a.ttl", "<#a> a <http://example.org/Thing>.")).status == 422


async def test_pathological_shapes_hit_the_time_limit_and_are_named(make_client: ClientFactory) -> None:
    """Issue 11 "Bad input": a validation time limit; the 422 names the shapes document."""
    # Long enough to check the shapes document itself as SHACL when the constraint is set.
    client = await make_client(shapes_time_limit=2.0)
    # A SPARQL constraint joining every triple with every other, five times over.
    shapes = """@prefix sh: <http://www.w3.org/ns/shacl#>.
    <#Slow> a sh:NodeShape; sh:targetSubjectsOf <http://example.org/p>;
      sh:sparql [ sh:select '''SELECT $this WHERE {
          ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o . FILTER(?c = "never") }''' ]."""
    await put(client, "/shapes/slow.ttl", shapes)
    shapes_url = absolute(client, "/shapes/slow.ttl")
    await constrain(client, "/slow/", shapes_url)
    data = "".join(f"<#n{i}> <http://example.org/p> {i}.\n" for i in range(40))
    resp = await put(client, "/slow/a.ttl", data)
    assert resp.status == 422
    detail = (await resp.json())["detail"]
    assert shapes_url in detail and "did not finish" in detail
    assert (await client.head("/slow/a.ttl")).status == 404
    # The validation was stopped, not merely abandoned (it would otherwise run for minutes).
    for thread in threading.enumerate():
        if thread.name == "pod-shapes":
            thread.join(timeout=60)
            assert not thread.is_alive()


async def test_recursive_shapes_are_evaluated_without_failing_the_server(make_client: ClientFactory) -> None:
    """SHACL §3.4.3 leaves recursion undefined; pyshacl stops at it (with a warning): never a 500."""
    client = await make_client()
    shapes = """@prefix sh: <http://www.w3.org/ns/shacl#>. @prefix ex: <http://example.org/>.
    <#A> a sh:NodeShape; sh:targetClass ex:T; sh:property [ sh:path ex:next; sh:node <#A> ]."""
    await put(client, "/shapes/recursive.ttl", shapes)
    await constrain(client, "/loops/", absolute(client, "/shapes/recursive.ttl"))
    cycle = "@prefix ex: <http://example.org/>. <#a> a ex:T; ex:next <#b>. <#b> ex:next <#a>."
    with pytest.warns(Warning):
        assert (await put(client, "/loops/a.ttl", cycle)).status == 201


# --- the members already there --------------------------------------------------------------------


async def test_constraining_a_container_whose_members_fail_says_how_many(make_client: ClientFactory) -> None:
    """Issue 11: allowed, but the response says how many members fail (a report)."""
    client = await make_client()
    await put(client, "/people/ada.ttl", GOOD)
    await put(client, "/people/bob.ttl", NO_NAME)
    await put(client, "/people/carol.ttl", FAILING["contact"]["no contact at all"])
    resp = await client.put(
        "/people/.meta",
        data=constraint(client, "/people/", shipped(client, "contact")).encode(),
        headers={"Content-Type": TURTLE},
    )
    assert resp.status == 201
    assert constrained_by(resp) == {shipped(client, "contact")}
    report = await report_of(resp)
    (comment,) = report.objects(None, RDFS.comment)
    assert str(comment).startswith("2 of 3 members")
    focus = {str(f) for f in report.objects(None, SH.focusNode)}
    assert absolute(client, "/people/bob.ttl#it") in focus
    assert absolute(client, "/people/carol.ttl") in focus
    assert not any(f.startswith(absolute(client, "/people/ada.ttl")) for f in focus)
    # The constraint holds from now on, and the members that fail it stay as they were.
    assert (await put(client, "/people/dan.ttl", NO_NAME)).status == 422
    assert (await client.get("/people/bob.ttl")).status == 200


async def test_constraining_a_container_whose_members_conform_is_a_plain_write(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    await put(client, "/people/ada.ttl", GOOD)
    resp = await constrain(client, "/people/", shipped(client, "contact"))
    assert resp.status == 201
    assert not await resp.read()
    assert constrained_by(resp) == {shipped(client, "contact")}


async def test_the_members_report_follows_content_negotiation(make_client: ClientFactory) -> None:
    client = await make_client()
    await put(client, "/people/bob.ttl", NO_NAME)
    insert = f"INSERT DATA {{ {constraint(client, '/people/', shipped(client, 'contact'))} }}"
    headers = {"Content-Type": "application/sparql-update", "Accept": "application/ld+json"}
    resp = await client.patch("/people/", data=insert.encode(), headers=headers)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/ld+json")
    graph = await graph_of(resp)
    assert (None, SH.conforms, None) in graph
    assert URIRef(absolute(client, "/people/bob.ttl#it")) in set(graph.objects(None, SH.focusNode))
