"""PATCH over HTTP: N3 Patch and SPARQL Update on documents, containers and auxiliary resources.

Solid Protocol §5.3.1 "Modifying Resources Using N3 Patches"; the SPARQL Update rules follow what
rdflib.js (SolidOS) expects of a Solid server.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from rdf_helpers import (
    EX,
    LDP,
    TURTLE,
    assert_isomorphic,
    graph_of,
    put_bytes,
    put_turtle,
    tokens,
    turtle_graph,
)
from rdflib import URIRef

Client = TestClient[Any, Any]
N3 = "text/n3"
SPARQL = "application/sparql-update"
PREFIXES = "@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix ex: <http://example.org/ns#>.\n"


def n3_patch(where: str = "", inserts: str = "", deletes: str = "") -> bytes:
    clauses = []
    if where:
        clauses.append(f"solid:where {{ {where} }}")
    if inserts:
        clauses.append(f"solid:inserts {{ {inserts} }}")
    if deletes:
        clauses.append(f"solid:deletes {{ {deletes} }}")
    return (PREFIXES + "_:patch a solid:InsertDeletePatch;\n  " + ";\n  ".join(clauses) + ".").encode()


async def patch(client: Client, path: str, body: bytes | str, content_type: str = N3, **headers: str) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return await client.patch(path, data=data, headers={"Content-Type": content_type, **headers})


async def graph_at(client: Client, path: str) -> Any:
    resp = await client.get(path, headers={"Accept": TURTLE})
    assert resp.status == 200, f"GET {path}: {resp.status}"
    return await graph_of(resp)


def expected(client: Client, path: str, turtle: str) -> Any:
    return turtle_graph("@prefix ex: <http://example.org/ns#>.\n" + turtle, str(client.make_url(path)))


async def test_n3_patch_inserts_into_existing_document(client: Client) -> None:
    """Solid Protocol §5.3.1: insertions are added to the document; 200 or 204 on an existing one."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    resp = await patch(client, "/doc.ttl", n3_patch(inserts="<#a> ex:q 2 ."))
    assert resp.status in (200, 204)
    assert_isomorphic(
        await graph_at(client, "/doc.ttl"), expected(client, "/doc.ttl", "<#a> ex:p 1; ex:q 2 .")
    )


async def test_n3_patch_applies_the_spec_rename_example(client: Client) -> None:
    """Solid Protocol §5.3.1 example: rename Claudia Garcia into Alex Garcia."""
    await put_turtle(
        client,
        "/people.ttl",
        '@prefix ex: <http://www.example.org/terms#>. <#c> ex:familyName "Garcia"; ex:givenName "Claudia".',
    )
    body = """@prefix solid: <http://www.w3.org/ns/solid/terms#>.
@prefix ex: <http://www.example.org/terms#>.
_:rename a solid:InsertDeletePatch;
  solid:where { ?person ex:familyName "Garcia". };
  solid:inserts { ?person ex:givenName "Alex". };
  solid:deletes { ?person ex:givenName "Claudia". }."""
    resp = await patch(client, "/people.ttl", body)
    assert resp.status in (200, 204)
    want = turtle_graph(
        '@prefix ex: <http://www.example.org/terms#>. <#c> ex:familyName "Garcia"; ex:givenName "Alex".',
        str(client.make_url("/people.ttl")),
    )
    assert_isomorphic(await graph_at(client, "/people.ttl"), want)


async def test_n3_patch_creates_missing_document_and_containers(client: Client) -> None:
    """Solid Protocol §5.3: PATCH to a missing resource creates it and its intermediate containers (201)."""
    resp = await patch(client, "/new/deep/doc.ttl", n3_patch(inserts="<#a> ex:p 1 ."))
    assert resp.status == 201
    assert_isomorphic(
        await graph_at(client, "/new/deep/doc.ttl"), expected(client, "/new/deep/doc.ttl", "<#a> ex:p 1 .")
    )
    listing = await graph_at(client, "/new/")
    assert str(client.make_url("/new/deep/")) in {str(o) for o in listing.objects(None, LDP.contains)}


