"""The staging area: where a FileStore receives upload bodies before renaming them into place.

Each store instance stages into a folder of its own, `<data>/$pod/staging/<id>/`, and holds an
exclusive flock on `<id>.lock` for as long as it lives. A folder whose lock can be taken belongs
to a store that is gone (ended, or killed mid-upload), so everything in it is stale: start-up
removes it. Staleness is decided by whether the owner is alive, not by age, so the rule holds
for one server process, for several workers sharing a data folder, and for the `pod accounts`
command run beside a serving server — none removes an upload another is still receiving.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import os
import shutil
import uuid
import weakref
from pathlib import Path

from pod.errors import InsufficientStorage

LOCK_SUFFIX = ".lock"
# A full disk, or a full quota: both mean "no room for this write".
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def disk_full_is_507(what: str) -> _DiskFullIs507:
    """Turn ENOSPC/EDQUOT into a 507 that says what could not be stored (RFC 4918 §11.5)."""
    return _DiskFullIs507(what)


class _DiskFullIs507:
    # A plain context manager, not a generator's: every write goes through one.
    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        pass

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> None:
        if isinstance(error, OSError) and error.errno in DISK_FULL:
            raise InsufficientStorage(f"no space left on the server's disk to store {self.what}") from error


class StagingArea:
    """A staging folder owned by this instance; dead owners' folders are removed on creation."""

    def __init__(self, staging: Path) -> None:
        staging.mkdir(parents=True, exist_ok=True)
        remove_abandoned(staging)
        owner, fd = _locked_owner(staging)
        # Lock first, folder second: a folder is never seen without a live lock beside it.
        self.folder = staging / owner
        self._prefix = str(self.folder) + os.sep
        self.folder.mkdir()
        self._serial = itertools.count()
        # Closing the descriptor releases the lock: when the store is collected, or the process
        # ends in any way (SIGKILL included), the folder becomes abandoned for the next start-up.
        self._release = weakref.finalize(self, _release, fd, self.folder, staging / (owner + LOCK_SUFFIX))

    def new_path(self) -> str:
        # The folder is this instance's alone, so a counter names its files uniquely (and costs no
        # random bytes from the kernel, as a uuid4 would on every write). A str, not a Path: it
        # goes straight to os calls, on every write.
        return self._prefix + str(next(self._serial))

    def close(self) -> None:
        """Remove this instance's folder and release it (tests; a server simply exits)."""
        self._release()


def _locked_owner(staging: Path) -> tuple[str, int]:
    """A new owner id and the descriptor holding its lock."""
    while True:
        owner = uuid.uuid4().hex
        lock = staging / (owner + LOCK_SUFFIX)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            # A cleaner may have taken the lock and unlinked the file between open and flock.
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                return owner, fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _release(fd: int, folder: Path, lock: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock)
    os.close(fd)


def remove_abandoned(staging: Path) -> int:
    """Remove the staged bodies of every owner that is gone; the number of entries removed."""
    removed = 0
    for entry in os.scandir(str(staging)):
        name = entry.name
        if name.endswith(LOCK_SUFFIX):
            continue
        lock = staging / (name + LOCK_SUFFIX)
        if entry.is_dir(follow_symlinks=False) and not _owner_gone(lock):
            continue
        # A plain file here was staged by a version that had one shared folder: no owner is left.
        remove_quietly(entry.path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        removed += 1
    for entry in os.scandir(str(staging)):
        # A lock file without its folder: its owner was removed above or died before mkdir.
        path = entry.path
        orphan = path.endswith(LOCK_SUFFIX) and not os.path.exists(path[: -len(LOCK_SUFFIX)])
        if orphan and _owner_gone(Path(path)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    return removed


def _owner_gone(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return True  # the owner died between creating its folder and its lock, or never locked
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # releases the lock just taken, if it was
    return True


def remove_quietly(path: str | Path) -> None:
    """Remove a file or a folder (not following a link); gone already is fine."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass
