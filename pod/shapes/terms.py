"""Graphs moved between pyoxigraph (the server's RDF engine) and rdflib (what pyshacl works on)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise ValueError("RDF-star quoted triples cannot be validated with SHACL")


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in triples:
        graph.add((_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object)))
    return graph


def _to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        datatype = str(term.datatype) if term.datatype else _XSD_STRING
        return ox.Literal(str(term), datatype=ox.NamedNode(datatype))
    raise ValueError(f"not an RDF term: {term!r}")


def from_rdflib(graph: rdflib.Graph) -> list[ox.Triple]:
    triples = []
    for s, p, o in graph:
        subject, predicate = _to_ox(s), _to_ox(p)
        assert not isinstance(subject, ox.Literal) and isinstance(predicate, ox.NamedNode)
        triples.append(ox.Triple(subject, predicate, _to_ox(o)))
    return triples
