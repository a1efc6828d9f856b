"""Solid N3 Patch (`solid:InsertDeletePatch`): parse a patch document, check it, apply it to a graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

import pyoxigraph as ox
from rdflib import Graph
from rdflib.graph import QuotedGraph
from rdflib.namespace import RDF, XSD
from rdflib.plugins.parsers.notation3 import Formula, RDFSink, SinkParser, sfloat
from rdflib.term import BNode, Literal, Node, URIRef
from rdflib.term import Variable as RdfVariable

from pod.errors import BadRequest, Conflict, UnprocessableContent
from pod.wac.modes import AccessMode, AccessModes

SOLID = "http://www.w3.org/ns/solid/terms#"
_INSERT_DELETE_PATCH = URIRef(SOLID + "InsertDeletePatch")
_WHERE = URIRef(SOLID + "where")
_INSERTS = URIRef(SOLID + "inserts")
_DELETES = URIRef(SOLID + "deletes")
_FORMULA_NAMES = {_WHERE: "solid:where", _INSERTS: "solid:inserts", _DELETES: "solid:deletes"}

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True, slots=True)
class Variable:
    """An N3 `?name` variable of a patch formula.

    Our own type rather than `pyoxigraph.Variable`, which only accepts SPARQL variable names.
    """

    name: str


PatternTerm: TypeAlias = Term | Variable
TriplePattern: TypeAlias = tuple[PatternTerm, PatternTerm, PatternTerm]
# Blank nodes of the where formula are existential variables, so they are bound like variables.
Binding: TypeAlias = dict[Variable | ox.BlankNode, Term]


@dataclass(frozen=True)
class N3Patch:
    """A checked `solid:InsertDeletePatch`: its three formulas as triple patterns."""

    where: tuple[TriplePattern, ...] = ()
    inserts: tuple[TriplePattern, ...] = ()
    deletes: tuple[TriplePattern, ...] = ()

    def required_modes(self) -> AccessModes:
        """The access modes the patch needs on its target (Solid Protocol §N3 Patch)."""
        modes: set[AccessMode] = set()
        # Solid Protocol §N3 Patch: non-empty ?conditions → Read
        if self.where:
            modes.add(AccessMode.READ)
        # Solid Protocol §N3 Patch: non-empty ?insertions → (also) Append
        if self.inserts:
            modes.add(AccessMode.APPEND)
        # Solid Protocol §N3 Patch: non-empty ?deletions → Read and Write
        if self.deletes:
            modes.update((AccessMode.READ, AccessMode.WRITE))
        return frozenset(modes)

    def apply(self, graph: Iterable[ox.Triple]) -> list[ox.Triple]:
        """The graph after the patch; Conflict when the graph does not fit the patch."""
        triples = list(dict.fromkeys(graph))
        index = _TripleIndex(triples)
        binding = _single_binding(self.where, index)
        deletions = {_instantiate(pattern, binding, {}) for pattern in self.deletes}
        # Solid Protocol §N3 Patch: every resulting deletion must be in the dataset, else 409
        missing = deletions - index.present
        if missing:
            raise Conflict(
                f"The patch deletes {len(missing)} triple(s) the document does not contain, "
                f"e.g. {next(iter(missing))}."
            )
        # Solid Protocol §N3 Patch: each blank node of ?insertions becomes a new blank node
        fresh: dict[ox.BlankNode, ox.BlankNode] = {}
        insertions = [_instantiate(pattern, binding, fresh) for pattern in self.inserts]
        kept = [triple for triple in triples if triple not in deletions]
        return list(dict.fromkeys(kept + insertions))


def parse_n3_patch(text: str, base_iri: str) -> N3Patch:
    """Parse and check an N3 Patch document (Solid Protocol §Modifying Resources Using N3 Patches).

    Raises BadRequest for N3 that does not parse, UnprocessableContent for a document that
    breaks one of the patch constraints.
    """
    document = _parse_n3(text, base_iri)
    patch = _patch_resource(document.graph)
    formulas = {predicate: _formula(document.graph, patch, predicate) for predicate in _FORMULA_NAMES}
    _check_blank_node_labels(document, formulas)
    converter = _TermConverter()
    where = converter.patterns(formulas[_WHERE], "solid:where")
    inserts = converter.patterns(formulas[_INSERTS], "solid:inserts")
    deletes = converter.patterns(formulas[_DELETES], "solid:deletes")
    _check_deletes_have_no_blank_nodes(deletes)
    _check_variables_bound_by_where(where, inserts, "solid:inserts")
    _check_variables_bound_by_where(where, deletes, "solid:deletes")
    return N3Patch(where=where, inserts=inserts, deletes=deletes)


# --- parsing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _ParsedDocument:
    graph: Graph
    # Which formulas (by identifier, the root formula included) each `_:label` occurs in.
    label_formulas: dict[str, set[Node]]


class _LexicalSink(RDFSink):
    """rdflib's N3 sink, keeping literals' lexical forms as written.

    rdflib canonicalises literals by default ("01"^^xsd:integer → "1", "…00.000Z" → "…00Z"),
    which would stop a patch from matching the document's own terms.
    """

    def newLiteral(self, s: str, dt: URIRef | None, lang: str | None) -> Literal:
        return Literal(s, lang=lang, datatype=dt, normalize=False)

    def normalise(self, f: Formula | None, n: Any) -> Any:
        if isinstance(n, sfloat):
            return Literal(str(n), datatype=XSD.double, normalize=False)
        if isinstance(n, Decimal):
            return Literal(str(n), datatype=XSD.decimal, normalize=False)
        return super().normalise(f, n)


class _LabelRecordingParser(SinkParser):
    """rdflib's N3 parser, also noting in which formula each blank node label occurs.

    rdflib scopes `_:label` to its formula, so the same label in two formulas yields two
    unrelated blank nodes and the graph alone cannot show that a label was shared.
    """

    def __init__(self, sink: RDFSink, base_iri: str) -> None:
        super().__init__(sink, baseURI=base_iri, turtle=False)
        self.label_formulas: dict[str, set[Node]] = defaultdict(set)

    def anonymousNode(self, ln: str) -> BNode:
        if self._context is not None:
            self.label_formulas[ln].add(self._context.id())
        return super().anonymousNode(ln)


def _parse_n3(text: str, base_iri: str) -> _ParsedDocument:
    graph = Graph()  # its default store is formula-aware, as the N3 parser needs
    parser = _LabelRecordingParser(_LexicalSink(graph), base_iri)
    try:
        parser.loadBuf(text)
    # rdflib's N3 parser signals malformed input with assorted exception types
    # (BadSyntax, AssertionError, ValueError, IndexError…): all of them mean "not N3".
    except Exception as error:
        raise BadRequest(f"Invalid N3 patch document: {error}") from error
    return _ParsedDocument(graph, dict(parser.label_formulas))


def _patch_resource(graph: Graph) -> URIRef | BNode:
    candidates = {subject for subject, _, _ in graph.triples((None, RDF.type, _INSERT_DELETE_PATCH))}
    for predicate in _FORMULA_NAMES:
        candidates.update(subject for subject, _, _ in graph.triples((None, predicate, None)))
    # Solid Protocol §N3 Patch: the document contains exactly one patch resource
    if len(candidates) != 1:
        raise UnprocessableContent(
            "An N3 Patch document must contain exactly one patch resource, "
            f"but this one contains {len(candidates)}."
        )
    patch = next(iter(candidates))
    # Solid Protocol §N3 Patch: a patch resource is identified by a URI or blank node
    if not isinstance(patch, URIRef | BNode):
        raise UnprocessableContent("The patch resource must be identified by a URI or blank node.")
    # Solid Protocol §N3 Patch: the patch resource contains ?patch rdf:type solid:InsertDeletePatch
    if (patch, RDF.type, _INSERT_DELETE_PATCH) not in graph:
        raise UnprocessableContent("The patch resource must have the type solid:InsertDeletePatch.")
    return patch


def _formula(graph: Graph, patch: URIRef | BNode, predicate: URIRef) -> QuotedGraph | None:
    name = _FORMULA_NAMES[predicate]
    objects = list(graph.objects(patch, predicate))
    # Solid Protocol §N3 Patch: at most one solid:deletes / solid:inserts / solid:where
    if len(objects) > 1:
        raise UnprocessableContent(
            f"The patch resource has {len(objects)} {name} formulas, at most one is allowed."
        )
    if not objects:
        return None
    # Solid Protocol §N3 Patch: ?deletions, ?insertions and ?conditions are cited formulae
    if not isinstance(objects[0], QuotedGraph):
        raise UnprocessableContent(f"The object of {name} must be a formula {{ … }}.")
    return objects[0]


def _check_blank_node_labels(document: _ParsedDocument, formulas: dict[URIRef, QuotedGraph | None]) -> None:
    # Solid Protocol §N3 Patch: a blank node label of ?insertions or ?conditions is used nowhere else
    guarded = {
        formula.identifier: _FORMULA_NAMES[predicate]
        for predicate in (_WHERE, _INSERTS)
        if (formula := formulas[predicate]) is not None
    }
    for label, found_in in document.label_formulas.items():
        shared = len(found_in) > 1
        for identifier, name in guarded.items():
            if shared and identifier in found_in:
                raise UnprocessableContent(
                    f"The blank node _:{label} of {name} must not be used anywhere else "
                    "in the patch document."
                )


class _TermConverter:
    """rdflib terms of the patch formulas → pyoxigraph terms and our variables."""

    def __init__(self) -> None:
        # One pyoxigraph blank node per rdflib blank node of the patch.
        self._blank_nodes: dict[BNode, ox.BlankNode] = {}

    def patterns(self, formula: QuotedGraph | None, name: str) -> tuple[TriplePattern, ...]:
        if formula is None:
            return ()
        return tuple(self._pattern(triple, name) for triple in formula)

    def _pattern(self, triple: tuple[Node, Node, Node], name: str) -> TriplePattern:
        subject, predicate, object_ = (self._term(node, name) for node in triple)
        if isinstance(subject, ox.Literal):
            raise UnprocessableContent(f"A triple of {name} has a literal as its subject: {subject}.")
        if not isinstance(predicate, ox.NamedNode | Variable):
            raise UnprocessableContent(f"A triple of {name} has {predicate} as its predicate.")
        return (subject, predicate, object_)

    def _term(self, node: Node, name: str) -> PatternTerm:
        # Solid Protocol §N3 Patch: the formulae are non-nested
        if isinstance(node, QuotedGraph):
            raise UnprocessableContent(f"The formula of {name} must not contain nested formulae.")
        if isinstance(node, RdfVariable):
            return Variable(str(node))
        if isinstance(node, BNode):
            return self._blank_nodes.setdefault(node, ox.BlankNode())
        try:
            if isinstance(node, URIRef):
                return ox.NamedNode(str(node))
            if isinstance(node, Literal):
                return _literal(node)
        except ValueError as error:
            raise BadRequest(f"Invalid term in {name}: {error}") from error
        raise UnprocessableContent(f"The formula of {name} contains an unsupported term: {node!r}.")


def _literal(literal: Literal) -> ox.Literal:
    if literal.language is not None:
        return ox.Literal(str(literal), language=literal.language)
    if literal.datatype is not None:
        return ox.Literal(str(literal), datatype=ox.NamedNode(str(literal.datatype)))
    return ox.Literal(str(literal))


def _check_deletes_have_no_blank_nodes(deletes: tuple[TriplePattern, ...]) -> None:
    # Solid Protocol §N3 Patch: the ?deletions formula must not contain blank nodes
    if any(isinstance(term, ox.BlankNode) for pattern in deletes for term in pattern):
        raise UnprocessableContent("The solid:deletes formula must not contain blank nodes.")


def _check_variables_bound_by_where(
    where: tuple[TriplePattern, ...], patterns: tuple[TriplePattern, ...], name: str
) -> None:
    # Solid Protocol §N3 Patch: ?insertions and ?deletions only use variables of ?conditions
    unbound = _variables(patterns) - _variables(where)
    if unbound:
        listed = ", ".join(sorted(f"?{variable.name}" for variable in unbound))
        raise UnprocessableContent(f"{name} uses variables that do not occur in solid:where: {listed}.")


def _variables(patterns: Iterable[TriplePattern]) -> set[Variable]:
    return {term for pattern in patterns for term in pattern if isinstance(term, Variable)}


# --- application ------------------------------------------------------------------------


class _TripleIndex:
    """The document's triples, with per-position indexes built on first use."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.triples = triples
        self.present = set(triples)
        self._by_position: list[dict[Term, list[ox.Triple]] | None] = [None, None, None]

    def candidates(self, pattern: TriplePattern, binding: Binding) -> list[ox.Triple]:
        """Triples that may match the pattern under the binding (a superset, cheap to find)."""
        bound = [_resolve(term, binding) for term in pattern]
        subject, predicate, object_ = bound
        if subject is not None and predicate is not None and object_ is not None:
            triple = _triple_or_none(subject, predicate, object_)
            return [triple] if triple is not None and triple in self.present else []
        lists = [
            self._index(position).get(term, []) for position, term in enumerate(bound) if term is not None
        ]
        return min(lists, key=len) if lists else self.triples

    def _index(self, position: int) -> dict[Term, list[ox.Triple]]:
        index = self._by_position[position]
        if index is None:
            index = defaultdict(list)
            for triple in self.triples:
                index[triple[position]].append(triple)
            self._by_position[position] = index
        return index


