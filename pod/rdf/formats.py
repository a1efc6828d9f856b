"""Parse and serialize RDF in the formats the server negotiates, with pyoxigraph."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from pod.errors import BadRequest
from pod.rdf.contexts import bundled_context, is_bundled

TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
N_TRIPLES = "application/n-triples"
RDF_XML = "application/rdf+xml"
N3 = "text/n3"

_FORMATS = {
    TURTLE: ox.RdfFormat.TURTLE,
    JSON_LD: ox.RdfFormat.JSON_LD,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    RDF_XML: ox.RdfFormat.RDF_XML,
    N3: ox.RdfFormat.N3,
}
# What the server can serve an RDF resource as, in order of preference (Turtle is the default).
RDF_MEDIA_TYPES: tuple[str, ...] = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML, N3)

PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "ldp": "http://www.w3.org/ns/ldp#",
    "pim": "http://www.w3.org/ns/pim/space#",
    "solid": "http://www.w3.org/ns/solid/terms#",
    "dc": "http://purl.org/dc/terms/",
    "stat": "http://www.w3.org/ns/posix/stat#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

Graph = list[ox.Triple]

# A document up to this size is parsed on the event loop (a 20-triple one: ~25 µs); a larger one in
# a worker thread, so that other requests go on meanwhile (10,000 triples take ~15 ms).
PARSED_ON_LOOP_BYTES = 16 * 1024


def is_rdf(media_type: str | None) -> bool:
    return media_type in _FORMATS


def parse(data: bytes, media_type: str, base_iri: str) -> Graph:
    """Parse a document into triples; a syntax error is a 400 with the parser's message."""
    if media_type == JSON_LD:
        data = _with_bundled_contexts(data)
    try:
        text = _text_of(data)
        quads = ox.parse(text, format=_FORMATS[media_type], base_iri=base_iri, without_named_graphs=True)
        return [quad.triple for quad in quads]
    except (SyntaxError, ValueError) as error:
        raise BadRequest(f"the {media_type} document does not parse: {error}") from error


def _text_of(data: bytes) -> str | bytes:
    """A small document as text, which pyoxigraph takes first; bytes when large or not UTF-8.

    Given bytes, pyoxigraph first fails to take them as text, and that failure costs ~6 µs and a
    hand-over of the GIL (to any I/O thread waiting for it) on every parse: a share worth saving
    for the small documents parsed on the event loop. A large one stays bytes, since a copy as
    text would double its memory. Every RDF syntax pyoxigraph reads is UTF-8; undecodable bytes
    get its own error.
    """
    if len(data) <= PARSED_ON_LOOP_BYTES:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data


async def parse_off_loop(data: bytes, media_type: str, base_iri: str) -> Graph:
    """`parse`, in a worker thread when the document is larger than PARSED_ON_LOOP_BYTES."""
    if len(data) > PARSED_ON_LOOP_BYTES:
        return await asyncio.to_thread(parse, data, media_type, base_iri)
    return parse(data, media_type, base_iri)


def serialize(graph: Iterable[ox.Triple], media_type: str) -> bytes:
    output = ox.serialize(graph, format=_FORMATS[media_type], prefixes=PREFIXES)
    assert output is not None
    return output


def _with_bundled_contexts(data: bytes) -> bytes:
    """Replace the remote contexts a JSON-LD document names with bundled copies; unknown ones are a 400.

    pyoxigraph never fetches a remote context, and neither does the server at request time.
    """
    if b"@context" not in data:
        return data
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the JSON-LD document is not JSON: {error}") from error
    return json.dumps(_substitute(document)).encode("utf-8")


def _substitute(node: Any) -> Any:
    if isinstance(node, list):
        return [_substitute(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        result[key] = _context_value(value) if key == "@context" else _substitute(value)
    return result


def _context_value(value: Any) -> Any:
    if isinstance(value, str):
        if not is_bundled(value):
            raise BadRequest(f"the remote JSON-LD context {value!r} is not one this server knows")
        return bundled_context(value)
    if isinstance(value, list):
        return [_context_value(item) for item in value]
    return value
