"""Fuzzing the Turtle container listing: whatever the children's names, media types, sizes and
times, the Turtle written directly reads back as exactly the triples of the listing's graph."""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import given
from hypothesis import strategies as st

from pod.errors import PodError
from pod.ldp import containers
from pod.ldp.identifiers import ResourceIdentifier, check_name, parse_path
from pod.storage.base import Entry

BASE = "http://localhost:3000/"
PARENT = parse_path("/c/")
CONTAINER = Entry(PARENT, None, 0, 1_700_000_000 * 10**9)


def is_name(text: str) -> bool:
    try:
        check_name(text)
    except PodError:
        return False
    return True


NAMES = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40).filter(
    is_name
)
MEDIA_TYPES = st.one_of(
    st.sampled_from(["text/turtle", "image/png", "application/ld+json", "text/plain;charset=utf-8"]),
    st.text(max_size=20),  # what another program may leave in a file name: not always an IRI's part
)
CHILDREN = st.lists(
    st.tuples(
        NAMES,
        st.booleans(),
        MEDIA_TYPES,
        st.integers(0, 2**63),
        st.integers(-(10**18), 4 * 10**18),  # 1938 to 2096, in nanoseconds
    ),
    max_size=8,
    unique_by=lambda child: child[0],
)


def entry(name: str, is_container: bool, media_type: str, size: int, mtime_ns: int) -> Entry:
    identifier = ResourceIdentifier((*PARENT.segments, name), is_container)
    return Entry(identifier, None if is_container else media_type, size, mtime_ns)


@given(CHILDREN, st.booleans())
def test_a_turtle_listing_reads_back_as_exactly_its_graph(
    children: list[tuple[str, bool, str, int, int]], is_storage: bool
) -> None:
    entries = containers.in_path_order(entry(*child) for child in children)
    url = BASE + "c/"
    pairs = [(BASE + e.identifier.path[1:], e) for e in entries]
    graph = set(containers.container_graph(url, CONTAINER, pairs, is_storage=is_storage))
    turtle = b"".join(containers.container_turtle_pieces(url, CONTAINER, entries, is_storage=is_storage))
    assert {quad.triple for quad in ox.parse(turtle, format=ox.RdfFormat.TURTLE)} == graph
