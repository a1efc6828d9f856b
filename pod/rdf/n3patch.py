"""Solid N3 Patch (`solid:InsertDeletePatch`): parse a patch document, check it, apply it to a graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeAlias

import pyoxigraph as ox

from pod.errors import BadRequest, Conflict, UnprocessableContent
from pod.rdf.n3_syntax import (
    RDF_TYPE,
    Formula,
    N3Document,
    N3SyntaxError,
    Node,
    Statement,
    Variable,
    parse_n3,
)
from pod.wac.modes import AccessMode, AccessModes

__all__ = ["N3Patch", "Variable", "parse_n3_patch"]

SOLID = "http://www.w3.org/ns/solid/terms#"
_INSERT_DELETE_PATCH = ox.NamedNode(SOLID + "InsertDeletePatch")
_WHERE = ox.NamedNode(SOLID + "where")
_INSERTS = ox.NamedNode(SOLID + "inserts")
_DELETES = ox.NamedNode(SOLID + "deletes")
_FORMULA_NAMES = {_WHERE: "solid:where", _INSERTS: "solid:inserts", _DELETES: "solid:deletes"}

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
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

    def searches(self) -> bool:
        return bool(self.where)

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
    try:
        document = parse_n3(text, base_iri)
    except N3SyntaxError as error:
        raise BadRequest(f"Invalid N3 patch document: {error}") from error
    statements = set(document.root.statements)
    patch = _patch_resource(statements)
    formulas = _formulas(statements, patch)
    _check_blank_node_labels(document, formulas)
    where = _patterns(formulas[_WHERE], "solid:where")
    inserts = _patterns(formulas[_INSERTS], "solid:inserts")
    deletes = _patterns(formulas[_DELETES], "solid:deletes")
    _check_deletes_have_no_blank_nodes(deletes)
    where_variables = _variables(where)
    _check_variables_bound_by_where(where_variables, inserts, "solid:inserts")
    _check_variables_bound_by_where(where_variables, deletes, "solid:deletes")
    return N3Patch(where=where, inserts=inserts, deletes=deletes)


# --- the patch constraints --------------------------------------------------------------


def _patch_resource(statements: set[Statement]) -> ox.NamedNode | ox.BlankNode:
    candidates = {
        subject
        for subject, predicate, object_ in statements
        if predicate in _FORMULA_NAMES or (predicate == RDF_TYPE and object_ == _INSERT_DELETE_PATCH)
    }
    # Solid Protocol §N3 Patch: the document contains exactly one patch resource
    if len(candidates) != 1:
        raise UnprocessableContent(
            "An N3 Patch document must contain exactly one patch resource, "
            f"but this one contains {len(candidates)}."
        )
    patch = next(iter(candidates))
    # Solid Protocol §N3 Patch: a patch resource is identified by a URI or blank node
    if not isinstance(patch, ox.NamedNode | ox.BlankNode):
        raise UnprocessableContent("The patch resource must be identified by a URI or blank node.")
    # Solid Protocol §N3 Patch: the patch resource contains ?patch rdf:type solid:InsertDeletePatch
    if (patch, RDF_TYPE, _INSERT_DELETE_PATCH) not in statements:
        raise UnprocessableContent("The patch resource must have the type solid:InsertDeletePatch.")
    return patch


def _formulas(
    statements: set[Statement], patch: ox.NamedNode | ox.BlankNode
) -> dict[ox.NamedNode, Formula | None]:
    """The where, inserts and deletes formulas of the patch resource (None for one it lacks)."""
    objects: dict[Node, list[Node]] = {predicate: [] for predicate in _FORMULA_NAMES}
    for subject, predicate, object_ in statements:
        if subject == patch and predicate in objects:
            objects[predicate].append(object_)
    return {predicate: _formula(objects[predicate], name) for predicate, name in _FORMULA_NAMES.items()}


def _formula(objects: list[Node], name: str) -> Formula | None:
    # Solid Protocol §N3 Patch: at most one solid:deletes / solid:inserts / solid:where
    if len(objects) > 1:
        raise UnprocessableContent(
            f"The patch resource has {len(objects)} {name} formulas, at most one is allowed."
        )
    if not objects:
        return None
    # Solid Protocol §N3 Patch: ?deletions, ?insertions and ?conditions are cited formulae
    if not isinstance(objects[0], Formula):
        raise UnprocessableContent(f"The object of {name} must be a formula {{ … }}.")
    return objects[0]


def _check_blank_node_labels(document: N3Document, formulas: dict[ox.NamedNode, Formula | None]) -> None:
    # Solid Protocol §N3 Patch: a blank node label of ?insertions or ?conditions is used nowhere else
    for label, found_in in document.label_formulas.items():
        if len(found_in) == 1:
            continue
        for predicate in (_WHERE, _INSERTS):
            formula = formulas[predicate]
            if formula is not None and formula in found_in:
                raise UnprocessableContent(
                    f"The blank node _:{label} of {_FORMULA_NAMES[predicate]} must not be used anywhere else "
                    "in the patch document."
                )


def _patterns(formula: Formula | None, name: str) -> tuple[TriplePattern, ...]:
    if formula is None:
        return ()
    # A formula is a set of statements: the same one written twice counts once.
    return tuple(_pattern(statement, name) for statement in dict.fromkeys(formula.statements))


def _pattern(statement: Statement, name: str) -> TriplePattern:
    subject, predicate, object_ = statement
    # Solid Protocol §N3 Patch: the formulae are non-nested
    if isinstance(subject, Formula) or isinstance(predicate, Formula) or isinstance(object_, Formula):
        raise UnprocessableContent(f"The formula of {name} must not contain nested formulae.")
    if isinstance(subject, ox.Literal):
        raise UnprocessableContent(f"A triple of {name} has a literal as its subject: {subject}.")
    if not isinstance(predicate, ox.NamedNode | Variable):
        raise UnprocessableContent(f"A triple of {name} has {predicate} as its predicate.")
    return (subject, predicate, object_)


def _check_deletes_have_no_blank_nodes(deletes: tuple[TriplePattern, ...]) -> None:
    # Solid Protocol §N3 Patch: the ?deletions formula must not contain blank nodes
    if any(isinstance(term, ox.BlankNode) for pattern in deletes for term in pattern):
        raise UnprocessableContent("The solid:deletes formula must not contain blank nodes.")


def _check_variables_bound_by_where(
    where_variables: set[Variable], patterns: tuple[TriplePattern, ...], name: str
) -> None:
    # Solid Protocol §N3 Patch: ?insertions and ?deletions only use variables of ?conditions
    unbound = _variables(patterns) - where_variables
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
