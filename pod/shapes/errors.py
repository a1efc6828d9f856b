"""The refusals of a shape-constrained write: each names its shapes document in a constrainedBy Link."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from pod.errors import UnprocessableContent, UnsupportedMediaType
from pod.shapes.constraints import link_header


class ShapeViolation(UnprocessableContent):
    """422 whose body is the SHACL validation report (RDF, by content negotiation), not a problem document."""

    def __init__(self, shapes_url: str, report: Sequence[ox.Triple], what: str) -> None:
        super().__init__(
            f"{what} does not conform to the shapes in <{shapes_url}>", headers=link_header([shapes_url])
        )
        self.shapes_url = shapes_url
        self.graph = list(report)


def broken_shapes(shapes_url: str, reason: str) -> UnprocessableContent:
    """422 naming a shapes document that cannot be used: a constraint on it fails closed."""
    return UnprocessableContent(
        f"the shapes document <{shapes_url}> cannot be used: {reason}", headers=link_header([shapes_url])
    )


def rdf_only(container: str, shapes_url: str, media_type: str | None) -> UnsupportedMediaType:
    """415: the container's shapes accept no non-RDF member (no shape targets ldp:NonRDFSource)."""
    return UnsupportedMediaType(
        f"{container} is constrained by <{shapes_url}>, which accepts RDF documents, not {media_type}",
        headers=link_header([shapes_url]),
    )
