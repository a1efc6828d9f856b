"""What the shapes tests share: constraining a container, reading a validation report."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from tests.rdf_helpers import TURTLE, absolute, graph_of, link_targets, make_container

Client = TestClient[Any, Any]
SH = Namespace("http://www.w3.org/ns/shacl#")
LDP_CONSTRAINED_BY = "http://www.w3.org/ns/ldp#constrainedBy"
CONSTRAINED_BY_REL = LDP_CONSTRAINED_BY


def shipped(client: Client, name: str) -> str:
    """The URL the server serves one of its shipped shapes documents at."""
    return absolute(client, f"/.shapes/{name}.ttl")


def constraint(client: Client, container: str, *shapes_urls: str) -> str:
    """The Turtle of a container's description that constrains it by `shapes_urls`."""
    subject = absolute(client, container)
    return "".join(f"<{subject}> <{LDP_CONSTRAINED_BY}> <{url}>.\n" for url in shapes_urls)


async def constrain(client: Client, container: str, *shapes_urls: str) -> ClientResponse:
    """Create `container` if needed and PUT its `.meta` with `ldp:constrainedBy` (asserts success)."""
    if (await client.head(container)).status == 404:
        await make_container(client, container)
    resp = await client.put(
        container + ".meta",
        data=constraint(client, container, *shapes_urls),
        headers={"Content-Type": TURTLE},
    )
    assert resp.status in (200, 201, 204, 205), f"{resp.status} {await resp.text()}"
    return resp


async def put(
    client: Client, path: str, body: str, content_type: str = TURTLE, **headers: str
) -> ClientResponse:
    return await client.put(path, data=body.encode(), headers={"Content-Type": content_type, **headers})


async def report_of(resp: ClientResponse) -> Graph:
    """The SHACL validation report a 422 carries, parsed; asserts it says the data does not conform."""
    graph = await graph_of(resp)
    reports = list(graph.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1, graph.serialize(format="turtle")
    assert (reports[0], SH.conforms, Literal(False)) in graph
    assert list(graph.objects(reports[0], SH.result)), "a non-conforming report has results"
    return graph


def constrained_by(resp: ClientResponse) -> set[str]:
    """The targets of the response's `Link: <...>; rel="http://www.w3.org/ns/ldp#constrainedBy"`."""
    return link_targets(resp, CONSTRAINED_BY_REL)


def result_paths(report: Graph) -> set[URIRef]:
    return {o for o in report.objects(None, SH.resultPath) if isinstance(o, URIRef)}
