"""The hand-written N3 tokenizer and parser behind N3 Patch (pod.rdf.n3_syntax).

Solid Protocol §5.3.1 makes an N3 Patch an N3 document; its terms follow the RDF 1.1 Turtle
grammar (§6.5), which N3 extends. Each test names the rule it holds the parser to.
"""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest

from pod.errors import BadRequest, UnprocessableContent
from pod.rdf.n3_syntax import N3SyntaxError, parse_n3, resolve_iri, tokenize
from pod.rdf.n3patch import N3Patch, Variable, parse_n3_patch

BASE = "https://pod.example/people/card"
PREFIXES = """
@prefix solid: <http://www.w3.org/ns/solid/terms#>.
@prefix ex: <http://www.example.org/terms#>.
@prefix xsd: <http://www.w3.org/2001/XMLSchema#>.
"""
XSD = "http://www.w3.org/2001/XMLSchema#"


def patch(text: str) -> N3Patch:
    return parse_n3_patch(PREFIXES + text, BASE)


def inserted_object(term: str) -> object:
    """The object of the one triple `<#s> ex:p TERM` inserted by a patch."""
    [(_, _, object_)] = patch(f"_:p a solid:InsertDeletePatch; solid:inserts {{ <#s> ex:p {term} }}.").inserts
    return object_


# --- literals ---------------------------------------------------------------------------


def test_string_escapes_are_replaced() -> None:
    """Turtle §6.4 Escape Sequences: ECHAR (\\t \\b \\n \\r \\f \\" \\' \\\\) and UCHAR (\\u, \\U)."""
    literal = inserted_object(r'"a\tb\bc\nd\re\ff\"g\'h\\i\u00e9\U0001F600"')

    assert literal == ox.Literal("a\tb\bc\nd\re\ff\"g'h\\i\u00e9\U0001f600")


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ('"""two\nlines with "quotes" and ""pairs"" """', 'two\nlines with "quotes" and ""pairs"" '),
        ("'''single 'quoted' \\t'''", "single 'quoted' \t"),
        ("'short'", "short"),
        ('""', ""),
        ('""""""', ""),
    ],
)
def test_the_four_string_forms(written: str, value: str) -> None:
    """Turtle §6.5 [17]-[20] STRING_LITERAL_QUOTE / _SINGLE_QUOTE / _LONG_SINGLE_QUOTE / _LONG_QUOTE."""
    assert inserted_object(written) == ox.Literal(value)


@pytest.mark.parametrize(
    ("written", "lexical", "datatype"),
    [
        ("01", "01", "integer"),
        ("+7", "+7", "integer"),
        ("-0", "-0", "integer"),
        ("1.50", "1.50", "decimal"),
        (".5", ".5", "decimal"),
        ("1.5E3", "1.5E3", "double"),
        ("1e-0", "1e-0", "double"),
        ("true", "true", "boolean"),
        ("false", "false", "boolean"),
        ('"2020-01-01T00:00:00.000Z"^^xsd:dateTime', "2020-01-01T00:00:00.000Z", "dateTime"),
        ('"01"^^<http://www.w3.org/2001/XMLSchema#integer>', "01", "integer"),
    ],
)
def test_literals_keep_their_lexical_form_as_written(written: str, lexical: str, datatype: str) -> None:
    """RDF 1.1 Concepts §3.3: a literal is its lexical form; Turtle §7.2 gives numbers' datatypes."""
    assert inserted_object(written) == ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))


def test_language_tag() -> None:
    """Turtle §6.5 [144s] LANGTAG: `@` then subtags separated by `-`."""
    assert inserted_object('"colour"@en-GB') == ox.Literal("colour", language="en-GB")


@pytest.mark.parametrize(
    "written", [r'"\q"', r'"\uD800"', r'"\U00110000"', r'"\u12"', '"1"@1bad', '"x"^^"y"']
)
def test_malformed_literal_is_bad_request(written: str) -> None:
    """Turtle §6.4: only the listed escapes exist, of Unicode scalar values; tags and datatypes are strict."""
    with pytest.raises(BadRequest, match="Invalid N3 patch document: Bad syntax"):
        inserted_object(written)


