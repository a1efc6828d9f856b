"""Where a query calls SERVICE, as a real SPARQL parser reads it: each clause, its endpoint, its place.

pyoxigraph exposes no parser, and would run a SERVICE itself over plain HTTP (no SSRF guard,
no size cap), so the endpoint must find every SERVICE clause before oxigraph sees the query,
and hand oxigraph a query without any (pod.sparql.federated puts the remote answers in their
place). The clauses are found by rdflib's grammar of the whole SPARQL 1.1 Query language, so
the word "service" inside a literal, an IRI, a prefixed name or a comment is no clause.

Both parsers must read the same text the same way. So the text parsed is the text run:
SPARQL 1.1 Query §19.2 code point escapes (`\\u0053ERVICE`) are expanded first (oxigraph
expands them only inside strings and IRIs; a text whose escapes differ is not the same query
to both), and what rdflib cannot parse (oxigraph's extensions, or tricks that split the two
parsers, such as `trueSERVICE`) falls back to the conservative lexical check of pod.sparql.scan,
which refuses any "service" that might be the keyword. A query without the letters "service"
in any case cannot call one and is not parsed at all.

rdflib (~18 MB) is imported the first time a query mentions "service", not at start-up.
rdflib's own grammar objects are shared with the rest of the server (SPARQL Update PATCH), so
this module parses with a private deep copy, in which the ServiceGraphPattern rule also notes
where it starts and ends (rdflib's own `service_string` is the first SERVICE-looking text
anywhere in the query, which may be inside a literal).
"""

from __future__ import annotations

import copy
import functools
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from pod.errors import BadRequest
from pod.sparql import scan

if TYPE_CHECKING:
    from pyparsing import ParserElement, ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

_SERVICE_WORD = re.compile("service", re.IGNORECASE)
# Larger queries that mention "service" get the lexical check only: the grammar takes ~0.5 s on 64 KiB.
MAX_PARSED_CHARS = 64 * 1024
# SPARQL 1.1 Query §19.8 [173] PN_LOCAL_ESC: the backslash of an escaped local name character goes.
_LOCAL_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class ServiceClause:
    """One `SERVICE [SILENT] <endpoint> { pattern }` of a query, and the query to send the endpoint."""

    start: int  # where the clause starts and ends in ServiceQuery.text
    end: int
    endpoint: str  # absolute, as resolved against the query's BASE and PREFIX declarations
    silent: bool
    # SPARQL 1.1 Federated Query: the endpoint evaluates the pattern, here as `SELECT * WHERE pattern`,
    # with only the declarations it needs (the prefixes it uses; the base only for relative IRIs).
    query: str
    variables: tuple[str, ...]  # the variables the pattern mentions, in order of first mention


@dataclass(frozen=True, slots=True)
class ServiceQuery:
    """A query and its SERVICE clauses; `text` is what runs (escapes expanded when it has clauses)."""

    text: str
    clauses: tuple[ServiceClause, ...]


@functools.cache
def _located_service() -> type:
    """rdflib's ServiceGraphPattern, which also remembers where it ends (pyparsing passes the end here)."""
    from rdflib.plugins.sparql.parserutils import Comp, CompValue, ParamValue

    class LocatedService(Comp):
        def postParse(self, instring: str, loc: int, tokenList: ParseResults) -> CompValue:
            clause = CompValue(self.name)
            for token in tokenList:
                if isinstance(token, ParamValue):
                    clause[token.name] = token.tokenList
            clause["end"] = loc
            return clause

    return LocatedService


def _location(_text: str, loc: int, _tokens: ParseResults) -> int:
    return loc


