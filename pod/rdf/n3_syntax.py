"""A tokenizer and recursive-descent parser for the subset of Notation3 that N3 Patch uses.

The subset (W3C Notation3 Language and RDF 1.1 Turtle grammars, Solid Protocol §5.3.1):

- directives `@prefix p: <iri> .`, `@base <iri> .` and the SPARQL-style `PREFIX` / `BASE`;
- IRIs `<…>` (with `\\uXXXX` / `\\UXXXXXXXX` escapes), resolved against the base by
  RFC 3986 §5.2; prefixed names with the Turtle PN_LOCAL rules (`%XX`, `\\`-escapes); `a`;
- blank nodes `_:label`, `[]` and `[ predicate-object list ]`; collections `( … )`;
- literals in the four quoted forms with ECHAR / UCHAR escapes, `@lang` and `^^datatype`;
  integers, decimals and doubles (their lexical form kept as written); `true` / `false`;
- variables `?name` and formulas `{ … }`; `#` comments;
- statements `subject predicate object` with `;` and `,` lists. Any term may stand as subject
  or predicate here: the N3 Patch checks reject what RDF does not allow.

Everything else of N3 (`=>`, `<=`, `=`, `@forAll`, `@keywords`, paths, `is … of`, `has`…) is a
syntax error. Every loop consumes input and nesting is capped, so hostile input cannot hang the
parser or exhaust the stack.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeAlias

import pyoxigraph as ox

MAX_DEPTH = 32  # nesting of `[`, `(` and `{`; a patch needs 1

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode(_RDF + "type")
_RDF_FIRST = ox.NamedNode(_RDF + "first")
_RDF_REST = ox.NamedNode(_RDF + "rest")
_RDF_NIL = ox.NamedNode(_RDF + "nil")
_NUMBER_TYPES = {
    "INTEGER": ox.NamedNode(_XSD + "integer"),
    "DECIMAL": ox.NamedNode(_XSD + "decimal"),
    "DOUBLE": ox.NamedNode(_XSD + "double"),
}
_BOOLEAN = ox.NamedNode(_XSD + "boolean")


@dataclass(frozen=True, slots=True)
class Variable:
    """An N3 `?name` variable of a patch formula.

    Our own type rather than `pyoxigraph.Variable`, which only accepts SPARQL variable names.
    """

    name: str


class Formula:
    """A formula `{ … }`, or the document itself: its statements in document order.

    Formulas compare by identity: two formulas written alike are still two formulas.
    """

    __slots__ = ("statements",)

    def __init__(self) -> None:
        self.statements: list[Statement] = []


Node: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | Variable | Formula
Statement: TypeAlias = tuple[Node, Node, Node]


@dataclass(frozen=True)
class N3Document:
    """A parsed document: its root formula, and the formulas each `_:label` occurs in."""

    root: Formula
    label_formulas: dict[str, set[Formula]] = field(default_factory=dict)


class N3SyntaxError(ValueError):
    """The text is not in the supported N3 subset; the message gives line and column."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        line = text.count("\n", 0, position) + 1
        column = position - text.rfind("\n", 0, position)
        super().__init__(f"Bad syntax at line {line}, column {column}: {reason}")