@pytest.mark.parametrize("written", ['"open', '"line\nbreak"', '"""open', "'''open'", "'open\"", '"x\\"'])
def test_unterminated_string_is_bad_request(written: str) -> None:
    """Turtle §6.5 [22]: a short string is on one line; every string is closed by its own quotes."""
    with pytest.raises(BadRequest, match="string literal"):
        inserted_object(written)


# --- IRIs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "resolved"),
    [
        ("<>", "https://pod.example/people/card"),
        ("<#me>", "https://pod.example/people/card#me"),
        ("<../x>", "https://pod.example/x"),
        ("<../../../x>", "https://pod.example/x"),
        ("<./a/./b/../c>", "https://pod.example/people/a/c"),
        ("<?q>", "https://pod.example/people/card?q"),
        ("<//other.example/p>", "https://other.example/p"),
        ("<http://other.example/a/../b>", "http://other.example/b"),
        (r"<\u0023frag>", "https://pod.example/people/card#frag"),
    ],
)
def test_relative_iris_resolve_against_the_base(written: str, resolved: str) -> None:
    """Turtle §6.3 IRI References, by RFC 3986 §5.2; the base of a patch is its target."""
    assert inserted_object(written) == ox.NamedNode(resolved)


RFC_3986_BASE = "http://a/b/c/d;p?q"
RFC_3986_EXAMPLES = {
    "g:h": "g:h",
    "g": "http://a/b/c/g",
    "./g": "http://a/b/c/g",
    "g/": "http://a/b/c/g/",
    "/g": "http://a/g",
    "//g": "http://g",
    "?y": "http://a/b/c/d;p?y",
    "g?y": "http://a/b/c/g?y",
    "#s": "http://a/b/c/d;p?q#s",
    "g#s": "http://a/b/c/g#s",
    "g?y#s": "http://a/b/c/g?y#s",
    ";x": "http://a/b/c/;x",
    "g;x?y#s": "http://a/b/c/g;x?y#s",
    "": "http://a/b/c/d;p?q",
    ".": "http://a/b/c/",
    "./": "http://a/b/c/",
    "..": "http://a/b/",
    "../g": "http://a/b/g",
    "../..": "http://a/",
    "../../g": "http://a/g",
    "../../../g": "http://a/g",
    "../../../../g": "http://a/g",
    "/./g": "http://a/g",
    "/../g": "http://a/g",
    "g.": "http://a/b/c/g.",
    ".g": "http://a/b/c/.g",
    "g..": "http://a/b/c/g..",
    "..g": "http://a/b/c/..g",
    "./../g": "http://a/b/g",
    "./g/.": "http://a/b/c/g/",
    "g/./h": "http://a/b/c/g/h",
    "g/../h": "http://a/b/c/h",
    "g;x=1/./y": "http://a/b/c/g;x=1/y",
    "g;x=1/../y": "http://a/b/c/y",
    "g?y/./x": "http://a/b/c/g?y/./x",
    "g?y/../x": "http://a/b/c/g?y/../x",
    "g#s/./x": "http://a/b/c/g#s/./x",
    "g#s/../x": "http://a/b/c/g#s/../x",
    "http:g": "http:g",
}


@pytest.mark.parametrize(("reference", "target"), RFC_3986_EXAMPLES.items())
def test_resolution_follows_rfc_3986_examples(reference: str, target: str) -> None:
    """RFC 3986 §5.4.1 Normal Examples and §5.4.2 Abnormal Examples (strict parser)."""
    assert resolve_iri(reference, RFC_3986_BASE) == target


def test_base_and_prefix_directives_in_both_styles() -> None:
    """Turtle §6.5 [5]/[6] @base/@prefix and [5s]/[6s] SPARQL-style BASE/PREFIX (any case), each resolved."""
    parsed = parse_n3_patch(
        """
        BASE <https://other.example/dir/>
        prefix ex: <vocab#>
        @prefix solid: <http://www.w3.org/ns/solid/terms#>.
        @base <sub/>.
        <> a solid:InsertDeletePatch; solid:inserts { <x> ex:p <../y> }.
        """,
        BASE,
    )

    assert parsed.inserts == (
        (
            ox.NamedNode("https://other.example/dir/sub/x"),
            ox.NamedNode("https://other.example/dir/vocab#p"),
            ox.NamedNode("https://other.example/dir/y"),
        ),
    )