async def test_n3_where_without_match_is_conflict(client: Client) -> None:
    """Solid Protocol §5.3.1: no mapping for ?conditions → 409, and nothing changes."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    resp = await patch(client, "/doc.ttl", n3_patch(where="?x ex:p 2 .", inserts="?x ex:q 3 ."))
    assert resp.status == 409
    assert_isomorphic(await graph_at(client, "/doc.ttl"), expected(client, "/doc.ttl", "<#a> ex:p 1 ."))


async def test_n3_where_with_two_matches_is_conflict(client: Client) -> None:
    """Solid Protocol §5.3.1: several mappings for ?conditions → 409."""
    await put_turtle(
        client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 . <#b> <http://example.org/ns#p> 1 ."
    )
    resp = await patch(client, "/doc.ttl", n3_patch(where="?x ex:p 1 .", inserts="?x ex:q 3 ."))
    assert resp.status == 409


async def test_n3_absent_deletion_is_conflict(client: Client) -> None:
    """Solid Protocol §5.3.1: deleting a triple the document does not have → 409."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    resp = await patch(client, "/doc.ttl", n3_patch(deletes="<#a> ex:p 2 ."))
    assert resp.status == 409


async def test_malformed_n3_patch_is_unprocessable(client: Client) -> None:
    """Solid Protocol §5.3.1: a patch that breaks the constraints (no InsertDeletePatch) → 422."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    body = PREFIXES + "_:p solid:inserts { <#a> ex:q 1 . }."
    resp = await patch(client, "/doc.ttl", body)
    assert resp.status == 422


async def test_n3_syntax_error_is_a_client_error(client: Client) -> None:
    """Bad input: an N3 body that does not parse is a 4xx with a reason, and nothing changes."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    resp = await patch(client, "/doc.ttl", "this is { not n3")
    assert resp.status in (400, 422)
    assert await resp.text()


async def test_a_large_patch_is_parsed_while_other_requests_are_answered(client: Client) -> None:
    """Bad input must never hang the server: a large N3 body (here it fails to parse only at its
    very end, after all the work) is parsed off the event loop, so a GET sent meanwhile is
    answered before the PATCH gets its 400."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    inserts = "".join(f"<#s{n}> ex:p ex:o{n} . " for n in range(60_000))
    body = n3_patch(inserts=inserts)[:-1] + b" this is not n3"
    finished: list[str] = []

    async def send_patch() -> int:
        resp = await patch(client, "/doc.ttl", body)
        finished.append("PATCH")
        return int(resp.status)

    patching = asyncio.create_task(send_patch())
    await asyncio.sleep(0.2)  # the body is sent and being parsed
    resp = await client.get("/doc.ttl", headers={"Accept": TURTLE})
    finished.append("GET")
    assert resp.status == 200
    assert await patching == 400
    assert finished == ["GET", "PATCH"]


async def test_sparql_update_insert_and_delete_data(client: Client) -> None:
    """SPARQL Update PATCH as rdflib.js sends it: DELETE DATA; INSERT DATA in one request."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    body = (
        "DELETE DATA { <#a> <http://example.org/ns#p> 1 . };\n"
        "INSERT DATA { <#a> <http://example.org/ns#p> 2 . }"
    )
    resp = await patch(client, "/doc.ttl", body, SPARQL)
    assert resp.status in (200, 204)
    assert_isomorphic(await graph_at(client, "/doc.ttl"), expected(client, "/doc.ttl", "<#a> ex:p 2 ."))


