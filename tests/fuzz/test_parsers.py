"""Fuzzing the parsers of request input: N3 Patch, SPARQL Update, Accept, Link, conditions, Range.

Whatever the client sends, a parser returns a value or raises one of the project's own 4xx
errors (pod.errors.PodError): never another exception, which would be a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
from hypothesis import example, given
from hypothesis import strategies as st

from pod.errors import PodError
from pod.http import conneg, headers
from pod.rdf.patch import parse_patch

BASE = "http://localhost:3000/doc.ttl"
GRAPH = [
    ox.Triple(ox.NamedNode(BASE + "#a"), ox.NamedNode("http://example.org/p"), ox.Literal("1")),
    ox.Triple(ox.NamedNode(BASE + "#a"), ox.NamedNode("http://example.org/q"), ox.BlankNode("b")),
]

N3_PIECES = st.sampled_from(
    [
        "@prefix solid: <http://www.w3.org/ns/solid/terms#>.",
        "@prefix ex: <http://example.org/>.",
        "_:p a solid:InsertDeletePatch;",
        "<#patch> a solid:InsertDeletePatch;",
        "solid:inserts",
        "solid:deletes",
        "solid:where",
        "{",
        "}",
        ".",
        ";",
        ",",
        "?x",
        "?y",
        "_:b",
        "[]",
        "<#a>",
        "<http://example.org/p>",
        "ex:p",
        '"1"',
        '"x"@en',
        "1",
        "()",
        "( ?x )",
        "a",
        "=>",
        "@forAll ?x.",
        "<>",
        "<../../x>",
        "<\\u0000>",
        '"""',
        "#",
        "\n",
    ]
)
SPARQL_PIECES = st.sampled_from(
    [
        "PREFIX ex: <http://example.org/>",
        "BASE <http://other/>",
        "INSERT DATA",
        "DELETE DATA",
        "DELETE",
        "INSERT",
        "WHERE",
        "DELETE WHERE",
        "{",
        "}",
        ".",
        ";",
        "?x",
        "?y",
        "_:b",
        "[]",
        "<#a>",
        "ex:p",
        '"1"',
        "1",
        "GRAPH <g>",
        "LOAD <http://example.org/>",
        "CLEAR ALL",
        "DROP DEFAULT",
        "CREATE GRAPH <g>",
        "WITH <g>",
        "USING <g>",
        "FILTER(?x = 1)",
        "OPTIONAL",
        "BIND(1 AS ?x)",
        "SERVICE <http://evil/> { ?s ?p ?o }",
        "VALUES ?x { 1 }",
        "(",
        ")",
    ]
)


# Well-formed patch skeletons filled with hostile terms: these get past the grammar, so the
# checks after it (variables, blank nodes, server-managed triples, matching) are fuzzed too.
TERMS = st.sampled_from(
    [
        "?x",
        "?y",
        "?z",
        "_:b",
        "_:c",
        "[]",
        "<#a>",
        "<http://example.org/p>",
        "<>",
        "<../x>",
        "<?q#f>",
        '"1"',
        '"x"@en',
        '"2"^^<http://www.w3.org/2001/XMLSchema#integer>',
        "1",
        "1.5e3",
        "true",
        "<http://www.w3.org/ns/ldp#contains>",
        "a",
        "( ?x 1 )",
        '"\u0000"',
    ]
)
TRIPLES = st.lists(st.tuples(TERMS, TERMS, TERMS).map(lambda t: " ".join(t) + " ."), max_size=4).map(" ".join)
N3_PATCHES = st.builds(
    lambda where, deletes, inserts, extra: (
        "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n_:p a solid:InsertDeletePatch"
        + (f";\n solid:where {{ {where} }}" if where is not None else "")
        + (f";\n solid:deletes {{ {deletes} }}" if deletes is not None else "")
        + (f";\n solid:inserts {{ {inserts} }}" if inserts is not None else "")
        + " .\n"
        + extra
    ),
    st.none() | TRIPLES,
    st.none() | TRIPLES,
    st.none() | TRIPLES,
    st.sampled_from(["", "_:q a solid:InsertDeletePatch.", "<#a> <#b> <#c>.", "_:p solid:where { }."]),
)
SPARQL_UPDATES = st.lists(
    st.one_of(
        TRIPLES.map(lambda t: f"INSERT DATA {{ {t} }}"),
        TRIPLES.map(lambda t: f"DELETE DATA {{ {t} }}"),
        TRIPLES.map(lambda t: f"DELETE WHERE {{ {t} }}"),
        st.tuples(TRIPLES, TRIPLES, TRIPLES).map(
            lambda t: f"DELETE {{ {t[0]} }} INSERT {{ {t[1]} }} WHERE {{ {t[2]} }}"
        ),
        st.tuples(TRIPLES, TRIPLES).map(
            lambda t: f"INSERT {{ {t[0]} }} WHERE {{ {t[1]} OPTIONAL {{ ?x ?y ?z }} }}"
        ),
    ),
    min_size=1,
    max_size=3,
).map(" ;\n".join)