@functools.cache
def grammar() -> ParserElement:
    """A private copy of rdflib's Query rule whose SERVICE clauses note where they and their pattern start."""
    from pyparsing import Optional, Suppress, ZeroOrMore
    from rdflib.plugins.sparql import parser as sparql_grammar
    from rdflib.plugins.sparql.parserutils import Param, ParamList

    memo: dict[int, Any] = {}
    query: ParserElement = copy.deepcopy(sparql_grammar.Query, memo)
    service = memo[id(sparql_grammar.ServiceGraphPattern)]
    keyword, silent, term, graph = _sequence(service.expr)
    # SPARQL 1.1 Query §19.8 [59] ServiceGraphPattern ::= 'SERVICE' 'SILENT'? VarOrIri GroupGraphPattern,
    # with markers where the clause and its group graph pattern start.
    rule = Param("start", _marker()) + keyword + silent + term + Param("group", _marker()) + graph
    for ignored in query.ignoreExprs:  # comments, as everywhere else in the grammar
        rule.ignore(ignored)
    service.expr = rule
    service.__class__ = _located_service()
    # rdflib writes [55] TriplesBlock ::= TriplesSameSubjectPath ( '.' TriplesBlock? )? as recursion,
    # a few Python frames per triple: a hundred triples in one block exceed the recursion limit.
    # The same language as a loop, so that long queries parse too (and [74] ConstructTriples alike).
    for name, rule_name, triple in (
        ("TriplesBlock", "triples", "TriplesSameSubjectPath"),
        ("ConstructTriples", "template", "TriplesSameSubject"),
    ):
        one = ParamList(rule_name, memo[id(getattr(sparql_grammar, triple))])
        loop = one + ZeroOrMore(Suppress(".") + one) + Optional(Suppress("."))
        for ignored in query.ignoreExprs:
            loop.ignore(ignored)
        forward = memo[id(getattr(sparql_grammar, name))]
        forward <<= loop
    # Positions are counted in the text as given: no tab expansion.
    return query.parse_with_tabs()


def _sequence(element: ParserElement) -> list[ParserElement]:
    """The elements of a sequence (`a + b + c` nests as And(And(a, b), c)), in order."""
    from pyparsing import And

    if isinstance(element, And):
        return [part for inner in element.exprs for part in _sequence(inner)]
    return [element]


def _field(node: CompValue, name: str) -> Any:
    """A parameter of a parse tree node, or None (CompValue.get returns the name itself when it is absent)."""
    return OrderedDict.get(node, name)


def _marker() -> ParserElement:
    from pyparsing import Empty

    return Empty().set_parse_action(_location)


def mentions_service(query: str) -> bool:
    """Whether the letters "service" appear at all (oxigraph's keywords are ASCII, in any case)."""
    return _SERVICE_WORD.search(query) is not None


def find_services(query: str, base_iri: str) -> ServiceQuery:
    """The SERVICE clauses of a read-only query; 400 when one cannot be run or the query cannot be checked.

    Slow on long queries (a full parse): call it off the event loop.
    """
    if not mentions_service(query):
        return ServiceQuery(query, ())
    from rdflib.plugins.sparql import parser as sparql_grammar
    from rdflib.term import Variable

    try:
        # SPARQL 1.1 Query §19.2: code point escapes are replaced before parsing.
        expanded = sparql_grammar.expandUnicodeEscapes(query)
    except ValueError as error:
        raise BadRequest(f"the query does not parse: {error}") from error
    if len(expanded) > MAX_PARSED_CHARS:
        scan.check_services(query, f"this query is longer than the {MAX_PARSED_CHARS} characters parsed")
        return ServiceQuery(query, ())
    parsed = _parse(expanded)
    if parsed is None:
        # Not readable by the grammar: only the lexical check stands between oxigraph and a SERVICE.
        scan.check_services(query, "this query does not parse as SPARQL 1.1")
        return ServiceQuery(query, ())
    base, prefixes = _declarations(parsed[0], base_iri)
    clauses = []
    for found in _service_patterns(parsed):
        if next(_service_patterns(found["graph"]), None) is not None:
            raise BadRequest(
                "SERVICE is refused inside a SERVICE: the remote endpoint would call a third one "
                "on this query's behalf. Write the two SERVICE clauses side by side"
            )
        group, end = int(found["group"]), int(found["end"])
        clauses.append(
            ServiceClause(
                start=int(found["start"]),
                end=end,
                endpoint=_endpoint(found["term"], base, prefixes),
                silent=_field(found, "silent") is not None,
                query=_remote_query(found["graph"], expanded[group:end], base, prefixes),
                variables=tuple(dict.fromkeys(str(v) for v in _terms(found["graph"], Variable))),
            )
        )
    return ServiceQuery(expanded, tuple(clauses))


