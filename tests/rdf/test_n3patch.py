"""N3 Patch documents: parsing, the patch constraints, and their application to a graph."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from pod.errors import BadRequest, Conflict, UnprocessableContent
from pod.rdf.patch import Patch, parse_patch
from pod.wac.modes import AccessMode

BASE = "https://pod.example/people/card"
PREFIXES = """
@prefix solid: <http://www.w3.org/ns/solid/terms#>.
@prefix ex: <http://www.example.org/terms#>.
@prefix xsd: <http://www.w3.org/2001/XMLSchema#>.
"""
GARCIA_RENAME = """
_:rename a solid:InsertDeletePatch;
  solid:where { ?person ex:familyName "Garcia". };
  solid:inserts { ?person ex:givenName "Alex". };
  solid:deletes { ?person ex:givenName "Claudia". }.
"""


def n3_patch(body: str) -> Patch:
    return parse_patch((PREFIXES + body).encode(), "text/n3", BASE)


def turtle(text: str) -> list[ox.Triple]:
    document = PREFIXES + text
    return [quad.triple for quad in ox.parse(document, format=ox.RdfFormat.TURTLE, base_iri=BASE)]


def as_rdflib(triples: list[ox.Triple]) -> Graph:
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


def assert_same_graph(actual: list[ox.Triple], expected: list[ox.Triple]) -> None:
    assert isomorphic(as_rdflib(actual), as_rdflib(expected)), ox.serialize(
        actual, format=ox.RdfFormat.TURTLE
    )


# --- application ------------------------------------------------------------------------


def test_garcia_rename_example_renames_claudia_to_alex() -> None:
    """Solid Protocol §Modifying Resources Using N3 Patches, Example: Claudia Garcia becomes Alex Garcia."""
    document = turtle('<#me> ex:familyName "Garcia"; ex:givenName "Claudia".')

    result = n3_patch(GARCIA_RENAME).apply(document)

    assert set(result) == set(turtle('<#me> ex:familyName "Garcia"; ex:givenName "Alex".'))


def test_garcia_rename_with_two_garcias_is_conflict() -> None:
    """Solid Protocol §N3 Patch Example: the rename only applies when no other Garcia is present."""
    document = turtle('<#me> ex:familyName "Garcia"; ex:givenName "Claudia". <#sis> ex:familyName "Garcia".')

    with pytest.raises(Conflict):
        n3_patch(GARCIA_RENAME).apply(document)


def test_where_matching_nothing_is_conflict() -> None:
    """Solid Protocol §N3 Patch: if no variable mapping exists, the server MUST respond with 409."""
    document = turtle('<#me> ex:familyName "Smith"; ex:givenName "Claudia".')

    with pytest.raises(Conflict, match="matches nothing"):
        n3_patch(GARCIA_RENAME).apply(document)


def test_where_matching_two_bindings_is_conflict() -> None:
    """Solid Protocol §N3 Patch: if multiple variable mappings exist, the server MUST respond with 409."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:where { ?x ex:knows ?y. };
          solid:inserts { ?x ex:met ?y. }.
    """)
    document = turtle("<#a> ex:knows <#b>. <#a> ex:knows <#c>.")

    with pytest.raises(Conflict, match="more than one way"):
        patch.apply(document)


def test_blank_nodes_in_where_are_existential() -> None:
    """Solid Protocol §N3 Patch: mappings are of variables; blank nodes of ?conditions only need a match."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:where { ?x ex:address _:address. _:address ex:city "Paris". };
          solid:inserts { ?x ex:livesIn ex:France. }.
    """)
    document = turtle("""
        <#a> ex:address [ ex:city "Paris" ], [ ex:city "Paris" ].
        <#b> ex:address [ ex:city "Lyon" ].
    """)

    result = patch.apply(document)

    assert set(result) - set(document) == set(turtle("<#a> ex:livesIn ex:France."))


def test_where_without_variables_requires_its_triples() -> None:
    """Solid Protocol §N3 Patch: with no variables the (empty) mapping exists only if all triples occur."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:where { <#me> ex:status "draft". };
          solid:inserts { <#me> ex:reviewed true. }.
    """)

    with pytest.raises(Conflict):
        patch.apply(turtle('<#me> ex:status "final".'))


def test_absent_deletion_is_conflict() -> None:
    """Solid Protocol §N3 Patch: if the dataset does not contain all ?deletions triples, 409."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:deletes { <#me> ex:givenName "Claudia". }.
    """)

    with pytest.raises(Conflict, match="does not contain"):
        patch.apply(turtle('<#me> ex:givenName "Alex".'))


def test_deletes_without_where_remove_triples() -> None:
    """Solid Protocol §N3 Patch: the triples resulting from ?deletions are removed from the dataset."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:deletes { <#me> ex:givenName "Claudia". }.
    """)

    result = patch.apply(turtle('<#me> ex:givenName "Claudia"; ex:familyName "Garcia".'))

    assert set(result) == set(turtle('<#me> ex:familyName "Garcia".'))


def test_inserts_without_where_add_triples() -> None:
    """Solid Protocol §N3 Patch: the triples resulting from ?insertions are added to the dataset."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:inserts { <#me> ex:givenName "Alex". }.
    """)

    result = patch.apply(turtle('<#me> ex:familyName "Garcia".'))

    assert set(result) == set(turtle('<#me> ex:familyName "Garcia"; ex:givenName "Alex".'))


def test_patch_applies_to_an_empty_dataset() -> None:
    """Solid Protocol §N3 Patch: start from an empty RDF dataset if the target resource does not exist yet."""
    patch = n3_patch("""
        <#patch> a solid:InsertDeletePatch;
          solid:inserts { <#me> ex:givenName "Alex". }.
    """)

    assert set(patch.apply([])) == set(turtle('<#me> ex:givenName "Alex".'))


def test_inserted_blank_nodes_are_new_blank_nodes() -> None:
    """Solid Protocol §N3 Patch: each blank node from ?insertions results in a newly created blank node."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:where { ?me ex:familyName "Garcia". };
          solid:inserts { ?me ex:address _:home. _:home ex:city "Paris". }.
    """)
    document = turtle('<#me> ex:familyName "Garcia"; ex:address [ ex:city "Lyon" ].')

    result = patch.apply(document)

    expected = turtle("""
        <#me> ex:familyName "Garcia"; ex:address [ ex:city "Lyon" ], [ ex:city "Paris" ].
    """)
    assert_same_graph(result, expected)


def test_inserted_blank_nodes_are_fresh_on_each_application() -> None:
    """Solid Protocol §N3 Patch: newly created blank nodes, so applying twice creates two nodes."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:inserts { <#me> ex:address _:home. }.
    """)

    result = patch.apply(patch.apply([]))

    addresses = {triple.object for triple in result}
    assert len(addresses) == 2
    assert all(isinstance(address, ox.BlankNode) for address in addresses)


def test_relative_iris_resolve_against_the_target() -> None:
    """Solid Protocol §N3 Patch: the patch is an N3 document whose base is the target resource."""
    patch = n3_patch("""
        <> a solid:InsertDeletePatch;
          solid:inserts { <#me> <../vocab#likes> <photos/>. }.
    """)

    [triple] = patch.apply([])

    assert triple == ox.Triple(
        ox.NamedNode("https://pod.example/people/card#me"),
        ox.NamedNode("https://pod.example/vocab#likes"),
        ox.NamedNode("https://pod.example/people/photos/"),
    )


def test_literals_match_with_their_lexical_form_as_written() -> None:
    """RDF 1.1 term equality: "01"^^xsd:integer in the patch is the document's "01", not rdflib's "1"."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:deletes {
            <#me> ex:age "01"^^xsd:integer; ex:since "2020-01-01T00:00:00.000Z"^^xsd:dateTime.
          }.
    """)
    document = turtle('<#me> ex:age "01"^^xsd:integer; ex:since "2020-01-01T00:00:00.000Z"^^xsd:dateTime.')

    assert patch.apply(document) == []


def test_variable_bound_to_a_literal_cannot_become_a_subject() -> None:
    """Solid Protocol §N3 Patch: the resulting triples must be RDF triples; a literal subject cannot apply."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:where { <#me> ex:givenName ?name. };
          solid:inserts { ?name ex:is <#me>. }.
    """)

    with pytest.raises(Conflict, match="not valid RDF"):
        patch.apply(turtle('<#me> ex:givenName "Alex".'))


def test_patch_applies_to_a_large_document() -> None:
    """Solid Protocol §5.3.1 on a ~1.8k-triple document: exactly the one mapping is found and applied.

    (Its speed is measured by the benchmarks in bench/, never asserted here.)
    """
    document = turtle(
        "".join(f'<#s{i}> ex:name "person {i}"; ex:group <#g{i % 50}>; ex:n {i}.\n' for i in range(600))
        + '<#me> ex:familyName "Garcia"; ex:givenName "Claudia".'
    )
    patch = n3_patch(GARCIA_RENAME)

    result = patch.apply(document)

    assert len(result) == len(document)
    assert turtle('<#me> ex:givenName "Alex".')[0] in result


# --- the patch constraints (422) -------------------------------------------------------


def test_document_without_patch_resource_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: a patch document MUST contain one or more patch resources."""
    with pytest.raises(UnprocessableContent, match="exactly one patch resource"):
        n3_patch('<#me> ex:givenName "Alex".')


def test_two_patch_resources_are_unprocessable() -> None:
    """Solid Protocol §N3 Patch: the patch document MUST contain exactly one patch resource."""
    with pytest.raises(UnprocessableContent, match="exactly one patch resource"):
        n3_patch("""
            _:a a solid:InsertDeletePatch; solid:inserts { <#me> ex:p 1. }.
            _:b a solid:InsertDeletePatch; solid:inserts { <#me> ex:p 2. }.
        """)


def test_patch_resource_without_insert_delete_patch_type_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: a patch resource MUST contain ?patch rdf:type solid:InsertDeletePatch."""
    with pytest.raises(UnprocessableContent, match="solid:InsertDeletePatch"):
        n3_patch("_:p a solid:Patch; solid:inserts { <#me> ex:p 1. }.")


def test_variable_as_patch_resource_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: a patch resource MUST be identified by a URI or blank node."""
    with pytest.raises(UnprocessableContent, match="URI or blank node"):
        n3_patch("?patch a solid:InsertDeletePatch; solid:inserts { <#me> ex:p 1. }.")


@pytest.mark.parametrize("predicate", ["solid:where", "solid:inserts", "solid:deletes"])
def test_two_formulas_for_one_predicate_are_unprocessable(predicate: str) -> None:
    """Solid Protocol §N3 Patch: at most one triple ?patch solid:deletes / solid:inserts / solid:where."""
    with pytest.raises(UnprocessableContent, match="at most one"):
        n3_patch(f"_:p a solid:InsertDeletePatch; {predicate} {{ <#a> ex:p 1. }}, {{ <#a> ex:p 2. }}.")


def test_non_formula_object_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: ?deletions, ?insertions and ?conditions MUST be cited formulae."""
    with pytest.raises(UnprocessableContent, match="must be a formula"):
        n3_patch("_:p a solid:InsertDeletePatch; solid:inserts <#triples>.")


def test_nested_formula_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: the formulae MUST be non-nested."""
    with pytest.raises(UnprocessableContent, match="nested"):
        n3_patch("_:p a solid:InsertDeletePatch; solid:inserts { <#me> ex:said { <#a> ex:p 1. }. }.")


def test_literal_subject_in_formula_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: formulae consist only of triples and triple patterns."""
    with pytest.raises(UnprocessableContent, match="literal as its subject"):
        n3_patch('_:p a solid:InsertDeletePatch; solid:inserts { "Alex" ex:nameOf <#me>. }.')


def test_insert_variable_not_in_where_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: ?insertions MUST NOT contain variables that do not occur in ?conditions."""
    with pytest.raises(UnprocessableContent, match=r"\?name"):
        n3_patch("""
            _:p a solid:InsertDeletePatch;
              solid:where { ?me ex:familyName "Garcia". };
              solid:inserts { ?me ex:givenName ?name. }.
        """)


def test_delete_variable_not_in_where_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: ?deletions MUST NOT contain variables that do not occur in ?conditions."""
    with pytest.raises(UnprocessableContent, match=r"\?name"):
        n3_patch("_:p a solid:InsertDeletePatch; solid:deletes { <#me> ex:givenName ?name. }.")


@pytest.mark.parametrize(
    "deletes", ["_:x ex:p 1.", "<#me> ex:address [ ex:city 1 ].", "<#me> ex:list (1 2)."]
)
def test_blank_node_in_deletes_is_unprocessable(deletes: str) -> None:
    """Solid Protocol §N3 Patch: the ?deletions formula MUST NOT contain blank nodes."""
    with pytest.raises(UnprocessableContent, match="blank nodes"):
        n3_patch(f"_:p a solid:InsertDeletePatch; solid:deletes {{ {deletes} }}.")


def test_blank_node_label_shared_by_inserts_and_where_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: one blank node identifier MUST NOT be in both ?insertions and ?conditions."""
    with pytest.raises(UnprocessableContent, match="_:b"):
        n3_patch("""
            _:p a solid:InsertDeletePatch;
              solid:where { <#me> ex:address _:b. };
              solid:inserts { _:b ex:city "Paris". }.
        """)


def test_blank_node_label_of_where_used_elsewhere_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: a ?conditions blank node identifier MUST NOT be used elsewhere."""
    with pytest.raises(UnprocessableContent, match="_:b"):
        n3_patch("""
            _:p a solid:InsertDeletePatch;
              solid:where { <#me> ex:address _:b. };
              solid:inserts { <#me> ex:checked true. }.
            _:b ex:note "outside".
        """)


def test_blank_node_label_of_inserts_used_elsewhere_is_unprocessable() -> None:
    """Solid Protocol §N3 Patch: an ?insertions blank node identifier MUST NOT be used elsewhere."""
    with pytest.raises(UnprocessableContent, match="_:p"):
        n3_patch("_:p a solid:InsertDeletePatch; solid:inserts { <#me> ex:patchedBy _:p. }.")


def test_blank_node_label_repeated_within_inserts_is_one_node() -> None:
    """Solid Protocol §N3 Patch: within one formula a label names one (new) blank node."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:inserts { <#me> ex:address _:home. _:home ex:city "Paris". }.
    """)

    assert_same_graph(patch.apply([]), turtle('<#me> ex:address [ ex:city "Paris" ].'))


# --- malformed documents (400) ---------------------------------------------------------


def test_n3_syntax_error_is_bad_request() -> None:
    """Design (every input is hostile): N3 that does not parse is a 400 with the parser's message."""
    with pytest.raises(BadRequest, match="Bad syntax"):
        n3_patch("_:p a solid:InsertDeletePatch; solid:inserts { <#me> ex:p ")


def test_unbound_prefix_is_bad_request() -> None:
    """Design (every input is hostile): an undeclared prefix is a syntax error, 400."""
    with pytest.raises(BadRequest, match="not bound"):
        n3_patch("_:p a solid:InsertDeletePatch; solid:inserts { <#me> nope:p 1. }.")


def test_invalid_iri_is_bad_request() -> None:
    """Design (every input is hostile): an IRI with a space is not an RDF term, 400."""
    with pytest.raises(BadRequest, match="Invalid term"):
        n3_patch("_:p a solid:InsertDeletePatch; solid:inserts { <#me> ex:page <a page>. }.")


def test_non_utf8_body_is_bad_request() -> None:
    """Design (every input is hostile): N3 is UTF-8; other bytes are a 400."""
    with pytest.raises(BadRequest, match="UTF-8"):
        parse_patch(b"_:p a <x> . \xff\xfe", "text/n3", BASE)


def test_n3_media_type_with_charset_parameter_is_accepted() -> None:
    """Solid Protocol §N3 Patch: text/n3 is the media type; its parameters do not change the format."""
    body = (PREFIXES + GARCIA_RENAME).encode()

    patch = parse_patch(body, "Text/N3; charset=utf-8", BASE)

    assert patch.required_modes() == {AccessMode.READ, AccessMode.APPEND, AccessMode.WRITE}


# --- access modes ----------------------------------------------------------------------


def test_required_modes_of_where_only_patch_are_read() -> None:
    """Solid Protocol §N3 Patch: when ?conditions is non-empty, treat the request as a Read operation."""
    patch = n3_patch('_:p a solid:InsertDeletePatch; solid:where { ?x ex:familyName "Garcia". }.')

    assert patch.required_modes() == {AccessMode.READ}


def test_required_modes_of_inserts_only_patch_are_append() -> None:
    """Solid Protocol §N3 Patch: when ?insertions is non-empty, treat the request as an Append operation."""
    patch = n3_patch('_:p a solid:InsertDeletePatch; solid:inserts { <#me> ex:givenName "Alex". }.')

    assert patch.required_modes() == {AccessMode.APPEND}


def test_required_modes_of_where_and_inserts_are_read_and_append() -> None:
    """Solid Protocol §N3 Patch: non-empty ?conditions → Read; non-empty ?insertions → (also) Append."""
    patch = n3_patch("""
        _:p a solid:InsertDeletePatch;
          solid:where { ?x ex:familyName "Garcia". };
          solid:inserts { ?x ex:givenName "Alex". }.
    """)

    assert patch.required_modes() == {AccessMode.READ, AccessMode.APPEND}


def test_required_modes_of_deletes_are_read_and_write() -> None:
    """Solid Protocol §N3 Patch: when ?deletions is non-empty, treat the request as Read and Write."""
    patch = n3_patch('_:p a solid:InsertDeletePatch; solid:deletes { <#me> ex:givenName "Claudia". }.')

    assert patch.required_modes() == {AccessMode.READ, AccessMode.WRITE}


def test_required_modes_of_empty_patch_are_none() -> None:
    """Solid Protocol §N3 Patch: absent formulae are the empty formula {}, which asks for no mode."""
    patch = n3_patch("_:p a solid:InsertDeletePatch; solid:where {}; solid:inserts {}.")

    assert patch.required_modes() == frozenset()
    assert patch.apply(turtle("<#me> ex:p 1.")) == turtle("<#me> ex:p 1.")
