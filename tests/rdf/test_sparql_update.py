"""SPARQL Update PATCH: the supported forms, the rejected ones, and dispatch by media type."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from pod.errors import BadRequest, Conflict, UnprocessableContent, UnsupportedMediaType
from pod.rdf.patch import ACCEPT_PATCH, Patch, parse_patch
from pod.wac.modes import AccessMode

BASE = "https://pod.example/people/card"
PREFIXES = """
@prefix ex: <http://www.example.org/terms#>.
@prefix xsd: <http://www.w3.org/2001/XMLSchema#>.
"""
SPARQL_PREFIXES = """
PREFIX ex: <http://www.example.org/terms#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
CLAUDIA = '<#me> ex:familyName "Garcia"; ex:givenName "Claudia".'


def update(text: str, *, prefixes: bool = True) -> Patch:
    body = (SPARQL_PREFIXES if prefixes else "") + text
    return parse_patch(body.encode(), "application/sparql-update", BASE)


def turtle(text: str) -> list[ox.Triple]:
    document = PREFIXES + text
    return [quad.triple for quad in ox.parse(document, format=ox.RdfFormat.TURTLE, base_iri=BASE)]


def as_rdflib(triples: list[ox.Triple]) -> Graph:
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


def assert_same_graph(actual: list[ox.Triple], expected: list[ox.Triple]) -> None:
    assert isomorphic(as_rdflib(actual), as_rdflib(expected)), ox.serialize(
        actual, format=ox.RdfFormat.TURTLE
    )


# --- the supported forms ---------------------------------------------------------------


def test_insert_data_adds_triples() -> None:
    """SPARQL 1.1 Update §3.1.1 INSERT DATA: adds the given triples to the graph."""
    result = update('INSERT DATA { <#me> ex:nick "Cla" }').apply(turtle(CLAUDIA))

    assert set(result) == set(turtle(CLAUDIA + '<#me> ex:nick "Cla".'))


def test_delete_data_removes_triples() -> None:
    """SPARQL 1.1 Update §3.1.2 DELETE DATA: removes the given triples from the graph."""
    result = update('DELETE DATA { <#me> ex:givenName "Claudia" }').apply(turtle(CLAUDIA))

    assert set(result) == set(turtle('<#me> ex:familyName "Garcia".'))


def test_delete_data_of_absent_triple_is_conflict() -> None:
    """Design (do what NSS/CSS clients expect): rdflib.js relies on a 409 when DELETE DATA misses a triple."""
    patch = update('DELETE DATA { <#me> ex:givenName "Alex" }')

    with pytest.raises(Conflict):
        patch.apply(turtle(CLAUDIA))


def test_delete_data_then_insert_data_in_one_request() -> None:
    """SPARQL 1.1 Update §3: operations separated by ';' — rdflib.js sends DELETE DATA; INSERT DATA."""
    patch = update('DELETE DATA { <#me> ex:givenName "Claudia" }; INSERT DATA { <#me> ex:givenName "Alex" }')

    result = patch.apply(turtle(CLAUDIA))

    assert set(result) == set(turtle('<#me> ex:familyName "Garcia"; ex:givenName "Alex".'))


def test_failed_delete_data_leaves_other_operations_unapplied() -> None:
    """SPARQL 1.1 Update §3: a request is applied as a whole; the 409 means nothing changed."""
    patch = update('INSERT DATA { <#me> ex:nick "Cla" }; DELETE DATA { <#me> ex:givenName "Alex" }')
    document = turtle(CLAUDIA)

    with pytest.raises(Conflict):
        patch.apply(document)
    assert set(document) == set(turtle(CLAUDIA))


def test_operations_apply_in_order() -> None:
    """SPARQL 1.1 Update §3: operations run in sequence, each on the graph the previous one left."""
    patch = update('INSERT DATA { <#me> ex:nick "Cla" }; DELETE DATA { <#me> ex:nick "Cla" }')

    assert set(patch.apply(turtle(CLAUDIA))) == set(turtle(CLAUDIA))


def test_delete_data_is_checked_against_the_graph_earlier_operations_left() -> None:
    """SPARQL 1.1 Update §3: the second DELETE DATA of the same triple finds it gone, so 409."""
    patch = update(
        'DELETE DATA { <#me> ex:givenName "Claudia" }; DELETE DATA { <#me> ex:givenName "Claudia" }'
    )

    with pytest.raises(Conflict):
        patch.apply(turtle(CLAUDIA))


