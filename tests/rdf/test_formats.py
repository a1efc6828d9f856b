"""Parsing request bodies (pod.rdf.formats.parse): what a document says, whatever its size.

Small documents reach pyoxigraph as text and large ones as bytes (see `formats._text_of`), so
each rule here is checked on both sides of PARSED_ON_LOOP_BYTES.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pod.errors import BadRequest
from pod.rdf import formats

BASE = "https://pod.example/doc"
NON_ASCII = '<#me> <http://xmlns.com/foaf/0.1/name> "Zoë Ångström 名前" .\n'
# Enough comment lines to take a document past the size parsed on the event loop.
PADDING = ("# " + "x" * 78 + "\n") * (formats.PARSED_ON_LOOP_BYTES // 80 + 1)


@pytest.mark.parametrize("padding", ["", PADDING], ids=["small", "large"])
def test_utf8_document_keeps_its_characters(padding: str) -> None:
    """RDF 1.1 Turtle §6.1: a Turtle document is Unicode text, encoded as UTF-8."""
    data = (padding + NON_ASCII).encode("utf-8")
    assert (len(data) > formats.PARSED_ON_LOOP_BYTES) == bool(padding)
    (triple,) = formats.parse(data, formats.TURTLE, BASE)
    assert triple.object == ox.Literal("Zoë Ångström 名前")
    assert triple.subject == ox.NamedNode(BASE + "#me")


@pytest.mark.parametrize("padding", ["", PADDING], ids=["small", "large"])
def test_document_not_in_utf8_is_400(padding: str) -> None:
    """DESIGN.md "Every input is hostile": bytes that are not UTF-8 are a document that does not parse."""
    data = (padding + NON_ASCII).encode("latin-1", errors="replace")
    with pytest.raises(BadRequest, match="does not parse"):
        formats.parse(data, formats.TURTLE, BASE)


@pytest.mark.parametrize("padding", ["", PADDING], ids=["small", "large"])
def test_syntax_error_names_the_line(padding: str) -> None:
    data = (padding + NON_ASCII + "<#a> <#b> .\n").encode("utf-8")
    with pytest.raises(BadRequest, match="line"):
        formats.parse(data, formats.TURTLE, BASE)