def _resolve(term: PatternTerm, binding: Binding) -> Term | None:
    if isinstance(term, Variable | ox.BlankNode):
        return binding.get(term)
    return term


def _triple_or_none(subject: Term, predicate: Term, object_: Term) -> ox.Triple | None:
    # A variable bound to a literal cannot stand as a subject, nor anything but an IRI as predicate.
    if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
        return None
    return ox.Triple(subject, predicate, object_)


def _single_binding(where: tuple[TriplePattern, ...], index: _TripleIndex) -> Binding:
    if not where:
        return {}
    mappings = _Matcher(where, index).distinct_mappings(limit=2)
    # Solid Protocol §N3 Patch: no mapping, or several mappings → 409
    if not mappings:
        raise Conflict("The solid:where formula matches nothing in the document.")
    if len(mappings) > 1:
        raise Conflict("The solid:where formula matches the document in more than one way.")
    return mappings[0]


class _Matcher:
    """Finds the variable mappings under which every where-pattern is a triple of the document."""

    def __init__(self, patterns: tuple[TriplePattern, ...], index: _TripleIndex) -> None:
        self._patterns = patterns
        self._index = index
        self._variables = _variables(patterns)

    def distinct_mappings(self, limit: int) -> list[Binding]:
        """Up to `limit` mappings of the variables; blank nodes only need some witness."""
        mappings: list[Binding] = []
        for binding in self._search(list(self._patterns), {}, witness_only=False):
            mapping: Binding = {variable: binding[variable] for variable in self._variables}
            if mapping not in mappings:
                mappings.append(mapping)
                if len(mappings) == limit:
                    break
        return mappings

    def _search(
        self, remaining: list[TriplePattern], binding: Binding, *, witness_only: bool
    ) -> Iterator[Binding]:
        if not remaining:
            yield binding
            return
        if not witness_only and self._variables.issubset(binding):
            # Every variable is bound: the rest only has to hold for one choice of blank nodes.
            witness = next(self._search(remaining, binding, witness_only=True), None)
            if witness is not None:
                yield witness
            return
        # Most selective pattern first.
        position, candidates = min(
            ((i, self._index.candidates(pattern, binding)) for i, pattern in enumerate(remaining)),
            key=lambda choice: len(choice[1]),
        )
        pattern, rest = remaining[position], remaining[:position] + remaining[position + 1 :]
        for triple in candidates:
            extended = _unify(pattern, triple, binding)
            if extended is not None:
                yield from self._search(rest, extended, witness_only=witness_only)


def _unify(pattern: TriplePattern, triple: ox.Triple, binding: Binding) -> Binding | None:
    extended = binding
    for slot, value in zip(pattern, triple, strict=True):
        if isinstance(slot, Variable | ox.BlankNode):
            bound = extended.get(slot)
            if bound is None:
                extended = {**extended, slot: value}
            elif bound != value:
                return None
        elif slot != value:
            return None
    return extended


def _instantiate(
    pattern: TriplePattern, binding: Binding, fresh: dict[ox.BlankNode, ox.BlankNode]
) -> ox.Triple:
    terms: list[Term] = []
    for term in pattern:
        if isinstance(term, Variable):
            terms.append(binding[term])
        elif isinstance(term, ox.BlankNode):
            terms.append(fresh.setdefault(term, ox.BlankNode()))
        else:
            terms.append(term)
    triple = _triple_or_none(*terms)
    if triple is None:
        raise Conflict(
            f"The patch would produce a triple that is not valid RDF: {' '.join(map(str, terms))}."
        )
    return triple