def test_delete_insert_where_renames() -> None:
    """SPARQL 1.1 Update §3.1.3 DELETE/INSERT: templates instantiated with the WHERE solutions."""
    patch = update("""
        DELETE { ?person ex:givenName "Claudia" }
        INSERT { ?person ex:givenName "Alex" }
        WHERE { ?person ex:familyName "Garcia" }
    """)

    result = patch.apply(turtle(CLAUDIA))

    assert set(result) == set(turtle('<#me> ex:familyName "Garcia"; ex:givenName "Alex".'))


def test_insert_where_adds_a_triple_per_solution() -> None:
    """SPARQL 1.1 Update §3.1.3.2 INSERT {…} WHERE {…}: one instantiation per solution."""
    patch = update("INSERT { ?person a ex:Person } WHERE { ?person ex:familyName ?name }")

    result = patch.apply(turtle('<#a> ex:familyName "A". <#b> ex:familyName "B".'))

    assert set(result) == set(
        turtle('<#a> ex:familyName "A"; a ex:Person. <#b> ex:familyName "B"; a ex:Person.')
    )


def test_insert_where_creates_new_blank_nodes() -> None:
    """SPARQL 1.1 Update §3.1.3: blank nodes in an INSERT template are new for each solution."""
    patch = update('INSERT { ?person ex:address [ ex:city "Paris" ] } WHERE { ?person ex:familyName ?name }')

    result = patch.apply(turtle('<#a> ex:familyName "A". <#b> ex:familyName "B".'))

    expected = turtle("""
        <#a> ex:familyName "A"; ex:address [ ex:city "Paris" ].
        <#b> ex:familyName "B"; ex:address [ ex:city "Paris" ].
    """)
    assert_same_graph(result, expected)


def test_delete_where_template_removes_matches() -> None:
    """SPARQL 1.1 Update §3.1.3.1 DELETE {…} WHERE {…}: removes every instantiated triple."""
    patch = update("DELETE { ?person ex:givenName ?name } WHERE { ?person ex:givenName ?name }")

    result = patch.apply(turtle(CLAUDIA))

    assert set(result) == set(turtle('<#me> ex:familyName "Garcia".'))


def test_delete_where_short_form_removes_matches() -> None:
    """SPARQL 1.1 Update §3.1.3.3 DELETE WHERE: the pattern is both the WHERE and the template."""
    result = update("DELETE WHERE { <#me> ex:givenName ?name }").apply(turtle(CLAUDIA))

    assert set(result) == set(turtle('<#me> ex:familyName "Garcia".'))


def test_where_matching_nothing_changes_nothing() -> None:
    """SPARQL 1.1 Update §3.1.3: no solutions, no instantiated triples (and no error)."""
    patch = update('DELETE { ?p ex:givenName "Claudia" } WHERE { ?p ex:familyName "Smith" }')

    assert set(patch.apply(turtle(CLAUDIA))) == set(turtle(CLAUDIA))


def test_relative_iris_resolve_against_the_target() -> None:
    """RFC 3986 §5.1 / SPARQL 1.1 Query §4.1.1: relative IRIs resolve against the target resource's URL."""
    [triple] = update("INSERT DATA { <#me> <../vocab#likes> <photos/> }", prefixes=False).apply([])

    assert triple == ox.Triple(
        ox.NamedNode("https://pod.example/people/card#me"),
        ox.NamedNode("https://pod.example/vocab#likes"),
        ox.NamedNode("https://pod.example/people/photos/"),
    )


def test_prefixes_carry_over_to_later_operations() -> None:
    """SPARQL 1.1 Update §3: a prologue declared before one operation holds for those after it."""
    patch = update(
        "PREFIX ex: <http://www.example.org/terms#>\n"
        'DELETE DATA { <#me> ex:givenName "Claudia" } ;\n'
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
        'INSERT DATA { <#me> ex:givenName "Alex"; foaf:nick "Al" }',
        prefixes=False,
    )

    result = patch.apply(turtle(CLAUDIA))

    nick = turtle('<#me> <http://xmlns.com/foaf/0.1/nick> "Al".')
    assert set(result) == set(turtle('<#me> ex:familyName "Garcia"; ex:givenName "Alex".') + nick)


