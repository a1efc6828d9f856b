"""Issue 10: a query sees exactly the graphs the agent may read: SPARQLWrapper as owner, friend, public.

The three notes are identical documents that differ only in their ACL (notes/.acl makes the
container public, friends.ttl.acl adds Bob, secret.ttl.acl is Alice's alone), so every
difference between the answers below comes from WAC and nothing else.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from tests.sparql.conftest import EX, NOTE, World, notes_query

PUBLIC, FRIENDS, SECRET = "notes/public.ttl", "notes/friends.ttl", "notes/secret.ttl"


def graphs(world: World, *paths: str) -> list[str]:
    return sorted(world.url(p) for p in paths)


async def test_select_json_gives_each_agent_the_notes_they_may_read(world: World) -> None:
    """Issue 10: one named graph per readable RDF resource, named by its URL."""
    expected = {
        "alice": graphs(world, PUBLIC, FRIENDS, SECRET),
        "bob": graphs(world, PUBLIC, FRIENDS),
        "public": graphs(world, PUBLIC),
    }
    for name, agent in (("alice", world.alice), ("bob", world.bob), ("public", world.public)):
        rows = await agent.select(world.endpoint, notes_query())
        assert [row["g"] for row in rows] == expected[name], name


async def test_counts_see_only_readable_graphs(world: World) -> None:
    """Issue 10: nothing unreadable influences counts (the default graph is the union of readable graphs)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a <{EX}Note> }}"
    counts = [
        int((await a.select(world.endpoint, query))[0]["n"]) for a in (world.alice, world.bob, world.public)
    ]
    assert counts == [3, 2, 1]


async def test_ask_cannot_probe_an_unreadable_graph(world: World) -> None:
    """Issue 10: ASK is no existence test for what the agent cannot read."""
    secret = world.url(SECRET) + "#it"
    query = f"ASK {{ <{secret}> a <{EX}Note> }}"
    assert await world.alice.ask(world.endpoint, query) is True
    assert await world.bob.ask(world.endpoint, query) is False
    assert await world.public.ask(world.endpoint, query) is False


async def test_filter_exists_and_graph_names_cannot_probe_either(world: World) -> None:
    """Issue 10: FILTER EXISTS on a named unreadable graph, and GRAPH ?g enumeration, see nothing of it."""
    exists = (
        f"SELECT ?x WHERE {{ BIND(1 AS ?x) FILTER EXISTS {{ GRAPH <{world.url(SECRET)}> {{ ?s ?p ?o }} }} }}"
    )
    assert await world.alice.select(world.endpoint, exists) == [{"x": "1"}]
    assert await world.bob.select(world.endpoint, exists) == []
    names = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
    bobs = {row["g"] for row in await world.bob.select(world.endpoint, names)}
    assert world.url(FRIENDS) in bobs
    assert world.url(SECRET) not in bobs


async def test_from_and_from_named_cannot_widen_the_dataset(world: World) -> None:
    """Issue 10: FROM / FROM NAMED narrow within the readable graphs; naming another gives no rows."""
    secret = world.url(SECRET)
    from_query = f"SELECT ?s FROM <{secret}> WHERE {{ ?s ?p ?o }}"
    named_query = f"SELECT ?s FROM NAMED <{secret}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert await world.bob.select(world.endpoint, from_query) == []
    assert await world.bob.select(world.endpoint, named_query) == []
    assert len(await world.alice.select(world.endpoint, from_query)) == 1
    # And FROM narrows: only the public note, though Bob may read two.
    narrowed = f"SELECT ?s FROM <{world.url(PUBLIC)}> WHERE {{ ?s a <{EX}Note> }}"
    assert await world.bob.select(world.endpoint, narrowed) == [{"s": world.url(PUBLIC) + "#it"}]


async def test_construct_returns_only_readable_triples(world: World) -> None:
    """Issue 10: CONSTRUCT as Turtle by conneg, built from the readable graphs only."""
    query = f"CONSTRUCT {{ ?s a <{EX}Note> }} WHERE {{ ?s a <{EX}Note> }}"
    graph = Graph().parse(data=await world.bob.construct(world.endpoint, query), format="turtle")
    assert set(graph.subjects()) == {URIRef(world.url(p) + "#it") for p in (PUBLIC, FRIENDS)}