@pytest.mark.parametrize("written", ["<open", "<a b>", "<x{y}>", r"<\u0020>", "<>>"])
def test_malformed_iri_is_bad_request(written: str) -> None:
    """Turtle §6.5 [18] IRIREF: no spaces, `<>"{}|^`\\`, or escapes of them; closed by `>`."""
    with pytest.raises(BadRequest, match="Invalid N3 patch document"):
        inserted_object(written)


def objects(text: str, base: str = BASE) -> list[object]:
    """The objects of the statements of an N3 document, in document order."""
    return [object_ for _, _, object_ in parse_n3(text, base).root.statements]


def test_a_relative_iri_resolves_against_the_base_in_force() -> None:
    """Turtle §6.3: a relative IRI resolves against the current base, whichever came before it."""
    text = "<#s> <#p> <x>. @base <https://other.example/dir/>. <#s> <#p> <x>."

    assert objects(text) == [
        ox.NamedNode("https://pod.example/people/x"),
        ox.NamedNode("https://other.example/dir/x"),
    ]
    assert objects(text, "https://third.example/a")[0] == ox.NamedNode("https://third.example/x")


@pytest.mark.parametrize("length", [10, 300, 600, 5_000])
def test_long_iris_resolve_like_short_ones(length: int) -> None:
    """Turtle §6.3 / RFC 3986 §5.2: the length of a reference does not change how it resolves."""
    segment = "s" * length

    assert objects(f"<#s> <#p> <../{segment}#f>.") == [ox.NamedNode(f"https://pod.example/{segment}#f")]
    with pytest.raises(ValueError, match="an escape stands for a character IRIs cannot contain"):
        parse_n3(f"<#s> <#p> <{segment}\\u0020>.", BASE)


# --- prefixed names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "local"),
    [
        ("ex:a", "a"),
        ("ex:1st", "1st"),
        ("ex:a.b", "a.b"),
        ("ex:a:b", "a:b"),
        (r"ex:a\.b\~c\-d\!\$\&\'\(\)\*\+\,\;\=\/\?\@", "a.b~c-d!$&'()*+,;=/?@"),
        (r"ex:\%41", "%41"),
        ("ex:%41b", "%41b"),
        ("ex:_x", "_x"),
    ],
)
def test_prefixed_name_local_parts(written: str, local: str) -> None:
    """Turtle §6.5 [168s] PN_LOCAL: PLX escapes lose their backslash, %XX stays as written."""
    assert inserted_object(written) == ox.NamedNode("http://www.example.org/terms#" + local)


def test_a_dot_after_a_number_ends_the_statement() -> None:
    """Turtle §6.5 [19] INTEGER, [20] DECIMAL (a digit after its `.`): `1.` is `1`, then `.`."""
    parsed = patch("_:p a solid:InsertDeletePatch; solid:inserts { <#s> ex:p 1. <#s> ex:q .5. }.")

    assert [object_ for _, _, object_ in parsed.inserts] == [
        ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal(".5", datatype=ox.NamedNode(XSD + "decimal")),
    ]


def test_final_dot_of_a_prefixed_name_ends_the_statement() -> None:
    """Turtle §6.5 [168s] PN_LOCAL cannot end with `.`: `ex:a.` is `ex:a` then `.`."""
    parsed = patch("_:p a solid:InsertDeletePatch; solid:inserts { <#s> ex:p ex:a. }.")

    assert parsed.inserts[0][2] == ox.NamedNode("http://www.example.org/terms#a")


def test_empty_prefix() -> None:
    """Turtle §6.5 [139s] PNAME_NS: the prefix may be empty."""
    parsed = parse_n3_patch(
        "@prefix : <http://www.w3.org/ns/solid/terms#>. _:p a :InsertDeletePatch; :inserts { <#s> :p : }.",
        BASE,
    )

    assert parsed.inserts[0][2] == ox.NamedNode("http://www.w3.org/ns/solid/terms#")


