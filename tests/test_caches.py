"""The server's caches never serve what the files no longer say (issue 4: cached, never stale).

Representations (stored bytes, converted formats, container listings) are cached by version;
a file replaced by another program is a new version, so it is served at once.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from pod.app import RESOURCES
from pod.ldp.cache import VersionedCache
from pod.rdf import formats
from pod.storage import files
from tests.conftest import ClientFactory

TURTLE = {"Content-Type": "text/turtle"}


def test_versioned_cache_keeps_within_its_byte_budget() -> None:
    cache: VersionedCache[bytes] = VersionedCache(budget_bytes=10, max_entry_bytes=6)
    cache.put("/a", "1", b"aaaa", 4)
    cache.put("/b", "1", b"bbbb", 4)
    assert cache.get("/a", "1") == b"aaaa"  # /a is now the most recently used
    cache.put("/c", "1", b"cccc", 4)
    assert cache.get("/b", "1") is None  # the least recently used went first
    assert cache.get("/a", "1") == b"aaaa" and cache.get("/c", "1") == b"cccc"
    assert cache.used_bytes == 8


def test_versioned_cache_refuses_an_entry_larger_than_allowed() -> None:
    cache: VersionedCache[bytes] = VersionedCache(budget_bytes=100, max_entry_bytes=6)
    cache.put("/big", "1", b"x" * 7, 7)
    assert cache.get("/big", "1") is None and cache.used_bytes == 0


def test_versioned_cache_a_new_version_is_another_entry() -> None:
    cache: VersionedCache[str] = VersionedCache(budget_bytes=100, max_entry_bytes=100)
    cache.put("/a", "1", "old", 3)
    assert cache.get("/a", "2") is None


async def test_versioned_cache_makes_a_missing_value_once_for_all_who_ask_at_once() -> None:
    """Issue 4: thirty-two readers of a document that just changed share one conversion of it."""
    cache: VersionedCache[str] = VersionedCache(budget_bytes=100, max_entry_bytes=100)
    made: list[str] = []
    release = asyncio.Event()

    async def make() -> tuple[str, int]:
        made.append("made")
        await release.wait()
        return "value", 5

    askers = [asyncio.create_task(cache.get_or_make("/a", "1", make)) for _ in range(32)]
    await asyncio.sleep(0)
    askers[0].cancel()  # one client hangs up: the others still get the value
    release.set()
    results = await asyncio.gather(*askers[1:])
    assert made == ["made"] and results == ["value"] * 31
    assert cache.get("/a", "1") == "value"


async def test_versioned_cache_a_failed_making_fails_its_askers_and_is_tried_again() -> None:
    cache: VersionedCache[str] = VersionedCache(budget_bytes=100, max_entry_bytes=100)
    attempts: list[int] = []

    async def make() -> tuple[str, int]:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("broken")
        return "value", 5

    with pytest.raises(ValueError, match="broken"):
        await cache.get_or_make("/a", "1", make)
    assert await cache.get_or_make("/a", "1", make) == "value"
    assert len(attempts) == 2


async def test_concurrent_reads_of_a_large_document_in_another_format_parse_it_once(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 4: a large document asked for as JSON-LD by many clients at once is parsed and
    converted once (each parsing it for itself took memory and time in proportion to the clients)."""
    client = await make_client()
    body = "@prefix ex: <http://example.org/ns#>.\n" + "".join(
        f'<#i{n}> ex:index {n}; ex:label "item {n}".\n' for n in range(2000)
    )
    assert len(body) > formats.PARSED_ON_LOOP_BYTES  # parsed in a thread: the readers overlap
    assert (await client.put("/large.ttl", data=body.encode(), headers=TURTLE)).status == 201
    parsed: list[str] = []
    parse = formats.parse

    def counting(data: bytes, media_type: str, base_iri: str) -> formats.Graph:
        parsed.append(base_iri)
        return parse(data, media_type, base_iri)

    monkeypatch.setattr(formats, "parse", counting)
    responses = await asyncio.gather(
        *(client.get("/large.ttl", headers={"Accept": "application/ld+json"}) for _ in range(16))
    )
    bodies = {await r.read() for r in responses}
    assert [r.status for r in responses] == [200] * 16 and len(bodies) == 1
    assert len([p for p in parsed if p.endswith("/large.ttl")]) == 1


