"""A write is durable before it is answered (issue 4: "never trade durability for speed").

DESIGN "Files are the truth": a document's bytes reach the disk before its name points at them,
and the name reaches the disk before the write returns, so a crash leaves the old version or the
new one, never a torn or missing file. These tests watch the system calls the FileStore makes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from pod.ldp.identifiers import parse_path
from pod.storage.files import FileStore


class _Calls:
    """The file-system calls of interest, in order, from whichever thread makes them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._paths: dict[int, str] = {}
        real_open, real_fsync, real_replace = os.open, os.fsync, os.replace

        def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            fd = real_open(path, flags, *args, **kwargs)
            with self._lock:
                self._paths[fd] = os.fspath(path)
                self.log.append(("open", os.fspath(path), flags))
            return fd

        def fsync(fd: int) -> None:
            real_fsync(fd)
            with self._lock:
                self.log.append(("fsync", self._paths.get(fd)))

        def replace(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
            real_replace(source, target, *args, **kwargs)
            with self._lock:
                into = kwargs.get("dst_dir_fd")  # a name inside a folder held open
                target = os.fspath(target) if into is None else os.path.join(self._paths[into], target)
                self.log.append(("replace", os.fspath(source), target))

        monkeypatch.setattr(os, "open", open_)
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)


def _synced_when_written(calls: list[tuple[Any, ...]], path: str) -> bool:
    """Whether `path` was opened to sync every write, or was fsynced (before what follows)."""
    opened_synced = any(c[0] == "open" and c[1] == path and c[2] & getattr(os, "O_DSYNC", 0) for c in calls)
    return opened_synced or ("fsync", path) in calls


@pytest.mark.parametrize("staged", [False, True], ids=["body in memory", "staged upload"])
async def test_a_document_is_on_disk_before_its_name_and_its_name_before_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, staged: bool
) -> None:
    store = FileStore(tmp_path / "data")
    try:
        await store.make_container(parse_path("/c/"))
        calls = _Calls(monkeypatch)
        body = b"\x00\x01 some bytes"
        await store.write(parse_path("/c/doc.txt"), await store.stage(body) if staged else body, "text/plain")
        log = calls.log
        (rename,) = [c for c in log if c[0] == "replace"]
        assert rename[2] == str(tmp_path / "data" / "c" / "doc.txt")
        assert _synced_when_written(log[: log.index(rename)], rename[1]), "the bytes were not synced first"
        folder = str(tmp_path / "data" / "c")
        assert ("fsync", folder) in log[log.index(rename) :], "the folder was not synced after the rename"
    finally:
        store.close()
