"""PATCH documents: the interface shared by N3 Patch and SPARQL Update, and dispatch by media type."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

import pyoxigraph as ox

from pod.errors import BadRequest, UnsupportedMediaType
from pod.rdf.n3patch import parse_n3_patch
from pod.rdf.sparql_update import parse_sparql_update
from pod.wac.modes import AccessModes

ACCEPT_PATCH = ("text/n3", "application/sparql-update")


class Patch(Protocol):
    """A parsed, checked patch document, ready to be applied to the target's graph."""

    def required_modes(self) -> AccessModes:
        """The access modes the agent needs on the target resource."""
        ...

    def apply(self, graph: Iterable[ox.Triple]) -> list[ox.Triple]:
        """The target's triples after the patch (raises a PodError when it cannot apply)."""
        ...

    def searches(self) -> bool:
        """Whether applying it searches the graph (a WHERE clause, a query engine): its cost may
        then grow much faster than the graph; otherwise it is one pass over the graph."""
        ...


_PARSERS: dict[str, Callable[[str, str], Patch]] = {
    "text/n3": parse_n3_patch,
    "application/sparql-update": parse_sparql_update,
}


def parse_patch(body: bytes, media_type: str, base_iri: str) -> Patch:
    """Parse a PATCH body of the given media type; relative IRIs resolve against base_iri."""
    essence = media_type.partition(";")[0].strip().lower()
    parse = _PARSERS.get(essence)
    # Solid Protocol §N3 Patch / RFC 5789 §2.2: an unsupported patch format is a 415 with Accept-Patch
    if parse is None:
        raise UnsupportedMediaType(
            f"PATCH with {essence or 'no media type'} is not supported; "
            f"use one of {', '.join(ACCEPT_PATCH)}.",
            headers={"Accept-Patch": ", ".join(ACCEPT_PATCH)},
        )
    try:
        # Both formats are UTF-8 by definition; a byte order mark is tolerated.
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadRequest(f"The {essence} PATCH body is not valid UTF-8: {error}") from error
    return parse(text, base_iri)
