"""Building a container's listing: its version is computed once per build, and the bytes cached
under a version are the listing of exactly that version."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from pod.ldp import containers
from pod.ldp.conditions import NO_CONDITIONS
from pod.ldp.identifiers import parse_path
from pod.ldp.operations import Content, Representation, Resources
from pod.ldp.storages import Storages
from pod.rdf import formats
from pod.storage.base import Entry, ProcessLocker
from pod.storage.memory import MemoryStore

BASE = "http://pod.example/"
DOC = b"<#a> <http://example.org/ns#p> 0 ."


def turtle(offered: Iterable[str]) -> str:
    return formats.TURTLE


@pytest.fixture
async def resources() -> Resources:
    resources = Resources(MemoryStore(), ProcessLocker(), Storages(), BASE)
    await resources.replace(parse_path("/c/a.ttl"), Content(formats.TURTLE, DOC, len(DOC)), NO_CONDITIONS)
    return resources


async def read_listing(resources: Resources) -> Representation:
    return await resources.read(parse_path("/c/"), turtle)


async def test_a_listing_built_afresh_is_hashed_once(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[int] = []
    version_of = containers.container_version

    def counted(entry: Entry, children: list[Entry], description: Entry | None) -> str:
        hashed.append(len(children))
        return version_of(entry, children, description)

    monkeypatch.setattr(containers, "container_version", counted)
    await read_listing(resources)
    assert hashed == [1]


async def test_a_listing_changed_since_its_version_was_remembered_is_cached_under_its_new_version(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await read_listing(resources)  # its version is remembered, its bytes cached
    # A child rewritten behind the server's back, while the store claims nothing changed.
    monkeypatch.setattr(resources.store, "generation", lambda: 0)
    await resources.read(parse_path("/c/"), turtle)  # remembered under generation 0
    await resources.store.write(parse_path("/c/a.ttl"), DOC + b"\n<#b> <#c> <#d>.", formats.TURTLE)
    resources.representations.forget("/c/")
    after = await read_listing(resources)
    container = await resources.store.stat(parse_path("/c/"))
    children = await resources.store.children(parse_path("/c/"))
    assert container is not None
    assert after.etag == containers.container_version(container, children, None) != before.etag
    assert after.body == resources.representations.get("/c/", after.etag)
    assert resources.representations.get("/c/", before.etag) is None
    assert isinstance(after.body, bytes) and b"stat:size 50 ;" in after.body  # the child as it is now


async def test_a_listing_shows_its_children_in_path_order(resources: Resources) -> None:
    for name in ("z.ttl", "m/", "b.ttl"):
        await resources.replace(
            parse_path(f"/c/{name}"), Content(formats.TURTLE, DOC, len(DOC)), NO_CONDITIONS
        )
    body = (await read_listing(resources)).body
    assert isinstance(body, bytes)
    shown = [body.index(f"<{BASE}c/{name}>".encode()) for name in ("a.ttl", "b.ttl", "m/", "z.ttl")]
    assert shown == sorted(shown)


def entry(path: str, content_type: str | None = formats.TURTLE, size: int = 10, mtime_ns: int = 1) -> Entry:
    return Entry(parse_path(path), content_type, size, mtime_ns)


def test_a_container_version_changes_with_anything_its_listing_shows() -> None:
    container = entry("/c/", None)
    children = [entry("/c/a.ttl"), entry("/c/b.png", "image/png"), entry("/c/d/", None)]
    description = entry("/c/.meta")
    version = containers.container_version(container, children, description)
    assert containers.container_version(container, list(children), description) == version
    changed = [
        containers.container_version(entry("/c/", None, mtime_ns=2), children, description),
        containers.container_version(container, children[:2], description),
        containers.container_version(container, [*children, entry("/c/e.ttl")], description),
        containers.container_version(container, [entry("/c/a.ttl", size=11), *children[1:]], description),
        containers.container_version(container, [entry("/c/a.ttl", mtime_ns=2), *children[1:]], description),
        containers.container_version(container, [entry("/c/a.ttl", "text/n3"), *children[1:]], description),
        containers.container_version(container, [entry("/c/A.ttl"), *children[1:]], description),
        containers.container_version(container, children, None),
        containers.container_version(container, children, entry("/c/.meta", size=11)),
    ]
    assert len({version, *changed}) == len(changed) + 1
