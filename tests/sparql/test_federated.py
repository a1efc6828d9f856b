"""Issue 12: how a SERVICE answer takes the clause's place (inline VALUES); the worker's network backstop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pyoxigraph as ox
import pytest
from aiohttp import web

from pod.sparql import wire
from pod.sparql.federated import inline_values
from pod.sparql.process import WorkerProcess

JSON = ox.QueryResultsFormat.JSON
GENID = "http://pod.example/.well-known/genid/call-"
TRICKY = [
    ox.Literal('a "quoted" \\ back\\slash \\u0041 \n new line \t tab'),
    ox.Literal('} SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } "'),
    ox.Literal("été", language="fr"),
    ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal("x", datatype=ox.NamedNode("http://example.org/type")),
    ox.NamedNode("http://example.org/a%20b?c=d#e"),
]


def results(rows: list[dict[str, Any]], variables: list[str]) -> bytes:
    """SPARQL JSON results (as a remote endpoint would answer) for rows of oxigraph terms."""
    store = ox.Store()
    values = " ".join(
        "(" + " ".join(str(row[name]) if name in row else "UNDEF" for name in variables) + ")" for row in rows
    )
    head = " ".join(f"?{name}" for name in variables)
    answer = store.query(f"SELECT * WHERE {{ VALUES ({head}) {{ {values} }} }}")
    assert isinstance(answer, ox.QuerySolutions)
    return bytes(answer.serialize(format=JSON))


def run(values: str) -> list[ox.QuerySolution]:
    answer = ox.Store().query(f"SELECT * WHERE {{ {values} }}")
    assert isinstance(answer, ox.QuerySolutions)
    return list(answer)


@pytest.mark.parametrize("term", TRICKY)
def test_a_remote_term_comes_back_exactly_as_it_was(term: Any) -> None:
    """Nothing in a remote answer can end its term in the inline data, whatever it holds."""
    values = inline_values(results([{"x": term}], ["x"]), JSON, ["x"], GENID)
    (solution,) = run(values)
    assert solution["x"] == term


def test_unbound_values_stay_unbound_and_other_variables_are_dropped() -> None:
    """A remote endpoint binds only its own pattern's variables: ?me is not the pattern's."""
    body = results([{"x": TRICKY[0]}, {"me": ox.NamedNode("http://evil.example/")}], ["x", "me"])
    values = inline_values(body, JSON, ["x", "y"], GENID)
    assert "?me" not in values
    solutions = run(values)
    assert [solution["x"] for solution in solutions] == [TRICKY[0], None]


def test_blank_nodes_become_skolem_iris_one_per_label() -> None:
    """RDF 1.1 Concepts §3.5: VALUES cannot hold blank nodes; each label becomes one IRI minted here."""
    body = (
        b'{"head":{"vars":["a","b"]},"results":{"bindings":['
        b'{"a":{"type":"bnode","value":"r1"},"b":{"type":"bnode","value":"r1"}},'
        b'{"a":{"type":"bnode","value":"r2"}}]}}'
    )
    (first, second) = run(inline_values(body, JSON, ["a", "b"], GENID))
    assert first["a"] == first["b"] == ox.NamedNode(GENID + "r1")
    assert second["a"] == ox.NamedNode(GENID + "r2")


def test_an_empty_answer_is_no_solution_and_no_variables_one_empty_solution() -> None:
    assert run(inline_values(results([], ["x"]), JSON, ["x"], GENID)) == []
    assert (
        len(run(inline_values(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}', JSON, ["x"], GENID))) == 1
    )


def test_answers_that_are_no_solutions_are_refused() -> None:
    with pytest.raises(ValueError, match="ASK"):
        inline_values(b'{"head":{},"boolean":true}', JSON, ["x"], GENID)
    with pytest.raises(SyntaxError):
        inline_values(b"<html>", JSON, ["x"], GENID)


def _worker_leaves_the_network() -> bool:
    probe = "from pod.sparql.worker import leave_network; print(leave_network())"
    return (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "True"
    )


@pytest.mark.skipif(not _worker_leaves_the_network(), reason="no network namespaces for this process here")
async def test_the_worker_cannot_reach_the_network_even_if_oxigraph_were_given_a_service(
    aiohttp_server: Any,
) -> None:
    """Defence in depth: were a SERVICE ever to reach oxigraph, the worker has no network to call it over."""
    calls: list[str] = []

    async def endpoint(request: web.Request) -> web.Response:
        calls.append(request.method)
        return web.json_response({"head": {"vars": []}, "results": {"bindings": [{}]}})

    app = web.Application()
    app.router.add_route("*", "/sparql", endpoint)
    server = await aiohttp_server(app)
    worker = await WorkerProcess.start(None)
    try:
        await worker.call("open", "test")
        job = wire.QueryJob(
            query=f"SELECT * WHERE {{ SERVICE <{server.make_url('/sparql')}> {{ ?s ?p ?o }} }}",
            base_iri="http://pod.example/",
            groups=frozenset(),
            union_default_graph=True,
            default_graphs=None,
            named_graphs=None,
            solutions_type="application/sparql-results+json",
            graph_type=None,
            max_bytes=1 << 20,
        )
        answer = await worker.call("query", job, timeout=10)
    finally:
        await worker.close()
    await asyncio.sleep(0)
    assert isinstance(answer, wire.Failure) and answer.status == 502
    assert calls == []
