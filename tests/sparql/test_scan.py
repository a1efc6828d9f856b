"""SERVICE detection (SSRF): every form oxigraph would run is refused; harmless words pass.

Each refused query is first shown to be one oxigraph really runs as a SERVICE call: a SERVICE
to port 1 fails with oxigraph's own "port ... not allowed" error, before any connection is made.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pod.errors import BadRequest
from pod.sparql.scan import check_services, inspect

TARGET = "<http://127.0.0.1:1/>"
CALLS = [
    f"SELECT * WHERE {{ SERVICE {TARGET} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SeRvIcE{TARGET}{{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ ?a ?b ?c .SERVICE {TARGET} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ SERVICE # a comment\n {TARGET} {{ ?s ?p ?o }} }}",
    "PREFIX t: <http://127.0.0.1:1/> SELECT * WHERE { SERVICE t: { ?s ?p ?o } }",
    "PREFIX t: <http://127.0.0.1:1/> SELECT * WHERE { SERVICEt: { ?s ?p ?o } }",
    f"SELECT * WHERE {{ ?a ?b true SERVICE {TARGET} {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ ?a ?b trueSERVICE {TARGET} {{ ?s ?p ?o }} }}",  # no word boundary needed
    f"SELECT * WHERE {{ ?a ?b 1SERVICE {TARGET} {{ ?s ?p ?o }} }}",
    # A tokenizer taking `<'a>` for an IRI would then read the rest as a string: oxigraph does not.
    f"SELECT * WHERE {{ BIND('0' AS ?o) FILTER(?o<'a>' ) SERVICE {TARGET} {{ ?s ?p ?x }} FILTER(''='') }}",
    f'SELECT * WHERE {{ BIND("0" AS ?o) FILTER(STR(?o)<"x>") SERVICE {TARGET} {{ ?s ?p ?x }} }}',
]


def probe_store() -> ox.Store:
    """Triples whose objects are true and 1, so that the patterns before each SERVICE match."""
    store = ox.Store()
    subject, predicate = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b")
    for value in (ox.Literal(True), ox.Literal(1)):
        store.add(ox.Quad(subject, predicate, value, ox.DefaultGraph()))
    return store


@pytest.mark.parametrize("query", CALLS)
def test_every_service_call_oxigraph_makes_is_refused(query: str) -> None:
    with pytest.raises(OSError, match="port 1 is not allowed"):
        list(probe_store().query(query))  # type: ignore[arg-type]
    with pytest.raises(BadRequest, match="SERVICE is refused"):
        check_services(query, ())


@pytest.mark.parametrize(
    "query",
    [
        f"select * where {{ service silent {TARGET} {{ ?s ?p ?o }} }}",  # SILENT hides the failure
        f"SELECT * WHERE {{ SERVICE SILENT{TARGET} {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE {TARGET} {{ ?s ?p ?o }} }} }}",
    ],
)
def test_other_service_calls_are_refused(query: str) -> None:
    with pytest.raises(BadRequest, match="SERVICE is refused"):
        check_services(query, ())


@pytest.mark.parametrize(
    "query",
    [
        "PREFIX schema: <http://schema.org/> SELECT * WHERE { ?s a schema:Service; schema:serviceType ?t }",
        "SELECT * WHERE { ?s a <http://schema.org/Service> }",
        "SELECT ?service WHERE { ?service ?p ?o }",
        'SELECT * WHERE { ?s ?p "customer-service" }',
        "SELECT * WHERE { ?s <http://example.org/services/list> ?o }",
    ],
)
def test_harmless_uses_of_the_word_pass(query: str) -> None:
    check_services(query, ())


def test_allowed_endpoints_may_be_called() -> None:
    """Issue 10: SERVICE is allowed to the endpoints on the allow-list, written as full IRIs."""
    query = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    check_services(query, ("https://query.wikidata.org/sparql",))
    with pytest.raises(BadRequest):
        check_services(
            query.replace("wikidata.org", "wikidata.org.evil"), ("https://query.wikidata.org/sparql",)
        )
    with pytest.raises(BadRequest):
        check_services(
            "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", ("https://query.wikidata.org/sparql",)
        )


@pytest.mark.parametrize(
    ("query", "form", "has_from"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT", False),
        ("PREFIX ex: <http://e/> BASE <http://b/> ASK { ?s ?p ?o }", "ASK", False),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", False),
        ("SELECT * FROM <http://g> WHERE { ?s ?p ?o }", "SELECT", True),
        ("select * from named <http://g> where { graph ?g { ?s ?p ?o } }", "SELECT", True),
        ('SELECT * WHERE { ?s ?p "from" . ?from ?q <http://e/from> }', "SELECT", False),
    ],
)
def test_shape_of_a_query(query: str, form: str, has_from: bool) -> None:
    shape = inspect(query)
    assert (shape.form, shape.has_dataset_clause) == (form, has_from)