# --- tokens -----------------------------------------------------------------------------

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
# Turtle PN_LOCAL, which cannot end with `.`: a run of dots is taken only when more follows.
# Runs of name characters are matched at once and nothing is given back (linear, and fast).
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:[{_PN_CHARS}:]++|{_PLX}|\\.++(?=[{_PN_CHARS}:]|{_PLX}))*+"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_SKIP = r"[ \t\r\n]*+(?:#[^\r\n]*+[ \t\r\n]*+)*+"  # whitespace and comments; possessive: never given back
_IRI = rf"<(?:[^<>\"{{}}|^`\\\x00-\x20]++|{_UCHAR})*+>"  # possessive: linear
_STRING = (
    r'"""(?:"{0,2}(?:[^"\\]|\\.))*"""'
    r"|'''(?:'{0,2}(?:[^'\\]|\\.))*'''"
    r'|"(?!"")(?:[^"\\\r\n]|\\.)*"'
    r"|'(?!'')(?:[^'\\\r\n]|\\.)*'"
)
# Each token kind with its regex, tried in this order (the most frequent first). Kinds start with
# different characters, except that a prefixed name goes before a word and a longer number form
# before a shorter one; a `.` before a digit starts a number.
_TOKEN_KINDS = (
    ("PUNCTUATION", r"[;,\[\](){}]|\^\^|\.(?![0-9])"),  # the kind of a punctuation token is its text
    ("IRI", _IRI),
    ("PNAME", f"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?"),
    ("WORD", r"[A-Za-z][A-Za-z0-9_]*"),
    ("STRING", _STRING),
    ("BLANK", f"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"),
    ("VAR", f"\\?[{_PN_CHARS_U}0-9][{_PN_CHARS}]*"),
    ("AT", r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*"),
    ("DOUBLE", r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
    ("DECIMAL", r"[+-]?[0-9]*\.[0-9]+"),
    ("INTEGER", r"[+-]?[0-9]+"),
    ("END", r"\Z"),
    ("STRAY", r"."),  # a character no token starts with, or the start of a malformed token
)


# Whitespace and comments skipped, then the first token kind that matches. END and STRAY match
# wherever nothing else does, so the scanner's matches cover the whole text, one after another.
def _scanner(kinds: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    return re.compile(
        _SKIP + "(?:" + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in kinds) + ")", re.DOTALL
    )


_SCANNER = _scanner(_TOKEN_KINDS)
# A prefix runs to the end of its run of name characters and dots, and must be followed by `:`
# there (Turtle PN_PREFIX). So where a word begins and a prefixed name does not, none begins
# anywhere else in that run: the rest of the run is scanned without trying one, which would read
# the run to its end for each word of it (quadratic time on `a.a.a.a…`).
_NAME_RUN = re.compile(f"[{_PN_CHARS}.]*+")
_RUN_SCANNER = _scanner(tuple(kind for kind in _TOKEN_KINDS if kind[0] != "PNAME"))
_ERROR_REASONS = {
    "<": "Invalid term: malformed or unterminated IRI reference",
    '"': "malformed or unterminated string literal",
    "'": "malformed or unterminated string literal",
}


# A token: its kind (IRI, STRING, BLANK, VAR, AT, PNAME, WORD, a number type, END, or for
# punctuation the punctuation itself), its text, and its position in the document. A plain
# tuple: a document has thousands, and a tuple is made several times faster than a NamedTuple.
Token: TypeAlias = tuple[str, str, int]


def tokenize(text: str) -> list[Token]:
    """The tokens of the text, ending with an END token; N3SyntaxError on a stray character."""
    tokens: list[Token] = []
    position = 0
    while not tokens or tokens[-1][0] != "END":
        position = _scan(text, position, tokens)
    return tokens


def _scan(text: str, position: int, tokens: list[Token]) -> int:
    """Add the tokens from the position on, up to END or to the end of a run a word begins (see
    _NAME_RUN); return where the tokens added end."""
    for found in _SCANNER.finditer(text, position):
        kind = _add_token(text, found, tokens)
        if kind == "END":
            break
        if kind == "WORD":
            end = found.end()
            run_end = _name_run_end(text, end)
            if run_end > end:
                return _scan_run(text, end, run_end, tokens)
    return len(text)


def _scan_run(text: str, position: int, run_end: int, tokens: list[Token]) -> int:
    """Add the tokens that begin between the position and the end of a run no prefixed name
    begins in; return where they end."""
    while position < run_end:
        found = _RUN_SCANNER.match(text, position)
        assert found is not None  # it matches wherever _SCANNER does
        _add_token(text, found, tokens)
        position = found.end()
    return position


def _name_run_end(text: str, position: int) -> int:
    found = _NAME_RUN.match(text, position)
    assert found is not None  # the pattern matches the empty string
    return found.end()


def _add_token(text: str, found: re.Match[str], tokens: list[Token]) -> str:
    kind = found.lastgroup
    assert kind is not None  # every alternative of a scanner is a named group
    position = found.start(kind)
    if kind == "STRAY":
        raise _stray_character(text, position)
    token_text = found[kind]
    tokens.append((token_text if kind == "PUNCTUATION" else kind, token_text, position))
    return kind


def _stray_character(text: str, position: int) -> N3SyntaxError:
    character = text[position]
    return N3SyntaxError(text, position, _ERROR_REASONS.get(character, f"unexpected character {character!r}"))


_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_IRI_FORBIDDEN = re.compile(r"[<>\"{}|^`\\\x00-\x20]")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


def _unescape_one(found: re.Match[str]) -> str:
    short, long, character = found.groups()
    if character is not None:
        if character not in _ECHAR:
            raise ValueError(f"unknown escape \\{character}")
        return _ECHAR[character]
    code = int(short or long, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise ValueError(f"escape of an invalid code point U+{code:X}")
    return chr(code)


def unescape(text: str) -> str:
    """ECHAR and UCHAR escapes replaced (Turtle §6.4); ValueError on an unknown escape."""
    return _ESCAPE.sub(_unescape_one, text) if "\\" in text else text


# --- IRI resolution (RFC 3986 §5.2) -----------------------------------------------------

_REFERENCE = re.compile(
    r"(?:([A-Za-z][A-Za-z0-9+.\-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL
)
_Parts: TypeAlias = tuple[str | None, str | None, str, str | None, str | None]


def _split(reference: str) -> _Parts:
    found = _REFERENCE.fullmatch(reference)
    assert found is not None  # every string matches (RFC 3986 Appendix B)
    scheme, authority, path, query, fragment = found.groups()
    return scheme, authority, path, query, fragment


def resolve_iri(reference: str, base: str) -> str:
    """The target IRI of a reference against a base (RFC 3986 §5.2.2, strict)."""
    scheme, authority, path, query, fragment = _split(reference)
    if scheme is not None:
        return _recompose(scheme, authority, _remove_dot_segments(path), query, fragment)
    base_scheme, base_authority, base_path, base_query, _ = _split(base)
    if authority is not None:
        path = _remove_dot_segments(path)
    elif path == "":
        authority, path = base_authority, base_path
        query = base_query if query is None else query
    else:
        authority = base_authority
        if not path.startswith("/"):
            path = _merge(base_authority, base_path, path)
        path = _remove_dot_segments(path)
    return _recompose(base_scheme, authority, path, query, fragment)


def _merge(base_authority: str | None, base_path: str, path: str) -> str:
    # RFC 3986 §5.2.3
    if base_authority is not None and base_path == "":
        return "/" + path
    return base_path[: base_path.rfind("/") + 1] + path


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, walking the input with an index (linear, whatever the input)."""
    if "." not in path:
        return path
    output: list[str] = []
    i, end = 0, len(path)
    while i < end:
        if path.startswith("../", i):
            i += 3
        elif path.startswith("./", i) or path.startswith("/./", i):
            i += 2
        elif path.startswith("/../", i):
            i += 3
            _pop(output)
        elif path.startswith("/.", i) and i + 2 == end:
            output.append("/")
            i = end
        elif path.startswith("/..", i) and i + 3 == end:
            _pop(output)
            output.append("/")
            i = end
        elif path[i:] in (".", ".."):
            i = end
        else:
            next_slash = path.find("/", i + 1 if path[i] == "/" else i)
            segment_end = end if next_slash == -1 else next_slash
            output.append(path[i:segment_end])
            i = segment_end
    return "".join(output)


def _pop(output: list[str]) -> None:
    if output:
        output.pop()


def _recompose(
    scheme: str | None, authority: str | None, path: str, query: str | None, fragment: str | None
) -> str:
    # RFC 3986 §5.3
    parts = [] if scheme is None else [scheme, ":"]
    if authority is not None:
        parts += ["//", authority]
    parts.append(path)
    if query is not None:
        parts += ["?", query]
    if fragment is not None:
        parts += ["#", fragment]
    return "".join(parts)


# Patches name the same few IRIs again and again (their prefixes, `<#…>` of their target), so
# the nodes are kept; not those of long IRIs or bases, so the cache stays small (about 1 MB).
_LONGEST_KEPT_IRI = 512  # characters of the IRI token and the base together


def _iri_node(written: str, base: str) -> ox.NamedNode:
    """The node of an IRI token `<…>` resolved against the base; ValueError when it is not an IRI."""
    if len(written) + len(base) > _LONGEST_KEPT_IRI:
        return _resolve_iri_token(written, base)
    return _kept_iri_node(written, base)


def _resolve_iri_token(written: str, base: str) -> ox.NamedNode:
    reference = unescape(written[1:-1])
    if _IRI_FORBIDDEN.search(reference):
        raise ValueError("an escape stands for a character IRIs cannot contain")
    return ox.NamedNode(resolve_iri(reference, base))


_kept_iri_node = functools.lru_cache(maxsize=1024)(_resolve_iri_token)


# --- grammar ----------------------------------------------------------------------------

_DIRECTIVES = frozenset(("@prefix", "@base", "prefix", "base"))  # a WORD keyword in lower case
_BOOLEANS = {value: ox.Literal(value, datatype=_BOOLEAN) for value in ("true", "false")}


def parse_n3(text: str, base_iri: str) -> N3Document:
    """Parse a document of the supported N3 subset; N3SyntaxError when it is not one."""
    return _Parser(text, base_iri).document()


class _Parser:
    """Recursive descent over the tokens; `self.depth` bounds the recursion."""

    def __init__(self, text: str, base_iri: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0  # of the token at hand: the next one to consume
        self.kind = self.tokens[0][0]  # the kind of the token at hand
        self.depth = 0
        self.base = base_iri
        self.prefixes: dict[str, str] = {}
        self.names: dict[str, ox.NamedNode] = {}  # prefixed names expanded under the current prefixes
        self.labels: dict[tuple[Formula, str], ox.BlankNode] = {}
        self.label_formulas: defaultdict[str, set[Formula]] = defaultdict(set)

    # token access

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        """The token at hand, consumed; END is never consumed."""
        token = self.tokens[self.index]
        if self.kind != "END":
            self.index += 1
            self.kind = self.tokens[self.index][0]
        return token

    def expect(self, kind: str, what: str) -> Token:
        if self.kind != kind:
            raise self.error(self.peek(), f"expected {what}")
        return self.advance()

    def error(self, token: Token, reason: str) -> N3SyntaxError:
        kind, text, position = token
        found = "the end of the document" if kind == "END" else repr(text)
        return N3SyntaxError(self.text, position, f"{reason}, found {found}")

    # statements

    def document(self) -> N3Document:
        root = Formula()
        self.statements(root, closing="END")
        return N3Document(root, dict(self.label_formulas))

    def statements(self, formula: Formula, closing: str) -> None:
        # N3 `formulaContent`: within `{ }` the last statement needs no final `.`
        while self.kind != closing:
            if self.kind in ("AT", "WORD") and self.directive():
                continue
            self.triples(formula)
            if self.kind == ".":
                self.advance()
            elif closing != "}" or self.kind != "}":
                raise self.error(self.peek(), "expected '.' after a statement")

    def directive(self) -> bool:
        token = kind, text, _ = self.peek()
        keyword = text.lower() if kind == "WORD" else text
        if keyword not in _DIRECTIVES:
            if kind == "AT":
                raise self.error(token, "unsupported directive (only @prefix and @base)")
            return False
        self.advance()
        if keyword.endswith("prefix"):
            name = self.expect("PNAME", "a prefix name 'p:'")
            _, written, _ = name
            if not written.endswith(":") or written.count(":") != 1:
                raise self.error(name, "expected a prefix name 'p:'")
            self.prefixes[written[:-1]] = self.iri(self.expect("IRI", "an IRI <…>")).value
            self.names.clear()
        else:
            self.base = self.iri(self.expect("IRI", "an IRI <…>")).value
        if keyword.startswith("@"):
            self.expect(".", "'.' after the directive")
        return True

    def triples(self, formula: Formula) -> None:
        bracketed = self.kind == "["
        subject = self.term(formula)
        # Turtle: a `[ … ]` subject may stand alone as a statement
        if bracketed and self.kind in (".", "}", "END"):
            return
        self.predicate_objects(formula, subject)

    def predicate_objects(self, formula: Formula, subject: Node) -> None:
        statements = formula.statements
        while True:
            predicate = self.verb(formula)
            statements.append((subject, predicate, self.term(formula)))
            while self.kind == ",":
                self.advance()
                statements.append((subject, predicate, self.term(formula)))
            if self.kind != ";":
                return
            while self.kind == ";":
                self.advance()
            if self.kind in (".", "]", "}", "END"):
                return

    def verb(self, formula: Formula) -> Node:
        if self.kind == "WORD" and self.peek()[1] == "a":
            self.advance()
            return RDF_TYPE
        return self.term(formula)

    # terms

    def term(self, formula: Formula) -> Node:
        token = self.advance()
        kind, text, _ = token
        if kind == "IRI":
            return self.iri(token)
        if kind == "PNAME":
            return self.prefixed_name(token)
        if kind == "STRING":
            return self.literal(token)
        if kind == "BLANK":
            return self.labelled_blank_node(formula, text[2:])
        if kind == "VAR":
            return Variable(text[1:])
        if kind in _NUMBER_TYPES:
            return ox.Literal(text, datatype=_NUMBER_TYPES[kind])
        if kind == "WORD" and text in _BOOLEANS:
            return _BOOLEANS[text]
        if kind in ("[", "(", "{"):
            return self.nested(formula, token)
        raise self.error(token, "expected an RDF term")

    def iri(self, token: Token) -> ox.NamedNode:
        _, written, _ = token
        try:
            return _iri_node(written, self.base)
        except ValueError as error:
            raise self.error(token, f"Invalid term: {error}") from error

    def prefixed_name(self, token: Token) -> ox.NamedNode:
        _, written, _ = token
        node = self.names.get(written)
        if node is None:
            node = self.names[written] = self.expand(token)
        return node

    def expand(self, token: Token) -> ox.NamedNode:
        _, written, _ = token
        prefix, _, local = written.partition(":")
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            raise self.error(token, f"the prefix '{prefix}:' is not bound")
        if "\\" in local:
            local = _LOCAL_ESCAPE.sub(r"\1", local)
        try:
            return ox.NamedNode(namespace + local)
        except ValueError as error:
            raise self.error(token, f"Invalid term: {error}") from error

    def labelled_blank_node(self, formula: Formula, label: str) -> ox.BlankNode:
        # Like rdflib, a label names one blank node per formula; where it occurs is recorded.
        node = self.labels.get((formula, label))
        if node is None:
            node = self.labels[formula, label] = ox.BlankNode()
            self.label_formulas[label].add(formula)
        return node

    def literal(self, token: Token) -> ox.Literal:
        _, written, _ = token
        quote = 3 if written[:3] in ('"""', "'''") else 1
        try:
            value = unescape(written[quote:-quote])
            if self.kind == "AT":
                _, tag, _ = self.advance()
                return ox.Literal(value, language=tag[1:])
            if self.kind == "^^":
                self.advance()
                return ox.Literal(value, datatype=self.datatype())
            return ox.Literal(value)
        except ValueError as error:
            raise self.error(token, f"Invalid term: {error}") from error

    def datatype(self) -> ox.NamedNode:
        token = kind, _, _ = self.advance()
        if kind == "IRI":
            return self.iri(token)
        if kind == "PNAME":
            return self.prefixed_name(token)
        raise self.error(token, "expected a datatype IRI after '^^'")

    # nested structures

    def nested(self, formula: Formula, opening: Token) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(opening, f"nesting deeper than {MAX_DEPTH} levels")
        bracket, _, _ = opening
        try:
            if bracket == "[":
                return self.property_list(formula)
            if bracket == "(":
                return self.collection(formula)
            return self.formula()
        finally:
            self.depth -= 1

    def property_list(self, formula: Formula) -> ox.BlankNode:
        node = ox.BlankNode()
        if self.kind != "]":
            self.predicate_objects(formula, node)
        self.expect("]", "']'")
        return node

    def collection(self, formula: Formula) -> ox.NamedNode | ox.BlankNode:
        items: list[Node] = []
        while self.kind != ")":
            items.append(self.term(formula))
        self.advance()
        head: ox.NamedNode | ox.BlankNode = _RDF_NIL
        for item in reversed(items):
            cell = ox.BlankNode()
            formula.statements += [(cell, _RDF_FIRST, item), (cell, _RDF_REST, head)]
            head = cell
        return head

    def formula(self) -> Formula:
        formula = Formula()
        self.statements(formula, closing="}")
        self.advance()
        return formula
