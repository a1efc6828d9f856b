"""Fuzzing the URL ⇄ path mapping: DESIGN "Every input is hostile until checked".

Any raw request path either becomes an identifier or is a 4xx PodError; an identifier's
canonical path parses back to itself; its stored file names round-trip and never leave the
data folder (no '.', '..', '/', NUL or empty segment on disk).
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from pod.errors import PodError
from pod.ldp.containers import name_from_slug
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier, check_name, parse_path
from pod.storage import names

ROOT = Path("/srv/pod-data")
# Characters a hostile path likes: separators, dots, escapes, the server's '$', controls, non-ASCII.
TRICKY = st.sampled_from(
    ["/", ".", "..", "%", "%2e", "%2E", "%2f", "%2F", "%00", "%25", "$", "$pod", "\\", "~"]
)
SEGMENT_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
RAW_PATH = st.lists(st.one_of(TRICKY, SEGMENT_TEXT), max_size=12).map(lambda parts: "/" + "".join(parts))
MEDIA_TYPES = st.sampled_from(
    [
        "text/turtle",
        "application/ld+json",
        "application/octet-stream",
        "text/plain",
        "image/png",
        "application/x-made-up",
        "text/n3",
        "application/vnd.example+json",
    ]
)


def check_4xx(error: PodError) -> None:
    assert 400 <= error.status < 500, f"{type(error).__name__} is a {error.status}"


def identifier_or_none(raw: str) -> ResourceIdentifier | None:
    try:
        return parse_path(raw)
    except PodError as error:
        check_4xx(error)
        return None


def on_disk(identifier: ResourceIdentifier) -> Path:
    return ROOT.joinpath(*(names.encode_name(s) for s in identifier.segments))


@given(RAW_PATH)
@example("/%2e%2e/%2e%2e/etc/passwd")
@example("/a/%2e%2e%2fb")
@example("/$pod/staging/")
@example("/%24pod/")
@example("/a%00b")
@example("/.acl/x")
def test_any_request_path_is_an_identifier_or_a_4xx(raw: str) -> None:
    identifier = identifier_or_none(raw)
    if identifier is None:
        return
    # The canonical path is itself a request path for the same resource, and the one its
    # segments always have (a request path already canonical is kept as it came).
    assert parse_path(identifier.path) == identifier
    assert identifier.path == ResourceIdentifier(identifier.segments, identifier.is_container).path
    path = on_disk(identifier)
    for part in path.relative_to(ROOT).parts:
        assert part not in ("", ".", "..") and "/" not in part and "\x00" not in part
        # Nothing a URL names can be the server's own folder or files (their names hold a '$').
        assert names.SEPARATOR not in part
    assert os.path.normpath(path) == str(path), "the path would be normalised to somewhere else"
    assert ROOT in path.parents or path == ROOT


def as_made_afresh(identifier: ResourceIdentifier) -> ResourceIdentifier:
    return ResourceIdentifier(identifier.segments, identifier.is_container)


@given(RAW_PATH, SEGMENT_TEXT, st.booleans())
@example("/", "x", False)
@example("/a/b", "%", True)
@example("/a/", "é ü#?", False)
def test_related_identifiers_have_the_paths_they_would_have_afresh(
    raw: str, name: str, container: bool
) -> None:
    """Solid Protocol §3.1 and §4.3: a toggled slash, an auxiliary resource or a child derives its
    path from its relative's; it must be the canonical path the same segments always have."""
    identifier = identifier_or_none(raw)
    if identifier is None:
        return
    related = [identifier.with_slash_toggled(), *(identifier.auxiliary(kind) for kind in AuxiliaryKind)]
    if identifier.is_container:
        try:
            related.append(identifier.child(name, container=container))
        except PodError as error:
            check_4xx(error)
    for other in related:
        assert other.path == as_made_afresh(other).path
        assert other == as_made_afresh(other) and hash(other) == hash(as_made_afresh(other))


@given(SEGMENT_TEXT.filter(lambda n: n not in ("", ".", "..")), MEDIA_TYPES)
@example("x.type-text%2Fturtle", "text/turtle")
@example("a$.ttl", "text/turtle")
@example("a%24.ttl", "application/octet-stream")
def test_stored_file_names_round_trip(name: str, media_type: str) -> None:
    try:
        check_name(name)
    except PodError as error:
        check_4xx(error)
        return
    file_name = names.file_name_for(name, media_type)
    assert "/" not in file_name and file_name not in (".", "..")
    assert names.parse_file_name(file_name) == names.StoredName(name, media_type)


@given(st.one_of(st.none(), st.text(max_size=300), RAW_PATH), st.booleans())
@example("../../etc", False)
@example("%2e%2e", True)
@example("a/b/../c", False)
@example("\x00", False)
@example(" / ", True)
def test_a_slug_becomes_a_valid_name(slug: str | None, as_container: bool) -> None:
    name = name_from_slug(slug, is_container=as_container)
    assert check_name(name) == name  # raises if the name could not be a resource name
    parent = ResourceIdentifier(("c",), True)
    child = parent.child(name, container=as_container)
    assert parse_path(child.path) == child


@given(
    st.lists(SEGMENT_TEXT, max_size=2),
    SEGMENT_TEXT,
    st.sampled_from(["", ".acl", ".meta", "acl", ".ac", ".ACL", ".acl.", "%2Eacl", "é.acl"]),
    st.booleans(),
)
@example([], "c", ".acl", False)
@example([], "c", ".acl", True)
@example([], "", ".meta", False)
def test_an_identifier_is_auxiliary_by_its_path_as_by_its_kind(
    parents: list[str], name: str, suffix: str, is_container: bool
) -> None:
    try:
        segments = tuple(check_name(segment) for segment in (*parents, name + suffix))
    except PodError:
        return
    identifier = ResourceIdentifier(segments, is_container)
    assert identifier.is_auxiliary == (identifier.auxiliary_kind is not None)