async def test_sparql_delete_insert_where(client: Client) -> None:
    """SPARQL Update PATCH: DELETE {…} INSERT {…} WHERE {…} on the target document."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    body = (
        "PREFIX ex: <http://example.org/ns#>\nDELETE { ?s ex:p ?o } INSERT { ?s ex:p 5 } WHERE { ?s ex:p ?o }"
    )
    resp = await patch(client, "/doc.ttl", body, SPARQL)
    assert resp.status in (200, 204)
    assert_isomorphic(await graph_at(client, "/doc.ttl"), expected(client, "/doc.ttl", "<#a> ex:p 5 ."))


async def test_sparql_delete_data_of_absent_triple_is_conflict(client: Client) -> None:
    """rdflib.js relies on it: DELETE DATA of a triple the document lacks → 409, nothing changes."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    body = (
        "DELETE DATA { <#a> <http://example.org/ns#p> 9 . };\n"
        "INSERT DATA { <#a> <http://example.org/ns#p> 2 . }"
    )
    resp = await patch(client, "/doc.ttl", body, SPARQL)
    assert resp.status == 409
    assert_isomorphic(await graph_at(client, "/doc.ttl"), expected(client, "/doc.ttl", "<#a> ex:p 1 ."))


async def test_sparql_naming_another_graph_is_refused(client: Client) -> None:
    """A SPARQL PATCH works on its target only: GRAPH, LOAD, CLEAR, DROP, CREATE are refused (4xx)."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    for body in (
        "INSERT DATA { GRAPH <http://example.org/g> { <#a> <http://example.org/ns#p> 2 . } }",
        "LOAD <http://example.org/x>",
        "CLEAR DEFAULT",
        "DROP ALL",
        "CREATE GRAPH <http://example.org/g>",
    ):
        resp = await patch(client, "/doc.ttl", body, SPARQL)
        assert resp.status in (400, 422), body
    assert_isomorphic(await graph_at(client, "/doc.ttl"), expected(client, "/doc.ttl", "<#a> ex:p 1 ."))


async def test_unknown_patch_type_is_415_with_accept_patch(client: Client) -> None:
    """RFC 5789 §2.2: an unsupported patch document format → 415 with Accept-Patch."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    resp = await patch(client, "/doc.ttl", '[{"op": "add"}]', "application/json-patch+json")
    assert resp.status == 415
    assert {"text/n3", "application/sparql-update"} <= tokens(resp, "Accept-Patch")


async def test_patch_on_non_rdf_resource_is_refused(client: Client) -> None:
    """A non-RDF resource cannot be patched as RDF: 415 with a reason, and its bytes stay."""
    await put_bytes(client, "/pic.png", b"\x89PNG....", "image/png")
    resp = await patch(client, "/pic.png", n3_patch(inserts="<#a> ex:p 1 ."))
    assert resp.status in (409, 415)
    assert await (await client.get("/pic.png")).read() == b"\x89PNG...."


async def test_patch_on_container_changes_its_description(client: Client) -> None:
    """Solid Protocol §5.3: a PATCH on a container may change its own description."""
    await client.put("/c/", headers={"Content-Type": TURTLE})
    resp = await patch(client, "/c/", n3_patch(inserts='<> ex:label "box" .'))
    assert resp.status in (200, 204)
    graph = await graph_at(client, "/c/")
    labels = {str(o) for o in graph.objects(URIRef(str(client.make_url("/c/"))), EX.label)}
    assert labels == {"box"}


async def test_patch_cannot_add_containment_triples(client: Client) -> None:
    """Solid Protocol §5.3: containment triples cannot be changed by PATCH → 409."""
    await client.put("/c/", headers={"Content-Type": TURTLE})
    resp = await patch(client, "/c/", n3_patch(inserts="<> <http://www.w3.org/ns/ldp#contains> <x> ."))
    assert resp.status == 409


