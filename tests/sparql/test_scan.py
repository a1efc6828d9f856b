"""SERVICE detection (SSRF): every form oxigraph would run is found and refused; harmless words pass.

Issue 12 ("SPARQL across pods"): SERVICE clauses are found on the parsed query (rdflib's SPARQL
grammar, pod.sparql.clauses), not by looking for a word, so "service" inside a literal, an IRI,
a prefixed name or a comment is no call. What that parser cannot read falls back to the old
lexical check, which refuses any "service" that might be the keyword.

Each refused query is first shown to be one oxigraph really runs as a SERVICE call: a SERVICE
to port 1 fails with oxigraph's own "port ... not allowed" error, before any connection is made;
each harmless one is shown to run in oxigraph without calling anything.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pod.errors import BadRequest
from pod.outbound import OutboundClient
from pod.sparql.clauses import find_services
from pod.sparql.federated import Allowlist, RemoteEndpoints, endpoint_url
from pod.sparql.scan import check_services, inspect

BASE = "http://127.0.0.1:3000/alice/"
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
    # Code point escapes (SPARQL 1.1 Query §19.2) in the endpoint IRI.
    "SELECT * WHERE { SERVICE <http://127.0.0.1:\\u0031/> { ?s ?p ?o } }",
    f"SELECT * WHERE {{ {{ SERVICE {TARGET} {{ ?s ?p ?o }} }} UNION {{ ?a ?b ?c }} }}",
]


def probe_store() -> ox.Store:
    """Triples whose objects are true and 1, so that the patterns before each SERVICE match."""
    store = ox.Store()
    subject, predicate = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b")
    for value in (ox.Literal(True), ox.Literal(1)):
        store.add(ox.Quad(subject, predicate, value, ox.DefaultGraph()))
    return store


def endpoints(*allowed: str) -> RemoteEndpoints:
    return RemoteEndpoints(Allowlist(allowed), OutboundClient(), genid_base=BASE + ".well-known/genid/")


def check(query: str, *allowed: str) -> None:
    """What the endpoint does before a query runs: find its SERVICE clauses, check them (400)."""
    endpoints(*allowed).check(find_services(query, BASE))


@pytest.mark.parametrize("query", CALLS)
def test_every_service_call_oxigraph_makes_is_refused(query: str) -> None:
    """Issue 12: a SERVICE to an endpoint that is not allow-listed is a 400, in any spelling."""
    with pytest.raises(OSError, match="port 1 is not allowed"):
        list(probe_store().query(query))  # type: ignore[arg-type]
    with pytest.raises(BadRequest, match="SERVICE is refused"):
        check(query)


@pytest.mark.parametrize(
    "query",
    [
        f"select * where {{ service silent {TARGET} {{ ?s ?p ?o }} }}",  # SILENT hides the failure
        f"SELECT * WHERE {{ SERVICE SILENT{TARGET} {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE {TARGET} {{ ?s ?p ?o }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE {TARGET} {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE {TARGET} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE {TARGET} {{ ?s ?p ?o }} }} }} }}",
    ],
)
def test_other_service_calls_are_refused(query: str) -> None:
    with pytest.raises(BadRequest, match="SERVICE is refused"):
        check(query)


@pytest.mark.parametrize(
    "query",
    [
        "PREFIX schema: <http://schema.org/> SELECT * WHERE { ?s a schema:Service; schema:serviceType ?t }",
        "SELECT * WHERE { ?s a <http://schema.org/Service> }",
        "SELECT ?service WHERE { ?service ?p ?o }",
        'SELECT * WHERE { ?s ?p "customer-service" }',
        "SELECT * WHERE { ?s <http://example.org/services/list> ?o }",
        # Refused by the lexical check that came before the parser: the word, then a blank.
        'SELECT * WHERE { ?s ?p "the service is good" }',
        f'SELECT * WHERE {{ ?s ?p "SERVICE {TARGET} {{ ?s ?p ?o }}" }}',
        f"SELECT * WHERE {{ ?s ?p '''a\nSERVICE {TARGET} {{ ?s ?p ?o }}''' }}",
        f"SELECT * WHERE {{ ?s ?p ?o # SERVICE {TARGET} {{ ?s ?p ?o }}\n }}",
        'SELECT * WHERE { ?s ?p "a service"@en }',
        "PREFIX service: <http://example.org/> SELECT * WHERE { ?s service:p service:service }",
    ],
)
def test_harmless_uses_of_the_word_pass(query: str) -> None:
    """Issue 12: the word "service" inside a literal, an IRI, a name or a comment is no SERVICE clause."""
    list(probe_store().query(query))  # type: ignore[arg-type] # oxigraph calls nothing
    found = find_services(query, BASE)
    assert found.clauses == ()
    check(query)


def test_allowed_endpoints_may_be_called() -> None:
    """Issue 12: SERVICE is allowed to the endpoints on the allow-list, however the query names them."""
    wikidata = "https://query.wikidata.org/sparql"
    query = f"SELECT * WHERE {{ SERVICE <{wikidata}> {{ ?s ?p ?o }} }}"
    check(query, wikidata)
    check(
        "PREFIX wd: <https://query.wikidata.org/> SELECT * WHERE { SERVICE wd:sparql { ?s ?p ?o } }",
        wikidata,
    )
    check(
        "BASE <https://query.wikidata.org/x/> SELECT * WHERE { SERVICE <../sparql> { ?s ?p ?o } }",
        wikidata,
    )
    with pytest.raises(BadRequest):
        check(query.replace("wikidata.org", "wikidata.org.evil"), wikidata)
    with pytest.raises(BadRequest):
        check("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", wikidata)


def test_an_allow_list_entry_ending_in_a_slash_allows_every_endpoint_under_it() -> None:
    """Issue 12: `https://pods.example/` allows each pod's endpoint there; nothing outside it passes."""
    pods = "https://pods.example/"
    check("SELECT * WHERE { SERVICE <https://pods.example/bob/.well-known/sparql> { ?s ?p ?o } }", pods)
    for outside in (
        "https://pods.example.evil/bob/.well-known/sparql",
        "https://pods.example@evil.example/sparql",
        "http://pods.example/bob/.well-known/sparql",
    ):
        with pytest.raises(BadRequest, match="SERVICE is refused"):
            check(f"SELECT * WHERE {{ SERVICE <{outside}> {{ ?s ?p ?o }} }}", pods)
    # Dot segments are resolved before the check (RFC 3986 §6.2.2.3), as the fetch would.
    assert (
        endpoint_url("https://pods.example/bob/../%2e%2e/admin/sparql") == "https://pods.example/admin/sparql"
    )
    with pytest.raises(BadRequest):
        check("SELECT * WHERE { SERVICE <https://pods.example/bob/../../admin> { ?s ?p ?o } }", pods + "bob/")