def only_4xx(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except PodError as error:
        assert 400 <= error.status < 500, f"{type(error).__name__}: {error.status} {error.detail}"
        return None


def pieces(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(strategy, st.text(max_size=8)), max_size=30).map(" ".join)


def apply_patch(body: bytes, media_type: str) -> None:
    patch = only_4xx(lambda: parse_patch(body, media_type, BASE))
    if patch is not None:
        only_4xx(patch.required_modes)
        only_4xx(lambda: patch.apply(GRAPH))


@given(st.one_of(N3_PATCHES, pieces(N3_PIECES), st.text(max_size=200)))
@example(
    "@prefix solid: <http://www.w3.org/ns/solid/terms#>. "
    "_:p a solid:InsertDeletePatch; solid:where { ?x ?x ?x }."
)
@example(
    "@prefix solid: <http://www.w3.org/ns/solid/terms#>. "
    "_:p a solid:InsertDeletePatch; solid:inserts { ?x <p> 1 }."
)
@example(
    "_:p a <http://www.w3.org/ns/solid/terms#InsertDeletePatch>. _:q a <http://www.w3.org/ns/solid/terms#InsertDeletePatch>."
)
def test_n3_patch_raises_only_4xx(text: str) -> None:
    apply_patch(text.encode("utf-8", "surrogatepass"), "text/n3")


@given(st.binary(max_size=300))
def test_n3_patch_bytes_raise_only_4xx(body: bytes) -> None:
    apply_patch(body, "text/n3")


@given(st.one_of(SPARQL_UPDATES, pieces(SPARQL_PIECES), st.text(max_size=200)))
@example("INSERT DATA { <#a> <http://example.org/p> 1 . }")
@example("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
@example("INSERT { ?x <p> 1 } WHERE { BIND(1/0 AS ?x) }")
@example("DELETE WHERE { ?s ?p ?o FILTER(REGEX(?o, '(a+)+$')) }")
def test_sparql_update_raises_only_4xx(text: str) -> None:
    apply_patch(text.encode("utf-8", "surrogatepass"), "application/sparql-update")


@given(st.binary(max_size=300), st.sampled_from(["text/n3", "application/sparql-update", "text/turtle", ""]))
def test_patch_bodies_of_any_bytes_raise_only_4xx(body: bytes, media_type: str) -> None:
    apply_patch(body, media_type)


HEADER_TEXT = st.text(st.characters(codec="latin-1"), max_size=200)
ACCEPT_PIECES = st.lists(
    st.one_of(
        st.sampled_from(
            ["text/turtle", "*/*", "text/*", "*", "/", ";q=", "q=0.5", "q=NaN", "q=1e999", ",", ";", "=", '"']
        ),
        HEADER_TEXT,
    ),
    max_size=20,
).map("".join)


@given(st.one_of(st.none(), ACCEPT_PIECES))
@example(";q=0.5")
@example("text/turtle;q=nan")
@example("*/turtle")
def test_accept_headers_parse_and_negotiate(header: str | None) -> None:
    ranges = only_4xx(lambda: conneg.parse_accept(header))
    if ranges is not None:
        chosen = only_4xx(lambda: conneg.negotiate(ranges, ["text/turtle", "application/ld+json"]))
        assert chosen in (None, "text/turtle", "application/ld+json")
    only_4xx(lambda: conneg.essence(header))


LINK_PIECES = st.lists(
    st.one_of(
        st.sampled_from(["<", ">", ";", ",", "rel=", '"', "type", "http://www.w3.org/ns/ldp#BasicContainer"]),
        HEADER_TEXT,
    ),
    max_size=20,
).map("".join)


@given(st.lists(LINK_PIECES, max_size=3))
def test_link_headers_parse(values: list[str]) -> None:
    targets = only_4xx(lambda: headers.link_targets(values, "type"))
    assert targets is None or all(isinstance(t, str) for t in targets)


@given(
    st.dictionaries(
        st.sampled_from(
            ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "Range", "If-Range"]
        ),
        st.one_of(
            HEADER_TEXT,
            st.sampled_from(
                [
                    '"a", W/"b"',
                    "*",
                    "bytes=0-",
                    "bytes=-5",
                    "bytes=9-1",
                    "Sun, 06 Nov 1994 08:49:37 GMT",
                    "Sun, 06 Nov 99999 08:49:37 GMT",
                ]
            ),
        ),
    )
)
@example({"If-Modified-Since": "Sun, 06 Nov 99999 08:49:37 GMT"})
@example({"Range": "bytes=0-", "If-Range": "Mon, 32 Nov 1994 08:49:37 GMT"})
@example({"Range": "bytes=99999999999999999999999-"})
def test_conditional_and_range_headers_parse(values: dict[str, str]) -> None:
    only_4xx(lambda: headers.conditions_from(values))
    only_4xx(lambda: headers.byte_range_from(values))
