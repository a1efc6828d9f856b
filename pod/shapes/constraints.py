"""A container's constraint as its description states it, and a written resource as SHACL sees it."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

LDP = "http://www.w3.org/ns/ldp#"
CONSTRAINED_BY = LDP + "constrainedBy"
# Solid Protocol §Constraints and Problem Details: the relation of the Link to the constraints.
CONSTRAINED_BY_LINK = f'rel="{CONSTRAINED_BY}"'
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SIZE = ox.NamedNode("http://www.w3.org/ns/posix/stat#size")
_MEDIA_TYPES = "http://www.w3.org/ns/iana/media-types/"
_XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def constrained_by(description: Iterable[ox.Triple], container_url: str) -> tuple[str, ...]:
    """The shapes documents `<container> ldp:constrainedBy <...>` names, sorted, without fragments."""
    found = {
        t.object.value.partition("#")[0]
        for t in description
        if t.predicate.value == CONSTRAINED_BY
        and isinstance(t.subject, ox.NamedNode)
        and t.subject.value == container_url
        and isinstance(t.object, ox.NamedNode)
    }
    return tuple(sorted(found))


def link_header(shapes_urls: Iterable[str]) -> dict[str, str]:
    """The `Link: <shapes>; rel=".../ldp#constrainedBy"` a refused write carries."""
    return {"Link": ", ".join(f"<{url}>; {CONSTRAINED_BY_LINK}" for url in shapes_urls)}


def resource_description(
    url: str, *, rdf: bool, media_type: str | None, size: int | None = None
) -> list[ox.Triple]:
    """What the server says about a written resource, added to the graph it validates.

    A shape can then speak of the document itself (`sh:targetClass ldp:RDFSource`) and of
    non-RDF members (`sh:targetClass ldp:NonRDFSource`, their media type and size), in the
    terms the container listing uses (Solid Protocol §Contained Resource Metadata). A
    container (`media_type` None) is an RDF source too.
    """
    node = ox.NamedNode(url)
    types = [LDP + "Resource", LDP + ("RDFSource" if rdf else "NonRDFSource")]
    if media_type is None:
        types += [LDP + "Container", LDP + "BasicContainer"]
    else:
        types.append(f"{_MEDIA_TYPES}{media_type}#Resource")
    graph = [ox.Triple(node, _TYPE, ox.NamedNode(t)) for t in types]
    if size is not None:
        graph.append(ox.Triple(node, _SIZE, ox.Literal(str(size), datatype=_XSD_INTEGER)))
    return graph
