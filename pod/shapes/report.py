"""SHACL validation reports (SHACL §3.6) merged into one: which members of a container fail."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

SH = "http://www.w3.org/ns/shacl#"
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_REPORT = ox.NamedNode(SH + "ValidationReport")
_CONFORMS = ox.NamedNode(SH + "conforms")
_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")


def merged_report(reports: Iterable[ox.Triple], summary: str) -> list[ox.Triple]:
    """One non-conforming sh:ValidationReport holding every result of `reports`, with a summary comment."""
    triples = list(reports)
    nodes = {t.subject for t in triples if t.predicate == _TYPE and t.object == _REPORT}
    merged = ox.BlankNode()
    graph = [
        ox.Triple(merged, _TYPE, _REPORT),
        ox.Triple(merged, _CONFORMS, ox.Literal("false", datatype=_BOOLEAN)),
        ox.Triple(merged, _COMMENT, ox.Literal(summary)),
    ]
    for t in triples:
        if t.subject in nodes:
            if t.predicate in (_TYPE, _CONFORMS):
                continue
            graph.append(ox.Triple(merged, t.predicate, t.object))  # sh:result, kept
        else:
            graph.append(t)
    return graph