def test_comments_and_tabs_are_kept_apart_from_data() -> None:
    """SPARQL 1.1 Query §19.4: '#' starts a comment outside IRIs and strings; a literal's tab stays a tab."""
    patch = update('# first ; comment\nINSERT DATA {\t<#me> ex:note "a\tb # not a comment ; }" } # done ;\n;')

    assert patch.apply([]) == turtle('<#me> ex:note "a\\tb # not a comment ; }".')


def test_unicode_escapes_are_code_points() -> None:
    """SPARQL 1.1 Query §19.2: \\u escapes stand for code points, in strings and elsewhere alike."""
    patch = update('INSERT DATA \\u007B <#me> ex:name "Ren\\u00E9e" }')

    assert patch.apply([]) == turtle('<#me> ex:name "Renée".')


def test_untouched_literals_keep_their_lexical_form() -> None:
    """RDF 1.1 Concepts §3.3: "01"^^xsd:integer is not the term "1"^^xsd:integer; untouched terms stay."""
    document = turtle('<#me> ex:age "01"^^xsd:integer; ex:since "2020-01-01T00:00:00.000Z"^^xsd:dateTime.')

    result = update('INSERT DATA { <#me> ex:nick "Cla" }').apply(document)

    assert set(result) == set(document + turtle('<#me> ex:nick "Cla".'))


def test_delete_data_matches_literals_as_written_in_the_document() -> None:
    """Design (rdflib.js round-trips): DELETE DATA of a dateTime as the document wrote it removes it."""
    document = turtle('<#me> ex:since "2020-01-01T00:00:00.000Z"^^xsd:dateTime.')

    result = update('DELETE DATA { <#me> ex:since "2020-01-01T00:00:00.000Z"^^xsd:dateTime }').apply(document)

    assert result == []


def test_document_blank_nodes_keep_their_identity() -> None:
    """RDF 1.1 Concepts §3.4: a PATCH must not split or merge the document's blank nodes."""
    document = turtle('<#me> ex:address [ ex:city "Lyon" ].')

    result = update('INSERT { ?address ex:country "FR" } WHERE { <#me> ex:address ?address }').apply(document)

    assert_same_graph(result, turtle('<#me> ex:address [ ex:city "Lyon"; ex:country "FR" ].'))


def test_empty_update_changes_nothing() -> None:
    """SPARQL 1.1 Update grammar [29]: an update may contain no operation at all."""
    patch = update("")

    assert patch.required_modes() == frozenset()
    assert set(patch.apply(turtle(CLAUDIA))) == set(turtle(CLAUDIA))


# --- the rejected forms (422) ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { GRAPH <g> { <#a> ex:p 1 } }",
        "DELETE DATA { GRAPH <g> { <#a> ex:p 1 } }",
        "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
        "INSERT { ?s ex:seen true } WHERE { GRAPH <g> { ?s ?p ?o } }",
        "INSERT { ?s ex:seen true } WHERE { ?s ?p ?o FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }",
    ],
)
def test_graph_is_unprocessable(text: str) -> None:
    """Design (a PATCH changes one document): a GRAPH naming another graph is a 422."""
    with pytest.raises(UnprocessableContent, match="GRAPH"):
        update(text)


def test_with_is_unprocessable() -> None:
    """Design (a PATCH changes one document): WITH names another graph, 422."""
    with pytest.raises(UnprocessableContent, match="WITH"):
        update("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")


@pytest.mark.parametrize("using", ["USING <g>", "USING NAMED <g>"])
def test_using_is_unprocessable(using: str) -> None:
    """Design (a PATCH changes one document): USING / USING NAMED pick another dataset, 422."""
    with pytest.raises(UnprocessableContent, match="USING"):
        update(f"DELETE {{ ?s ?p ?o }} {using} WHERE {{ ?s ?p ?o }}")


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("LOAD <https://elsewhere.example/data.ttl>", "LOAD"),
        ("CLEAR DEFAULT", "CLEAR"),
        ("DROP ALL", "DROP"),
        ("CREATE GRAPH <g>", "CREATE"),
        ("ADD DEFAULT TO <g>", "ADD"),
        ("MOVE DEFAULT TO <g>", "MOVE"),
        ("COPY DEFAULT TO <g>", "COPY"),
    ],
)
def test_graph_management_is_unprocessable(text: str, keyword: str) -> None:
    """Design (a PATCH changes one document): SPARQL 1.1 Update §3.2 graph management is a 422."""
    with pytest.raises(UnprocessableContent, match=keyword):
        update(text)