async def test_patch_works_on_description_and_acl_documents(client: Client) -> None:
    """Solid Protocol §5.3: PUT or PATCH on an auxiliary resource creates or updates it."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    # The ACL keeps the document open (WAC: its own ACL replaces the inherited one).
    rule = (
        "<#open> a <http://www.w3.org/ns/auth/acl#Authorization>;"
        " <http://www.w3.org/ns/auth/acl#agentClass> <http://xmlns.com/foaf/0.1/Agent>;"
        " <http://www.w3.org/ns/auth/acl#accessTo> <doc.ttl>;"
        " <http://www.w3.org/ns/auth/acl#mode> <http://www.w3.org/ns/auth/acl#Control> ."
    )
    for aux, first in (("/doc.ttl.meta", "<#x> ex:p 1 ."), ("/doc.ttl.acl", rule + " <#x> ex:p 1 .")):
        resp = await patch(client, aux, n3_patch(inserts=first))
        assert resp.status == 201, aux
        resp = await patch(client, aux, n3_patch(inserts="<#x> ex:q 2 ."))
        assert resp.status in (200, 204), aux
        assert_isomorphic(await graph_at(client, aux), expected(client, aux, first + " <#x> ex:q 2 ."))


async def test_patch_with_stale_if_match_is_412(client: Client) -> None:
    """RFC 9110 §13.1.1: If-Match with an old ETag → 412, and the patch is not applied."""
    resp = await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    old = (await client.head("/doc.ttl")).headers["ETag"]
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 2 .")
    resp = await patch(client, "/doc.ttl", n3_patch(inserts="<#a> ex:q 3 ."), **{"If-Match": old})
    assert resp.status == 412
    assert_isomorphic(await graph_at(client, "/doc.ttl"), expected(client, "/doc.ttl", "<#a> ex:p 2 ."))


async def test_twenty_concurrent_patches_lose_no_update(client: Client) -> None:
    """No lost updates: 20 clients inserting different triples at once leave all 20."""
    await put_turtle(client, "/doc.ttl", "")
    results = await asyncio.gather(
        *(patch(client, "/doc.ttl", n3_patch(inserts=f"<#a> ex:n {i} .")) for i in range(20))
    )
    assert all(r.status in (200, 204) for r in results)
    graph = await graph_at(client, "/doc.ttl")
    assert len(graph) == 20


async def test_racing_if_match_patches_get_one_success_and_one_412(client: Client) -> None:
    """RFC 9110 §13.1.1 under concurrency: two PATCHes with the same If-Match → one wins, one 412."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#p> 1 .")
    etag = (await client.head("/doc.ttl")).headers["ETag"]
    first, second = await asyncio.gather(
        patch(client, "/doc.ttl", n3_patch(inserts="<#a> ex:q 1 ."), **{"If-Match": etag}),
        patch(client, "/doc.ttl", n3_patch(inserts="<#a> ex:q 2 ."), **{"If-Match": etag}),
    )
    assert sorted([first.status, second.status]) in ([200, 412], [204, 412])


async def test_concurrent_patches_each_get_their_own_outcome(client: Client) -> None:
    """Solid Protocol §5.3.1: a patch whose deletes are not all there is a 409 and changes nothing,
    even when it arrives together with others (which are applied)."""
    await put_turtle(client, "/doc.ttl", "<#a> <http://example.org/ns#keep> 1 .")
    bodies = [n3_patch(inserts=f"<#a> ex:n {i} .") for i in range(6)]
    bodies.insert(3, n3_patch(deletes="<#a> ex:absent 1 ."))
    results = await asyncio.gather(*(patch(client, "/doc.ttl", body) for body in bodies))
    statuses = [r.status for r in results]
    assert statuses[3] == 409
    assert all(status in (200, 204) for i, status in enumerate(statuses) if i != 3)
    assert len(await graph_at(client, "/doc.ttl")) == 7


async def test_concurrent_patches_creating_a_document_one_201(client: Client) -> None:
    """Solid Protocol §5.3.1: a PATCH to a new URL creates it (201); the ones after it update it."""
    results = await asyncio.gather(
        *(patch(client, "/new.ttl", n3_patch(inserts=f"<#a> ex:n {i} .")) for i in range(8))
    )
    assert sorted(r.status for r in results).count(201) == 1
    assert len(await graph_at(client, "/new.ttl")) == 8