def test_unbound_prefix_names_its_position() -> None:
    """Turtle §6.3: a prefixed name needs its prefix declared; the 400 says where."""
    with pytest.raises(BadRequest, match=r"line 2, column 3: the prefix 'nope:' is not bound"):
        parse_n3_patch("<#s> <#p>\n  nope:x.", BASE)


def test_a_prefix_bound_again_applies_from_there_on() -> None:
    """Turtle §6.3: a prefix declared again names its new IRI for the prefixed names that follow."""
    text = (
        "@prefix ex: <http://a.example/#>. <#s> ex:p ex:o. @prefix ex: <http://b.example/#>. <#s> ex:p ex:o."
    )

    assert objects(text) == [ox.NamedNode("http://a.example/#o"), ox.NamedNode("http://b.example/#o")]


# --- structure --------------------------------------------------------------------------


def test_comments_are_skipped_but_not_inside_iris_and_strings() -> None:
    """Turtle §6.4/§6.5: `#` starts a comment outside IRIs and strings, up to the end of the line."""
    parsed = patch("""
        # a { comment " with < odd characters
        _:p a solid:InsertDeletePatch; # after a statement
          solid:inserts { <#s> ex:p "# not a comment" } . #""")

    assert parsed.inserts == (
        (
            ox.NamedNode(BASE + "#s"),
            ox.NamedNode("http://www.example.org/terms#p"),
            ox.Literal("# not a comment"),
        ),
    )


def test_semicolon_and_comma_lists() -> None:
    """Turtle §2.3: `;` repeats the subject, `,` the subject and predicate (trailing `;` allowed)."""
    parsed = patch("_:p a solid:InsertDeletePatch; solid:inserts { <#s> ex:p 1, 2; ex:q 3;; }.")

    assert [(str(p), str(o)) for _, p, o in parsed.inserts] == [
        ("<http://www.example.org/terms#p>", str(ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")))),
        ("<http://www.example.org/terms#p>", str(ox.Literal("2", datatype=ox.NamedNode(XSD + "integer")))),
        ("<http://www.example.org/terms#q>", str(ox.Literal("3", datatype=ox.NamedNode(XSD + "integer")))),
    ]


def test_blank_node_property_list_and_collection() -> None:
    """Turtle §2.6 / §2.8: `[ … ]` is a fresh blank node, `( … )` an rdf:first/rdf:rest list."""
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    parsed = patch("_:p a solid:InsertDeletePatch; solid:inserts { <#s> ex:p [ ex:q ( 1 'two' ) ] }.")
    by_predicate: dict[str, list[object]] = {}
    for _, predicate, object_ in parsed.inserts:
        assert isinstance(predicate, ox.NamedNode)
        assert not isinstance(object_, Variable)
        by_predicate.setdefault(predicate.value.rpartition("#")[2], []).append(object_)

    assert isinstance(by_predicate["p"][0], ox.BlankNode)
    assert isinstance(by_predicate["q"][0], ox.BlankNode)
    assert sorted(map(str, by_predicate["first"])) == sorted(
        [str(ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))), str(ox.Literal("two"))]
    )
    assert ox.NamedNode(rdf + "nil") in by_predicate["rest"]


def test_variables_and_nested_formula_reach_the_patch_checks() -> None:
    """N3 §2: `?x` is a variable; a formula inside a patch formula is parsed, then refused (422)."""
    with pytest.raises(UnprocessableContent, match="nested"):
        patch("_:p a solid:InsertDeletePatch; solid:where { ?x ex:p { ?x ex:q 1 } }.")


@pytest.mark.parametrize(
    "text",
    [
        "{ <#a> ex:p 1 } => { <#a> ex:p 2 }.",
        "@forAll ?x.",
        "@keywords a.",
        "<#a> = <#b>.",
        "<#a> <= <#b>.",
        "<#a> is ex:p of <#b>.",
        "<#a>!ex:p ex:q 1.",
        "<#a> ex:p 1",
        "this is { not n3",
    ],
)
def test_n3_outside_the_patch_subset_is_bad_request(text: str) -> None:
    """Design (every input is hostile): N3 beyond the subset a patch needs is a clean 400."""
    with pytest.raises(BadRequest, match="Invalid N3 patch document: Bad syntax at line"):
        patch(text)