def test_graph_management_after_an_allowed_operation_is_unprocessable() -> None:
    """Design (a PATCH changes one document): every operation of the request is checked."""
    with pytest.raises(UnprocessableContent, match="LOAD"):
        update("INSERT DATA { <#me> ex:p 1 }; LOAD <https://elsewhere.example/data.ttl>")


def test_service_is_unprocessable() -> None:
    """Design (every input is hostile): SERVICE would make the server fetch from other endpoints, 422."""
    with pytest.raises(UnprocessableContent, match="SERVICE"):
        update("INSERT { ?s ex:p ?o } WHERE { SERVICE <https://elsewhere.example/sparql> { ?s ex:p ?o } }")


# --- malformed updates (400) -----------------------------------------------------------


def test_syntax_error_is_bad_request() -> None:
    """Design (every input is hostile): an update that does not parse is a 400 with the parser's message."""
    with pytest.raises(BadRequest, match="Invalid SPARQL Update: Expected"):
        update("INSERT DATA { <#me> ex:p ")


def test_undeclared_prefix_is_bad_request() -> None:
    """SPARQL 1.1 Query §4.1.1.1: a prefixed name needs its PREFIX; otherwise the update is malformed, 400."""
    with pytest.raises(BadRequest):
        update("INSERT DATA { <#me> nope:p 1 }")


def test_non_utf8_body_is_bad_request() -> None:
    """SPARQL 1.1 Protocol §2.2.2: the update is UTF-8; other bytes are a 400."""
    with pytest.raises(BadRequest, match="UTF-8"):
        parse_patch(b"INSERT DATA { <a> <b> '\xff' }", "application/sparql-update", BASE)


# --- access modes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "modes"),
    [
        ("INSERT DATA { <#me> ex:p 1 }", {AccessMode.APPEND}),
        ("DELETE DATA { <#me> ex:p 1 }", {AccessMode.READ, AccessMode.WRITE}),
        ("DELETE WHERE { <#me> ex:p ?o }", {AccessMode.READ, AccessMode.WRITE}),
        ("INSERT { <#me> ex:q ?o } WHERE { <#me> ex:p ?o }", {AccessMode.READ, AccessMode.APPEND}),
        ("DELETE { <#me> ex:p ?o } WHERE { <#me> ex:p ?o }", {AccessMode.READ, AccessMode.WRITE}),
        (
            "DELETE { <#me> ex:p ?o } INSERT { <#me> ex:q ?o } WHERE { <#me> ex:p ?o }",
            {AccessMode.READ, AccessMode.WRITE, AccessMode.APPEND},
        ),
        (
            "DELETE DATA { <#me> ex:p 1 }; INSERT DATA { <#me> ex:p 2 }",
            {AccessMode.READ, AccessMode.WRITE, AccessMode.APPEND},
        ),
        ("INSERT DATA { }", set()),
    ],
)
def test_required_modes_follow_the_operations(text: str, modes: set[AccessMode]) -> None:
    """WAC §Access Modes, as Solid Protocol §N3 Patch: reading → Read, adding → Append, removing → Write."""
    assert update(text).required_modes() == modes


# --- media types (parse_patch) ---------------------------------------------------------


@pytest.mark.parametrize("media_type", ["text/turtle", "application/json-patch+json", ""])
def test_unknown_media_type_is_unsupported(media_type: str) -> None:
    """RFC 5789 §2.2: an unsupported patch document format is a 415 listing Accept-Patch."""
    with pytest.raises(UnsupportedMediaType) as raised:
        parse_patch(b"INSERT DATA { <a> <b> <c> }", media_type, BASE)

    assert raised.value.status == 415
    assert raised.value.headers == {"Accept-Patch": "text/n3, application/sparql-update"}


def test_media_type_parameters_and_case_are_ignored() -> None:
    """RFC 9110 §8.3.1: the type/subtype is case-insensitive; charset=utf-8 does not change the format."""
    patch = parse_patch(b"INSERT DATA { <#a> <#b> <#c> }", "Application/SPARQL-Update; charset=UTF-8", BASE)

    assert patch.required_modes() == {AccessMode.APPEND}


def test_accept_patch_lists_both_formats() -> None:
    """Solid Protocol §N3 Patch: servers list text/n3 in Accept-Patch; we also accept SPARQL Update."""
    assert ACCEPT_PATCH == ("text/n3", "application/sparql-update")
