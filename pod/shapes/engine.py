"""pyshacl behind two calls: compile a shapes document once, then validate data graphs against it.

Both are blocking and CPU-bound: the caller runs them off the event loop (pod.shapes.deadline).
pyshacl (about 20 MB once imported) and rdflib (about 18 MB) are loaded the first time a shapes
document is compiled, so a server whose writes meet no constraint never pays for them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    import rdflib
    from pyshacl import ShapesGraph

SH = "http://www.w3.org/ns/shacl#"
LDP_NON_RDF_SOURCE = "http://www.w3.org/ns/ldp#NonRDFSource"
# How many shapes deep pyshacl follows sh:node and friends before it refuses (recursive shapes).
MAX_VALIDATION_DEPTH = 15
# The first lines of a meta-SHACL report are enough to say what is wrong with a shapes document.
_REASON_LINES = 12


class NotShapes(Exception):
    """The document is RDF but not a usable SHACL shapes graph; the message says why."""


@dataclass(frozen=True, slots=True)
class Outcome:
    conforms: bool
    report: list[ox.Triple]  # the sh:ValidationReport graph


class CompiledShapes:
    """A shapes document parsed, checked against SHACL's own shapes, and its shapes harvested once."""

    def __init__(self, graph: rdflib.Graph) -> None:
        from pyshacl import ShapesGraph
        from rdflib import URIRef

        self._shapes: ShapesGraph = ShapesGraph(graph)
        if not self._shapes.shapes:  # harvesting: the costly part, done once per document version
            raise NotShapes("it declares no SHACL shapes")
        # DESIGN: a container that accepts non-RDF members says so in SHACL, by a shape that
        # targets ldp:NonRDFSource (the server describes a non-RDF write as one).
        self.accepts_non_rdf = (None, URIRef(SH + "targetClass"), URIRef(LDP_NON_RDF_SOURCE)) in graph
        # pyshacl's harvested shapes keep state while they validate: one validation at a time.
        self._lock = threading.Lock()
        # A validation stopped midway (its time limit) may leave that state half-updated.
        self.interrupted = False

    @classmethod
    def compile(cls, triples: Sequence[ox.Triple], *, checked: bool = False) -> CompiledShapes:
        """Check a shapes document against the SHACL-SHACL shapes (SHACL §Appendix C) and compile it.

        `checked`: the document is known to be valid SHACL (the shipped ones, by their tests), so
        the check, 100-500 ms where compiling takes 1 ms, is skipped.
        """
        from pyshacl.entrypoints import meta_validate

        from pod.shapes.terms import to_rdflib

        graph = to_rdflib(triples)
        if checked:
            return cls(graph)
        conforms, _, text = meta_validate(graph)
        if not conforms:
            raise NotShapes("it is not valid SHACL: " + " ".join(str(text).splitlines()[:_REASON_LINES]))
        return cls(graph)

    def validate(self, data: Sequence[ox.Triple]) -> Outcome:
        """Validate `data`; raises pyshacl's own errors when the shapes cannot be evaluated."""
        from pyshacl import Validator
        from pyshacl.graph_abstraction import DataGraph
        from rdflib import Graph

        from pod.shapes.terms import from_rdflib, to_rdflib

        options = {"inplace": True, "max_validation_depth": MAX_VALIDATION_DEPTH}
        # pyshacl compiles the shapes graph it is given each time: hand it the compiled one instead.
        validator = Validator(DataGraph.from_rdflib(to_rdflib(data)), shacl_graph=Graph(), options=options)
        validator.shacl_graph = self._shapes
        with self._lock:
            try:
                conforms, report, _ = validator.run()  # type: ignore[no-untyped-call]
            except BaseException:
                self.interrupted = True  # never used again: the caller compiles the document afresh
                raise
        return Outcome(bool(conforms), from_rdflib(report))