async def test_acl_graphs_need_control_and_meta_graphs_follow_their_subject(world: World) -> None:
    """DESIGN "SPARQL and auxiliary resources": `.acl` graphs only with Control on their subject;
    `.meta` graphs follow their subject's Read."""
    names = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
    alices = {row["g"] for row in await world.alice.select(world.endpoint, names)}
    bobs = {row["g"] for row in await world.bob.select(world.endpoint, names)}
    publics = {row["g"] for row in await world.public.select(world.endpoint, names)}
    friends_acl, friends_meta = world.url(FRIENDS + ".acl"), world.url(FRIENDS + ".meta")
    assert {friends_acl, friends_meta} <= alices
    assert friends_meta in bobs and friends_acl not in bobs  # Bob reads friends.ttl, without Control
    assert friends_meta not in publics
    assert not any(g.endswith(".acl") for g in bobs | publics)


async def test_containers_are_graphs_with_their_containment(world: World) -> None:
    """Issue 10: containers are included with their containment triples, as a GET shows them."""
    notes = world.url("notes/")
    query = f"SELECT ?m WHERE {{ GRAPH <{notes}> {{ <{notes}> <http://www.w3.org/ns/ldp#contains> ?m }} }}"
    members = {row["m"] for row in await world.public.select(world.endpoint, query)}
    assert members == {world.url(p) for p in (PUBLIC, FRIENDS, SECRET)}  # GET notes/ lists all three too


async def test_a_query_after_a_write_sees_it(world: World) -> None:
    """Issue 10: the index is kept current by the write path."""
    await world.public.select(world.endpoint, notes_query())  # the index exists now
    await world.alice.put(world.url("notes/new.ttl"), NOTE)
    rows = await world.public.select(world.endpoint, notes_query())
    assert world.url("notes/new.ttl") in [row["g"] for row in rows]
    await world.alice.delete(world.url("notes/new.ttl"))
    rows = await world.public.select(world.endpoint, notes_query())
    assert world.url("notes/new.ttl") not in [row["g"] for row in rows]


async def test_changing_an_acl_changes_the_dataset_at_once(world: World) -> None:
    """WAC is asked on every query: removing secret.ttl's own ACL makes it inherit the public one."""
    assert [r["g"] for r in await world.public.select(world.endpoint, notes_query())] == graphs(world, PUBLIC)
    await world.alice.delete(world.url(SECRET + ".acl"))
    rows = await world.public.select(world.endpoint, notes_query())
    assert [r["g"] for r in rows] == graphs(world, PUBLIC, SECRET)


async def test_an_agent_who_may_read_nothing_gets_an_empty_dataset(world: World) -> None:
    """Issue 10 "Bad input": no read access anywhere is an empty dataset, not an error and not a leak."""
    for path in ("profile/card", "settings/publicTypeIndex.ttl"):  # the only public documents of a new pod
        owner_only = world.url(path + ".acl")
        await world.alice.put(
            owner_only,
            b"@prefix acl: <http://www.w3.org/ns/auth/acl#>. <#o> a acl:Authorization; acl:agent <"
            + world.url("profile/card#me").encode()
            + b">; acl:accessTo <"
            + world.url(path).encode()
            + b">; acl:mode acl:Read, acl:Write, acl:Control.",
        )
    await world.alice.delete(world.url("notes/.acl"))  # the notes now inherit the pod's: Alice only
    assert await world.public.select(world.endpoint, "SELECT * WHERE { ?s ?p ?o }") == []
    assert await world.public.select(world.endpoint, "SELECT ?g WHERE { GRAPH ?g { } }") == []
    assert await world.public.ask(world.endpoint, "ASK { ?s ?p ?o }") is False


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
async def test_protocol_dataset_parameters_cannot_widen_the_dataset(world: World, parameter: str) -> None:
    """SPARQL 1.1 Protocol §2.1.4: default-graph-uri / named-graph-uri — within the readable graphs too."""
    query = "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    resp = await world.client.session.get(
        world.endpoint,
        params={"query": query, parameter: world.url(SECRET)},
        headers={"Accept": "application/sparql-results+json", **world.bob.headers("GET", world.endpoint)},
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["results"]["bindings"] == []
