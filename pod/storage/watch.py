"""FolderWatch: the kernel says which files of the data folder changed (Linux inotify).

The FileStore asks each folder it has indexed to be watched. While a folder's watch is live, a
file there that no event has named since the FileStore looked at it is unchanged: its index and
its documents' stat results are answered from memory, with no system call. The events are read
at the start of each request (`changes`), so what another program did before a request arrived
is seen by that request, as it is with a stat.

Where inotify is missing (not Linux, or out of instances or watches), the FileStore stats as it
would without a watch: slower, never less exact.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

try:
    from inotify_simple import INotify, parse_events
    from inotify_simple import flags as inotify_flags
except ImportError:  # not Linux
    INotify = None

# Bytes taken from the kernel's queue per read: a few hundred events; a full read is followed by another.
READ_SIZE = 16 * 1024
# The largest event: its header and a name of NAME_MAX bytes with its terminator.
_LARGEST_EVENT = 16 + 256


class Change(NamedTuple):
    """One thing the kernel reported about a watched folder."""

    folder: Path  # as given to `watch`
    name: str  # of the file or folder inside it; "" when the change is to the folder itself
    kind: str  # ADDED, REMOVED, CONTENT, GONE (the folder itself) or OVERFLOW (events were lost)
    is_dir: bool = False


ADDED = "added"  # a name came: created, or renamed into the folder (a file replaced by rename too)
REMOVED = "removed"  # a name went: deleted, or renamed away
CONTENT = "content"  # a file was written in place, or its attributes changed
GONE = "gone"  # the watched folder itself was removed or moved: what is known under it is void
OVERFLOW = "overflow"  # the kernel's queue overflowed and events were lost: everything is void


if INotify is not None:
    _ADDED = inotify_flags.CREATE | inotify_flags.MOVED_TO
    _REMOVED = inotify_flags.DELETE | inotify_flags.MOVED_FROM
    _CONTENT = inotify_flags.MODIFY | inotify_flags.ATTRIB | inotify_flags.CLOSE_WRITE
    _MOVED_OR_DELETED = inotify_flags.DELETE_SELF | inotify_flags.MOVE_SELF
    _SELF = _MOVED_OR_DELETED | inotify_flags.IGNORED | inotify_flags.UNMOUNT
    MASK = _ADDED | _REMOVED | _CONTENT | _MOVED_OR_DELETED | inotify_flags.ONLYDIR


class FolderWatch:
    """One inotify instance: folders in, changes out. `open()` is None where inotify is missing."""

    def __init__(self, inotify: INotify) -> None:
        self._inotify = inotify
        self._fd = inotify.fileno()
        self._folders: dict[int, Path] = {}  # watch descriptor → folder
        self._full_logged = False

    @classmethod
    def open(cls) -> FolderWatch | None:
        if INotify is None:
            return None
        try:
            return cls(INotify(nonblocking=True))
        except OSError as error:  # EMFILE: out of inotify instances
            log.warning("no inotify instance (%s): the data folder is checked with stats instead", error)
            return None

    def watch(self, folder: Path) -> int | None:
        """Watch a folder; its descriptor, or None when it cannot be watched (gone, or out of watches)."""
        try:
            wd: int = self._inotify.add_watch(folder, MASK)
        except OSError as error:
            if not self._full_logged and error.errno == 28:  # ENOSPC: fs.inotify.max_user_watches
                self._full_logged = True
                log.warning("out of inotify watches: further folders are checked with stats instead")
            return None
        self._folders[wd] = folder
        return wd

    def unwatch(self, wd: int) -> None:
        if self._folders.pop(wd, None) is not None:
            with contextlib.suppress(OSError):  # already gone with its folder
                self._inotify.rm_watch(wd)

    def changes(self) -> list[Change]:
        """What happened since the last call (usually nothing: one read, which finds none)."""
        data = self._read()
        if not data:
            return []
        found = []
        for event in parse_events(data):
            if event.mask & inotify_flags.Q_OVERFLOW:
                found.append(Change(Path(), "", OVERFLOW))
                continue
            folder = self._folders.get(event.wd)
            if folder is None:
                continue  # a watch given up already
            if event.mask & inotify_flags.IGNORED:
                del self._folders[event.wd]  # the kernel dropped the watch with its folder
            if event.mask & _SELF:
                kind = GONE
            elif event.mask & _ADDED:
                kind = ADDED
            elif event.mask & _REMOVED:
                kind = REMOVED
            else:
                kind = CONTENT
            found.append(Change(folder, event.name, kind, bool(event.mask & inotify_flags.ISDIR)))
        return found

    def _read(self) -> bytes:
        # One non-blocking read, rather than inotify_simple's ioctl (how much is there?) and a
        # read: a system call less on every request that finds events (every write's).
        chunks = []
        while True:
            try:
                chunk = os.read(self._fd, READ_SIZE)
            except BlockingIOError:
                break
            chunks.append(chunk)
            if len(chunk) <= READ_SIZE - _LARGEST_EVENT:
                break  # the next event would have fitted: there was none
        return b"".join(chunks) if len(chunks) != 1 else chunks[0]

    def close(self) -> None:
        self._folders.clear()
        self._inotify.close()


def under(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or inside it."""
    return path == folder or folder in path.parents
