"""The FileStore answers from memory while the kernel says nothing changed (pod.storage.watch), and
never serves what the files no longer say (DESIGN "Files are the truth"): every kind of change another
program can make is seen by the next request, watched or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from pod.ldp.identifiers import parse_path
from pod.storage import files, watch
from pod.storage.base import RequestScope
from pod.storage.files import FileStore
from tests.conftest import ClientFactory

TURTLE = {"Content-Type": "text/turtle"}
OPEN_ACL = b"""@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#all> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>;
    acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control."""
CLOSED_ACL = b"""@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#one> a acl:Authorization; acl:agent <https://someone.example/#me>;
    acl:accessTo <./>; acl:default <./>; acl:mode acl:Read."""

needs_inotify = pytest.mark.skipif(watch.FolderWatch.open() is None, reason="no inotify on this machine")


@pytest.fixture
def storage() -> str:
    return "file"


@pytest.fixture(params=["watched", "unwatched"])
def watched(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Each behaviour holds with the kernel's help and without it (stats only)."""
    if request.param == "unwatched":
        monkeypatch.setattr(watch.FolderWatch, "open", classmethod(lambda cls: None))
    return request.param == "watched"


def _in_place(path: Path, data: bytes) -> None:
    """Rewrite a file's bytes in place: same inode, its folder's time unchanged."""
    folder_time = path.parent.stat().st_mtime_ns
    with open(path, "r+b") as file:
        file.write(data)
        file.truncate()
    assert path.parent.stat().st_mtime_ns == folder_time


async def test_a_document_rewritten_in_place_is_served_at_once(
    make_client: ClientFactory, tmp_path: Path, watched: bool
) -> None:
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/doc.ttl", data=b"<#a> <#b> <#old>.", headers=TURTLE)
    for _ in range(3):  # cached: the stat, the body, the WAC decision
        assert "old" in await (await client.get("/c/doc.ttl")).text()
    _in_place(tmp_path / "data" / "c" / "doc.ttl", b"<#a> <#b> <#new>, <#newer>.")
    assert "newer" in await (await client.get("/c/doc.ttl")).text()
    assert "doc.ttl" in await (await client.get("/c/")).text()


async def test_an_acl_rewritten_in_place_takes_effect_at_once(
    make_client: ClientFactory, tmp_path: Path, watched: bool
) -> None:
    """WAC §Effective ACL Resource: the ACL as the file says now, for the very next request."""
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/doc.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    acl = tmp_path / "data" / "c" / ".acl"
    acl.write_bytes(OPEN_ACL + b" " * len(CLOSED_ACL))
    for _ in range(3):
        assert (await client.get("/c/doc.ttl")).status == 200
    _in_place(acl, CLOSED_ACL)
    assert (await client.get("/c/doc.ttl")).status == 401