@pytest.fixture
def storage() -> str:
    return "file"


def _stored_file(data_dir: Path, name: str) -> Path:
    (path,) = [p for p in data_dir.iterdir() if p.name.startswith(name)]
    return path


async def test_a_document_replaced_on_disk_is_served_fresh(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client: TestClient[Any, Any] = await make_client()
    await client.put("/doc.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    for accept in ("text/turtle", "application/ld+json"):
        assert (await client.get("/doc.ttl", headers={"Accept": accept})).status == 200  # now cached
    path = _stored_file(tmp_path / "data", "doc.ttl")
    replacement = path.with_name("replacement")
    replacement.write_bytes(b"<#a> <#b> <#changed>.")
    os.replace(replacement, path)  # as an editor or a sync tool does
    turtle = await (await client.get("/doc.ttl", headers={"Accept": "text/turtle"})).text()
    assert "changed" in turtle
    json_ld = await (await client.get("/doc.ttl", headers={"Accept": "application/ld+json"})).text()
    assert "changed" in json_ld


async def test_a_listing_shows_documents_added_on_disk(make_client: ClientFactory, tmp_path: Path) -> None:
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/one.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    assert "one.ttl" in await (await client.get("/c/")).text()  # now cached
    (tmp_path / "data" / "c" / "two.ttl").write_bytes(b"<#a> <#b> <#c>.")
    listing = await (await client.get("/c/")).text()
    assert "one.ttl" in listing and "two.ttl" in listing


async def test_a_listing_shows_our_writes_at_once(make_client: ClientFactory) -> None:
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/one.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    first = await client.get("/c/")
    await client.put("/c/one.ttl", data=b"<#a> <#b> <#c>, <#d>.", headers=TURTLE)
    second = await client.get("/c/")
    assert first.headers["ETag"] != second.headers["ETag"]
    assert await first.text() != await second.text()  # the child's size and time changed


async def test_a_document_rewritten_in_place_shows_in_its_listing_within_the_max_age(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CHILD_STAT_MAX_AGE", 0.2)
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/one.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    before = await client.get("/c/")
    with open(tmp_path / "data" / "c" / "one.ttl", "ab") as file:  # in place: the folder is unchanged
        file.write(b" <#a> <#b> <#more>.")
    time.sleep(0.25)
    after = await client.get("/c/")
    assert before.headers["ETag"] != after.headers["ETag"]


def test_versioned_cache_forgets_every_version_of_a_path() -> None:
    cache: VersionedCache[bytes] = VersionedCache(budget_bytes=100, max_entry_bytes=100)
    cache.put("/a", "1", b"one", 3)
    cache.put("/a", "1-jsonld", b"one as JSON-LD", 14)
    cache.put("/b", "1", b"bee", 3)
    cache.forget("/a")
    assert cache.get("/a", "1") is None and cache.get("/a", "1-jsonld") is None
    assert cache.get("/b", "1") == b"bee" and cache.used_bytes == 3 and len(cache) == 1
    cache.forget("/never-held")  # nothing to do
    cache.put("/c", "1", b"x" * 98, 98)  # evicts /b by the budget: its record goes with it
    cache.forget("/b")
    assert cache.used_bytes == 98


async def test_a_changed_resource_keeps_only_its_current_version_in_the_caches(
    make_client: ClientFactory,
) -> None:
    """Old versions are never asked for again: a write drops them (issue 4: peak memory)."""
    client: TestClient[Any, Any] = await make_client()
    await client.put("/doc.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    patch = (
        "@prefix solid: <http://www.w3.org/ns/solid/terms#>."
        " _:p a solid:InsertDeletePatch; solid:inserts {{ <#a> <#b> <#d{n}> }}."
    )
    resources = client.server.app[RESOURCES]
    for n in range(5):
        assert (await client.get("/doc.ttl", headers={"Accept": "application/ld+json"})).status == 200
        response = await client.patch("/doc.ttl", data=patch.format(n=n), headers={"Content-Type": "text/n3"})
        assert response.ok
    assert len(resources.graphs) == 1 and len(resources.representations) == 1  # the last patch's
    await client.put("/doc.ttl", data=b"<#a> <#b> <#e>.", headers=TURTLE)
    assert len(resources.graphs) == 0 and len(resources.representations) == 0