def _parse(text: str) -> ParseResults | None:
    try:
        return grammar().parse_string(text, parse_all=True)
    # pyparsing raises ParseException on bad syntax; rdflib's parse actions raise others (a bad
    # language tag), and deep nesting a RecursionError.
    except Exception:
        return None


def _declarations(prologue: ParseResults, base_iri: str) -> tuple[str, dict[str, str]]:
    """The base and prefixes a query declares (SPARQL 1.1 Query §4.1.1: each against the base so far)."""
    base, prefixes = base_iri, {}
    for declaration in prologue:
        if declaration.name == "Base":
            base = urljoin(base, str(declaration["iri"]))
        elif declaration.name == "PrefixDecl":
            prefixes[str(_field(declaration, "prefix") or "")] = urljoin(base, str(declaration["iri"]))
    return base, prefixes


def _remote_query(graph: object, pattern: str, base: str, prefixes: dict[str, str]) -> str:
    from rdflib.term import URIRef

    lines = []
    if any(not urlsplit(str(iri)).scheme for iri in _terms(graph, URIRef)):
        lines.append(f"BASE <{base}>")
    for prefix in dict.fromkeys(str(_field(name, "prefix") or "") for name in _pnames(graph)):
        if prefix not in prefixes:
            raise BadRequest(f"the query does not parse: the prefix {prefix!r} is not declared")
        lines.append(f"PREFIX {prefix}: <{prefixes[prefix]}>")
    lines.append(f"SELECT * WHERE {pattern}")
    return "\n".join(lines)


def _endpoint(term: object, base: str, prefixes: dict[str, str]) -> str:
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    if isinstance(term, Variable):
        # SPARQL 1.1 Federated Query allows `SERVICE ?endpoint`, which cannot be checked before it runs.
        raise BadRequest(
            f"SERVICE is refused for ?{term}: name the endpoint with an IRI, so that it can be "
            "checked against this server's allow-list before the query runs"
        )
    if isinstance(term, CompValue) and term.name == "pname":
        prefix = str(_field(term, "prefix") or "")
        if prefix not in prefixes:
            raise BadRequest(f"the query does not parse: the prefix {prefix!r}: is not declared")
        return prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", str(_field(term, "localname") or ""))
    return urljoin(base, str(term))


def _service_patterns(tree: object) -> Iterator[CompValue]:
    """The outermost ServiceGraphPattern nodes of a parse tree, in the order they are written."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(tree, CompValue):
        if tree.name == "ServiceGraphPattern":
            yield tree
            return
        for value in tree.values():
            yield from _service_patterns(value)
    elif isinstance(tree, ParseResults | list | tuple):
        for item in tree:
            yield from _service_patterns(item)


def _terms(tree: object, kind: type[Any]) -> Iterator[Any]:
    """Every term of a kind (Variable, URIRef) in a parse tree, in the order they are written."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(tree, kind):
        yield tree
    elif isinstance(tree, CompValue):
        for value in tree.values():
            yield from _terms(value, kind)
    elif isinstance(tree, ParseResults | list | tuple):
        for item in tree:
            yield from _terms(item, kind)


def _pnames(tree: object) -> Iterator[CompValue]:
    """Every prefixed name in a parse tree (IRIs written `prefix:local`, datatypes too)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(tree, CompValue):
        if tree.name == "pname":
            yield tree
            return
        for value in tree.values():
            yield from _pnames(value)
    elif isinstance(tree, ParseResults | list | tuple):
        for item in tree:
            yield from _pnames(item)