async def test_an_acl_added_or_removed_by_hand_governs_new_documents_at_once(
    make_client: ClientFactory, tmp_path: Path, watched: bool
) -> None:
    """WAC §Effective ACL Resource, for a resource never asked about before (a PUT of a new
    document): what its container passes down is remembered only while no ACL can have changed."""
    client: TestClient[Any, Any] = await make_client()
    for n in range(3):  # what /c/d/ passes down (the root's rules) is now known
        assert (await client.put(f"/c/d/doc{n}.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)).status == 201
    acl = tmp_path / "data" / "c" / ".acl"
    acl.write_bytes(CLOSED_ACL)
    assert (await client.put("/c/d/new.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)).status == 401
    assert (await client.get("/c/d/doc0.ttl")).status == 401
    acl.unlink()
    assert (await client.put("/c/d/new.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)).status == 201
    assert (await client.get("/c/d/doc0.ttl")).status == 200


async def test_a_folder_moved_in_by_hand_brings_its_acl_along(
    make_client: ClientFactory, tmp_path: Path, watched: bool
) -> None:
    """A folder that arrives whole (a restore) with an ACL inside: its rules hold at once, also for
    paths below it that were asked about before it came."""
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/doc.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    for _ in range(3):
        assert (await client.get("/c/e/doc.ttl")).status == 404  # allowed to know it is not there
    arriving = tmp_path / "arriving"
    arriving.mkdir()
    (arriving / ".acl").write_bytes(CLOSED_ACL)
    (arriving / "doc.ttl").write_bytes(b"<#a> <#b> <#c>.")
    os.rename(arriving, tmp_path / "data" / "c" / "e")
    assert (await client.get("/c/e/doc.ttl")).status == 401
    assert (await client.put("/c/e/other.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)).status == 401


@needs_inotify
async def test_the_acl_generation_moves_with_acls_only(tmp_path: Path) -> None:
    """Store.acl_generation: a document's write leaves it; an ACL's write or removal, by the server
    or by hand, and a folder coming or going, move it."""
    store = FileStore(tmp_path / "data")
    try:
        await store.make_container(parse_path("/c/"))
        with RequestScope():
            await store.stat(parse_path("/c/.acl"))  # the folder is indexed, so watched
        before = store.acl_generation()
        await store.write(parse_path("/c/doc.ttl"), b"<#a> <#b> <#c>.", "text/turtle")
        (tmp_path / "data" / "c" / "by-hand.ttl").write_bytes(b"<#a> <#b> <#c>.")
        with RequestScope():
            assert store.acl_generation() == before is not None
        await store.write(parse_path("/c/doc.ttl.acl"), CLOSED_ACL, "text/turtle")
        with RequestScope():
            after_write = store.acl_generation()
        assert after_write != before
        (tmp_path / "data" / "c" / ".acl").write_bytes(CLOSED_ACL)
        with RequestScope():
            after_hand = store.acl_generation()
        assert after_hand != after_write
        (tmp_path / "data" / "c" / "sub").mkdir()
        with RequestScope():
            assert store.acl_generation() != after_hand
    finally:
        store.close()


async def test_a_folder_swapped_for_another_is_seen_at_once(
    make_client: ClientFactory, tmp_path: Path, watched: bool
) -> None:
    """A whole folder moved away and another moved into its place (a restore, a sync tool)."""
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/d/doc.ttl", data=b"<#a> <#b> <#before>.", headers=TURTLE)
    assert "before" in await (await client.get("/c/d/doc.ttl")).text()
    data = tmp_path / "data"
    replacement = tmp_path / "replacement"
    (replacement / "d").mkdir(parents=True)
    (replacement / "d" / "doc.ttl").write_bytes(b"<#a> <#b> <#after>.")
    (replacement / "d" / "more.ttl").write_bytes(b"<#a> <#b> <#c>.")
    os.rename(data / "c", tmp_path / "old")
    os.rename(replacement, data / "c")
    assert "after" in await (await client.get("/c/d/doc.ttl")).text()
    assert "more.ttl" in await (await client.get("/c/d/")).text()
    shutil.rmtree(data / "c")
    assert (await client.get("/c/d/doc.ttl")).status == 404


async def test_documents_added_and_removed_by_hand_are_seen_at_once(
    make_client: ClientFactory, tmp_path: Path, watched: bool
) -> None:
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/one.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    await client.put("/c/two.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    assert (await client.get("/c/one.ttl")).status == 200
    folder = tmp_path / "data" / "c"
    (folder / "one.ttl").unlink()
    (folder / "three.ttl").write_bytes(b"<#a> <#b> <#three>.")
    assert (await client.get("/c/one.ttl")).status == 404
    assert "three" in await (await client.get("/c/three.ttl")).text()
    listing = await (await client.get("/c/")).text()
    assert "one.ttl" not in listing and "two.ttl" in listing and "three.ttl" in listing


@needs_inotify
async def test_lost_events_forget_everything(tmp_path: Path) -> None:
    """More changes than the kernel's queue holds (fs.inotify.max_queued_events): the events are
    lost, the store is told so, and it starts afresh rather than trust what it knew."""
    store = FileStore(tmp_path / "data")
    try:
        await store.make_container(parse_path("/c/"))
        doc = parse_path("/c/doc.ttl")
        await store.write(doc, b"<#a> <#b> <#c>.", "text/turtle")
        with RequestScope():
            before = await store.stat(doc)
        assert before is not None
        queue = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
        folder = tmp_path / "data" / "c"
        for n in range(queue // 2 + 1):  # two events each at least: created, closed after writing
            (folder / f"x{n}.txt").write_bytes(b"x")
        _in_place(folder / "doc.ttl", b"<#a> <#b> <#changed>.")
        with RequestScope():
            after = await store.stat(doc)
        assert after is not None and after.size != before.size
        assert await store.read(doc) == b"<#a> <#b> <#changed>."
    finally:
        store.close()


@needs_inotify
async def test_an_unchanged_document_costs_no_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the watch: while nothing changed, a document's stat is answered from memory."""
    store = FileStore(tmp_path / "data")
    try:
        await store.make_container(parse_path("/c/"))
        doc = parse_path("/c/doc.ttl")
        await store.write(doc, b"<#a> <#b> <#c>.", "text/turtle")
        with RequestScope():
            first = await store.stat(doc)
        generation = store.generation()
        calls = []
        real_stat = os.stat
        monkeypatch.setattr(os, "stat", lambda *a, **k: calls.append(a) or real_stat(*a, **k))
        with RequestScope():
            assert await store.stat(doc) == first
        assert calls == [] and store.generation() == generation is not None
    finally:
        store.close()


@needs_inotify
async def test_a_listing_shows_a_child_rewritten_in_place_at_once(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """While watched, a container's listing (its children's sizes and times, its ETag) is exact."""
    client: TestClient[Any, Any] = await make_client()
    await client.put("/c/one.ttl", data=b"<#a> <#b> <#c>.", headers=TURTLE)
    before = [await client.get("/c/") for _ in range(3)][-1]  # its version and body now cached
    _in_place(tmp_path / "data" / "c" / "one.ttl", b"<#a> <#b> <#c>, <#d>, <#e>.")
    after = await client.get("/c/")
    assert before.headers["ETag"] != after.headers["ETag"]
    assert await before.text() != await after.text()


async def _with_a_write_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, meanwhile: Any
) -> FileStore:
    """Write /c/new.ttl, and call `meanwhile(store)` once its file is renamed into place but before
    the write has returned (as a concurrent request would, while the write's thread finishes)."""
    store = FileStore(tmp_path / "data")
    await store.make_container(parse_path("/c/"))
    await store.write(parse_path("/c/other.ttl"), b"<#a> <#b> <#c>.", "text/turtle")
    with RequestScope():
        assert await store.stat(parse_path("/c/other.ttl")) is not None  # the folder is indexed
    renamed, go_on = threading.Event(), threading.Event()
    real_commit = files._write_and_commit

    def held_commit(*args: Any, **kwargs: Any) -> Any:
        result = real_commit(*args, **kwargs)
        renamed.set()
        go_on.wait(10)
        return result

    monkeypatch.setattr(files, "_write_and_commit", held_commit)
    write = asyncio.create_task(store.write(parse_path("/c/new.ttl"), b"<#a> <#b> <#d>.", "text/turtle"))
    try:
        assert await asyncio.to_thread(renamed.wait, 10)
        with RequestScope():
            await meanwhile(store)
    finally:
        go_on.set()
        await write
    return store


@needs_inotify
async def test_the_events_of_our_own_write_in_flight_cost_no_stat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that reads the event of a write still in flight trusts the index: the write records
    itself as it completes, so the folder need not even be stat'ed."""
    folder = str(tmp_path / "data" / "c")
    folder_stats = []
    real_stat = os.stat

    async def look(store: FileStore) -> None:
        monkeypatch.setattr(os, "stat", lambda p, *a, **k: folder_stats.append(p) or real_stat(p, *a, **k))
        try:
            assert await store.stat(parse_path("/c/other.ttl")) is not None
        finally:
            monkeypatch.setattr(os, "stat", real_stat)

    store = await _with_a_write_in_flight(tmp_path, monkeypatch, look)
    try:
        assert [p for p in folder_stats if os.fspath(p) == folder] == []
        with RequestScope():
            assert await store.stat(parse_path("/c/new.ttl")) is not None
    finally:
        store.close()


@needs_inotify
async def test_a_document_added_by_hand_while_our_write_is_in_flight_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESIGN "Files are the truth": another program's change is not taken for ours, even while
    our own writes are changing the same folder."""

    async def add_by_hand(store: FileStore) -> None:
        (tmp_path / "data" / "c" / "by-hand.ttl").write_bytes(b"<#a> <#b> <#e>.")
        await store.stat(parse_path("/c/other.ttl"))  # a request that reads the event meanwhile

    store = await _with_a_write_in_flight(tmp_path, monkeypatch, add_by_hand)
    try:
        with RequestScope():
            assert await store.stat(parse_path("/c/by-hand.ttl")) is not None
            assert await store.stat(parse_path("/c/new.ttl")) is not None
    finally:
        store.close()


def _descriptors_of(folder: Path) -> int:
    """How many of this process's descriptors are open on `folder` (Linux's /proc)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}") == str(folder)
    return count


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc on this machine")


@needs_inotify
async def test_a_folder_is_held_open_across_writes_into_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes into one folder sync it through one descriptor, not an open and close each."""
    store = FileStore(tmp_path / "data")
    try:
        await store.make_container(parse_path("/c/"))
        await store.write(parse_path("/c/one.ttl"), b"<#a> <#b> <#c>.", "text/turtle")
        folder = str(tmp_path / "data" / "c")
        opened = []
        real_open = os.open
        monkeypatch.setattr(
            os, "open", lambda p, *a, **k: opened.append(os.fspath(p)) or real_open(p, *a, **k)
        )
        for n in range(3):
            with RequestScope():
                await store.write(parse_path(f"/c/more-{n}.ttl"), b"<#a> <#b> <#c>.", "text/turtle")
        assert folder not in opened
    finally:
        store.close()


async def test_a_folder_replaced_by_hand_receives_the_next_write(tmp_path: Path, watched: bool) -> None:
    """DESIGN "Files are the truth": a write goes to the folder its container's path names now,
    never to one that was moved away while the server held it open."""
    store = FileStore(tmp_path / "data")
    try:
        await store.make_container(parse_path("/c/"))
        with RequestScope():
            await store.write(parse_path("/c/one.ttl"), b"<#a> <#b> <#c>.", "text/turtle")
        folder = tmp_path / "data" / "c"
        folder.rename(tmp_path / "data" / "moved-away")
        folder.mkdir()
        with RequestScope():
            await store.write(parse_path("/c/two.ttl"), b"<#a> <#b> <#d>.", "text/turtle")
        assert (folder / "two.ttl").read_bytes() == b"<#a> <#b> <#d>."
        assert not (tmp_path / "data" / "moved-away" / "two.ttl").exists()
    finally:
        store.close()


@needs_inotify
@needs_proc
async def test_closing_the_store_lets_go_of_its_folders_even_mid_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's descriptor is closed once nothing uses it: not under a write still in flight."""
    store: FileStore | None = None

    async def close_meanwhile(in_flight: FileStore) -> None:
        nonlocal store
        store = in_flight
        in_flight.close()

    written = await _with_a_write_in_flight(tmp_path, monkeypatch, close_meanwhile)
    assert written is store
    folder = tmp_path / "data" / "c"
    assert (folder / "new.ttl").read_bytes() == b"<#a> <#b> <#d>."
    assert _descriptors_of(folder) == 0


@needs_inotify
@needs_proc
async def test_few_folders_are_held_open_at_once(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data")
    try:
        for n in range(files.MAX_FOLDER_HANDLES + 10):
            await store.make_container(parse_path(f"/c{n}/"))
            with RequestScope():
                await store.write(parse_path(f"/c{n}/doc.ttl"), b"<#a> <#b> <#c>.", "text/turtle")
        held = sum(_descriptors_of(tmp_path / "data" / f"c{n}") for n in range(files.MAX_FOLDER_HANDLES + 10))
        assert 0 < held <= files.MAX_FOLDER_HANDLES
    finally:
        store.close()
    assert (
        sum(_descriptors_of(tmp_path / "data" / f"c{n}") for n in range(files.MAX_FOLDER_HANDLES + 10)) == 0
    )


@needs_inotify
async def test_more_events_than_one_read_holds_are_all_seen(tmp_path: Path) -> None:
    """The kernel's queue is read until it is empty, however much piled up between two requests:
    documents rewritten in place (their folder's time unchanged) are each seen anew."""
    store = FileStore(tmp_path / "data")
    try:
        await store.make_container(parse_path("/c/"))
        names = [f"{n:03d}-" + "x" * 100 + ".ttl" for n in range(2 * watch.READ_SIZE // 120)]
        for name in names:
            await store.write(parse_path(f"/c/{name}"), b"<#a> <#b> <#c>.", "text/turtle")
        with RequestScope():
            assert {entry.size for entry in await store.children(parse_path("/c/"))} == {15}
        for name in names:  # two events each (modified, closed), each a 16-byte header and the name
            _in_place(tmp_path / "data" / "c" / name, b"<#a> <#b> <#c>, <#d>.")
        with RequestScope():
            assert {entry.size for entry in await store.children(parse_path("/c/"))} == {21}
    finally:
        store.close()
