"""Store.exists agrees with Store.stat on every store (Solid Protocol §3.1: a URI with and without a
trailing slash names different resources), including files added to the data folder by hand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pod.ldp.identifiers import ROOT, parse_path
from pod.storage.base import Store
from pod.storage.files import FileStore
from pod.storage.memory import MemoryStore


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return FileStore(tmp_path / "data") if request.param == "file" else MemoryStore()


async def test_exists_matches_stat(store: Store) -> None:
    await store.make_container(parse_path("/c/"))
    await store.write(parse_path("/c/doc.ttl"), b"<#a> <#b> <#c>.", "text/turtle")
    for path in ("/", "/c/", "/c/doc.ttl", "/c", "/c/doc.ttl/", "/missing", "/c/missing/", "/missing/doc"):
        identifier = ROOT if path == "/" else parse_path(path)
        assert await store.exists(identifier) == (await store.stat(identifier) is not None), path


async def test_exists_sees_a_file_added_by_hand(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data")
    await store.make_container(parse_path("/c/"))
    assert not await store.exists(parse_path("/c/new.txt"))
    (tmp_path / "data" / "c" / "new.txt").write_bytes(b"hello")
    assert await store.exists(parse_path("/c/new.txt"))


async def test_a_file_added_in_the_same_clock_tick_as_the_scan_is_seen(tmp_path: Path) -> None:
    """A folder scanned right after a change may change again without its time moving (coarse
    kernel clocks): such a scan is not trusted, so a file added by hand is never missed."""
    store = FileStore(tmp_path / "data")
    await store.make_container(parse_path("/c/"))
    folder = tmp_path / "data" / "c"
    assert not await store.exists(parse_path("/c/a.txt"))  # scans c/ just after it was made
    mtime = folder.stat().st_mtime_ns
    (folder / "a.txt").write_bytes(b"a")
    os.utime(folder, ns=(mtime, mtime))  # as if both changes fell in one clock tick
    assert await store.exists(parse_path("/c/a.txt"))
