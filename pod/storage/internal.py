"""Server-internal state (accounts, sessions, the storage registry) as small JSON documents by key.

On disk they live in the data folder's internal folder (`$pod/`), which no URL maps to
(DESIGN "Storage on disk"). Every write is atomic (temp file, fsync, rename), and the
read-modify-write sections take a lock that also holds across processes, so that
`pod accounts ...` run beside a serving server never loses an update.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from pod.storage.durability import fsync_folder
from pod.storage.names import INTERNAL_FOLDER

# Keys are relative paths of plain names: nothing a caller passes can leave the folder.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}){0,3}")


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"not an internal state key: {key!r}")
    return key


class InternalState(Protocol):
    """JSON documents by key; writes are all-or-nothing."""

    async def read(self, key: str) -> bytes | None: ...

    def peek(self, key: str) -> bytes | None:
        """Read without waiting: for small documents on a path that cannot await (one file read)."""
        ...

    async def write(self, key: str, data: bytes) -> None:
        """Create or replace atomically."""
        ...

    async def create(self, key: str, data: bytes) -> bool:
        """Create atomically unless the key exists: False when it did (a claim, e.g. of an email)."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove; False when there was nothing."""
        ...

    async def keys(self, folder: str) -> list[str]:
        """The keys directly in `folder`, sorted."""
        ...

    def stamp(self, key: str) -> int | None:
        """A cheap marker that changes whenever the key is written (None: absent)."""
        ...

    def lock(self, name: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Serialise a read-modify-write section among tasks (and processes, on disk)."""
        ...


class MemoryInternalState:
    """Internal state for the memory storage: nothing survives the process."""

    def __init__(self) -> None:
        self._items: dict[str, bytes] = {}
        self._stamps: dict[str, int] = {}
        self._counter = 0
        self._locks: dict[str, asyncio.Lock] = {}

    async def read(self, key: str) -> bytes | None:
        return self._items.get(check_key(key))

    def peek(self, key: str) -> bytes | None:
        return self._items.get(check_key(key))

    async def write(self, key: str, data: bytes) -> None:
        self._items[check_key(key)] = data
        self._counter += 1
        self._stamps[key] = self._counter

    async def create(self, key: str, data: bytes) -> bool:
        if check_key(key) in self._items:
            return False
        await self.write(key, data)
        return True

    async def delete(self, key: str) -> bool:
        self._stamps.pop(check_key(key), None)
        return self._items.pop(key, None) is not None

    async def keys(self, folder: str) -> list[str]:
        prefix = check_key(folder) + "/"
        return sorted(k for k in self._items if k.startswith(prefix) and "/" not in k[len(prefix) :])

    def stamp(self, key: str) -> int | None:
        return self._stamps.get(check_key(key))

    @contextlib.asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        async with self._locks.setdefault(check_key(name), asyncio.Lock()):
            yield


class FileInternalState:
    """Internal state as files under `<data>/$pod/`."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir).resolve() / INTERNAL_FOLDER
        self.root.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, asyncio.Lock] = {}
        _remove_abandoned_temps(self.root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def read(self, key: str) -> bytes | None:
        return self.peek(key)  # small documents: cheaper than a thread hop

    def peek(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    async def write(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(_write_atomically, self._path(key), data)

    async def create(self, key: str, data: bytes) -> bool:
        return await asyncio.to_thread(_create_exclusively, self._path(key), data)

    async def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            await asyncio.to_thread(os.unlink, path)
        except FileNotFoundError:
            return False
        fsync_folder(path.parent)
        return True

    async def keys(self, folder: str) -> list[str]:
        path = self._path(folder)
        try:
            names = os.listdir(path)
        except FileNotFoundError:
            return []
        # Temp files start with '.', so a write in progress is never listed.
        return sorted(f"{folder}/{n}" for n in names if not n.startswith(".") and (path / n).is_file())

    def stamp(self, key: str) -> int | None:
        try:
            st = os.stat(self._path(key))
        except FileNotFoundError:
            return None
        return st.st_mtime_ns ^ (st.st_ino << 1) ^ st.st_size

    @contextlib.asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        # First among this process's tasks, then among processes (the CLI beside the server).
        async with self._locks.setdefault(check_key(name), asyncio.Lock()):
            lock_path = self.root / "locks" / name
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock


def _temp_beside(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.{uuid.uuid4().hex}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        # os.write may write less than asked (a disk that fills up mid-write): loop, so that a
        # short write ends in ENOSPC rather than a truncated document renamed into place.
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    os.close(fd)
    return temp


# A temp file is written and renamed within milliseconds; one this old was left by a process that
# died mid-write (another process — the CLI beside the server — may be writing one right now).
ABANDONED_TEMP_SECONDS = 600
_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{32}")


def _remove_abandoned_temps(root: Path) -> None:
    """Start-up clean-up: temp files of writes that never finished, so they cannot accumulate."""
    cutoff = time.time() - ABANDONED_TEMP_SECONDS
    for folder, subfolders, files in os.walk(root):
        if folder == str(root):
            subfolders[:] = [f for f in subfolders if f != "staging"]  # pod.storage.staging's own
        for name in files:
            path = os.path.join(folder, name)
            with contextlib.suppress(FileNotFoundError):
                if _TEMP_NAME.fullmatch(name) and os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)


def _write_atomically(path: Path, data: bytes) -> None:
    temp = _temp_beside(path, data)
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_folder(path.parent)


def _create_exclusively(path: Path, data: bytes) -> bool:
    # link() never replaces an existing name: the complete file appears, or nothing does.
    temp = _temp_beside(path, data)
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temp)
    fsync_folder(path.parent)
    return True