@pytest.mark.parametrize("opening", ["{", "[", "(", "[ ex:p ", "{ <#a> ex:p "])
def test_hostile_nesting_is_refused_quickly(opening: str) -> None:
    """Design (every input is hostile): 100,000 nested openings are a 400, not a RecursionError."""
    started = time.perf_counter()

    with pytest.raises(BadRequest, match="nesting deeper than"):
        patch("<#s> ex:p " + opening * 100_000)

    assert time.perf_counter() - started < 5


def test_long_hostile_tokens_are_linear() -> None:
    """Design (every input is hostile): unterminated or dotted runs cannot make the tokenizer backtrack."""
    started = time.perf_counter()
    hostile = ['"""' + '"a' * 100_000, "<" + "a" * 200_000, '"' + "x" * 200_000, "_:a" + "." * 100_000]
    for text in [*hostile, "ex:a" + "." * 100_000, "ex:" + "a." * 100_000, "ex:a" + ".%4" * 50_000]:
        with pytest.raises(ValueError):
            parse_n3(text, BASE)
    assert time.perf_counter() - started < 5


def test_runs_of_words_and_dots_are_linear() -> None:
    """Design (every input is hostile): `a.a.a…` is a word, a dot, a word… found in linear time.

    Turtle §6.5 [167s] PN_PREFIX may contain dots, so whether `a` begins a prefixed name is only
    known at the end of the run. The tokenizer used to read the run to its end again for each of
    its words: this 200 kB document, a PATCH body parsed before any access check, took 157 s.
    """
    started = time.perf_counter()
    with pytest.raises(ValueError, match="expected an RDF term"):
        parse_n3("a." * 100_000, BASE)
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("a.b", [("WORD", "a"), (".", "."), ("WORD", "b")]),
        ("ex.a:b", [("PNAME", "ex.a:b")]),
        ("a.b.:c", [("WORD", "a"), (".", "."), ("WORD", "b"), (".", "."), ("PNAME", ":c")]),
        ("x.y.z:w.", [("PNAME", "x.y.z:w"), (".", ".")]),
        ("true.a.1e+5 x", [("WORD", "true"), (".", "."), ("WORD", "a"), ("DOUBLE", ".1e+5"), ("WORD", "x")]),
        ("true. ex:a", [("WORD", "true"), (".", "."), ("PNAME", "ex:a")]),
    ],
)
def test_a_run_of_names_and_dots_is_a_prefixed_name_only_when_a_colon_ends_it(
    text: str, tokens: list[tuple[str, str]]
) -> None:
    """Turtle §6.5 [139s]/[167s]: a prefix is name characters with inner dots, then `:`."""
    assert [(kind, written) for kind, written, _ in tokenize(text)] == [*tokens, ("END", "")]


def test_tokens_end_with_end() -> None:
    """The tokenizer's contract: every token kind consumes input, and END closes the list."""
    tokens = tokenize("<#a> ex:b 'c' . # done")

    assert [kind for kind, _, _ in tokens] == ["IRI", "PNAME", "STRING", ".", "END"]


def test_tokens_know_where_they_start() -> None:
    """The tokenizer's contract: whitespace and comments between tokens are skipped, positions kept."""
    tokens = tokenize("<#a>  ex:b\n# c\n'c'.")

    assert [(kind, position) for kind, _, position in tokens] == [
        ("IRI", 0),
        ("PNAME", 6),
        ("STRING", 15),
        (".", 18),
        ("END", 19),
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("<#a> <#b>\n  <#c> ~ .", "line 2, column 8: unexpected character '~'"),
        ("<#a> <#b> ^<#c>.", r"line 1, column 11: unexpected character '\^'"),
        ("<#a> <#b> 'c' .\n  \x0c", r"line 2, column 3: unexpected character '\\x0c'"),
        ("<#a> <#b>\n\n '''c\\'''", "line 3, column 2: malformed or unterminated string literal"),
    ],
)
def test_a_character_no_token_starts_with_is_refused_where_it_stands(text: str, where: str) -> None:
    """Turtle §6.5: the text is tokens, whitespace and comments only; the error says where it is not."""
    with pytest.raises(N3SyntaxError, match=where):
        tokenize(text)
