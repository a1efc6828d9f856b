"""Issue 10: the endpoint is advertised in the storage description, the root's Link header and the profile."""

from __future__ import annotations

from rdflib import Graph, URIRef

from tests.conftest import ClientFactory
from tests.idp_oidc.conftest import create_person

VOID_SPARQL_ENDPOINT = URIRef("http://rdfs.org/ns/void#sparqlEndpoint")


async def test_storage_root_links_its_endpoint(make_client: ClientFactory) -> None:
    client = await make_client()
    resp = await client.head("/")
    endpoint = client.make_url("/.well-known/sparql")
    assert f'<{endpoint}>; rel="http://rdfs.org/ns/void#sparqlEndpoint"' in resp.headers["Link"]
    other = await client.put("/doc.ttl", data=b"", headers={"Content-Type": "text/turtle"})
    assert "sparqlEndpoint" not in other.headers.get("Link", "")  # only on the storage root


async def test_storage_description_names_the_endpoint(make_client: ClientFactory) -> None:
    client = await make_client()
    resp = await client.get("/.well-known/solid", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=await resp.text(), format="turtle", publicID=str(client.make_url("/")))
    root = URIRef(str(client.make_url("/")))
    assert (root, VOID_SPARQL_ENDPOINT, URIRef(str(client.make_url("/.well-known/sparql")))) in graph


async def test_owners_profile_names_the_endpoint_of_their_pod(make_client: ClientFactory) -> None:
    client = await make_client(single_user=False)
    alice = await create_person(client, "alice")
    resp = await client.get("/alice/profile/card", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=await resp.text(), format="turtle", publicID=alice.pod + "profile/card")
    assert (URIRef(alice.pod), VOID_SPARQL_ENDPOINT, URIRef(alice.pod + ".well-known/sparql")) in graph
    query = await client.get("/alice/.well-known/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert query.status == 200  # the profile is public: the public's dataset is not empty
    assert (await query.json())["boolean"] is True


async def test_no_endpoint_where_there_is_no_storage(make_client: ClientFactory) -> None:
    """Multi-user mode: the root is no storage, and `/x/` is none unless it is a pod: there the path is an
    ordinary one, which WAC guards before saying whether anything is there (401 for the public)."""
    client = await make_client(single_user=False)
    assert (await client.get("/.well-known/sparql", params={"query": "ASK {}"})).status == 404
    assert (await client.get("/nobody/.well-known/sparql", params={"query": "ASK {}"})).status == 401