def test_service_clauses_are_found_where_they_are_with_what_they_ask() -> None:
    """SPARQL 1.1 Federated Query: the endpoint is sent the clause's pattern, with the prefixes it uses."""
    query = (
        "PREFIX ex: <http://example.org/> PREFIX unused: <http://secret.example/>\n"
        'SELECT * WHERE { ?s ?p "service" . SERVICE SILENT ex:sparql { ?s ex:name ?name } }'
    )
    found = find_services(query, BASE)
    (clause,) = found.clauses
    assert found.text[clause.start : clause.end] == "SERVICE SILENT ex:sparql { ?s ex:name ?name }"
    assert (clause.endpoint, clause.silent, clause.variables) == (
        "http://example.org/sparql",
        True,
        ("s", "name"),
    )
    # Only what the pattern needs: no unused prefix, no base (it has no relative IRI).
    assert clause.query == "PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?s ex:name ?name }"


def test_a_service_inside_a_service_is_refused() -> None:
    inner = "SERVICE <https://b.example/sparql> { ?s ?p ?o }"
    query = f"SELECT * WHERE {{ SERVICE <https://a.example/sparql> {{ {inner} }} }}"
    with pytest.raises(BadRequest, match="inside a SERVICE"):
        check(query, "https://a.example/sparql", "https://b.example/sparql")


def test_the_lexical_fallback_refuses_what_might_be_the_keyword() -> None:
    """What the grammar cannot read is checked the old, conservative way."""
    with pytest.raises(BadRequest, match="SERVICE is refused"):
        check_services(f"SELECT * WHERE {{ ?a ?b trueSERVICE {TARGET} {{ ?s ?p ?o }} }}")
    check_services('SELECT * WHERE { ?s ?p "customer-service" }')


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
