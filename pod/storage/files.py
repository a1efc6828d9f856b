"""FileStore: resources as files and folders under the data folder (the embedded default)."""

from __future__ import annotations

import errno
import functools
import operator
import os
import threading
import time
import typing
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from pod.errors import Conflict, NotFound, UriTooLong
from pod.ldp.cache import Lru
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.storage import names
from pod.storage.base import Body, Entry, RequestView, Staged, request_view
from pod.storage.durability import fsync_folder
from pod.storage.io_threads import IoThreads
from pod.storage.staging import StagingArea, disk_full_is_507, remove_quietly
from pod.storage.watch import ADDED, GONE, OVERFLOW, REMOVED, Change, FolderWatch, under

CHUNK_SIZE = 256 * 1024
# Files up to this size are read on the event loop: cheaper than a trip to a worker thread.
INLINE_READ_LIMIT = 256 * 1024
# Linux NAME_MAX.
MAX_FILE_NAME_BYTES = 255
# Seconds a container listing may reuse its documents' sizes and times when its folder is not
# watched (pod.storage.watch). Every change this server makes shows at once (it renames files into
# place, which the folder index records); a file rewritten in place by another program shows in
# listings within this time. Listing a 1,000-child container otherwise costs 1,000 stats, most of
# its time. In a watched folder the stats are kept until an event names their file.
CHILD_STAT_MAX_AGE = 1.0
# Documents' stat results kept for watched folders (by file path), exact until an event names them.
WATCHED_ENTRIES = 4096
# In a request's view (pod.storage.base): the kernel's events were applied for this request.
_CHANGES_TAKEN = object()
# Nanoseconds within which two changes to a folder may leave it the same modification time (a
# coarse kernel clock tick is 1–10 ms): an index scanned that soon after a change is scanned again.
RACY_WINDOW_NS = 20_000_000
# Watched folders whose descriptors are kept open for the writes into them (see `_FolderHandle`):
# at most this many; past it, the idle ones are closed.
MAX_FOLDER_HANDLES = 64


T = typing.TypeVar("T")

_file_name = operator.attrgetter("name")


@dataclass(frozen=True, slots=True)
class _Listed:
    """How a resource is stored in its folder: a file of a media type, or a folder."""

    file_name: str | None  # None: under the resource's own name (most are; see `_listed`)
    is_dir: bool
    media_type: str | None

    def file_of(self, name: str) -> str:
        """The file (or folder) name of the resource `name` listed so."""
        return name if self.file_name is None else self.file_name


def _listed(name: str, file_name: str, is_dir: bool, media_type: str | None) -> _Listed:
    """How `name` is stored; one shared object for all stored under their own name, by kind (a
    folder's index holds one per file: 64 bytes each, some 6 MB for 100,000 files)."""
    return (
        _stored_as_named(is_dir, media_type) if file_name == name else _Listed(file_name, is_dir, media_type)
    )


@functools.lru_cache(maxsize=256)  # media types are the clients' to choose: a bounded few kept
def _stored_as_named(is_dir: bool, media_type: str | None) -> _Listed:
    return _Listed(None, is_dir, media_type)


@dataclass(slots=True)
class _FolderIndex:
    """Resource name → file, for one folder; valid while the folder's mtime is unchanged."""

    mtime_ns: int
    by_name: dict[str, _Listed] = field(default_factory=dict)
    # Other files for a name already in by_name (left by a crash between a rename and the
    # removal of the old file): removed by the next write or delete of that name, so that an
    # old version never comes back once the one served is deleted.
    shadowed: dict[str, list[str]] = field(default_factory=dict)
    # The documents' stat results, for listings: taken at most CHILD_STAT_MAX_AGE ago, and
    # dropped for a name whenever this server changes it.
    stats: dict[str, Entry] = field(default_factory=dict)
    stats_taken: float = 0.0
    # Scanned so soon after the folder's last change that another change may share its time.
    racy: bool = False
    # The folder's watch (pod.storage.watch), or None: then its time is checked once per request.
    wd: int | None = None
    # An event said a name came or went here: compare the folder's time before trusting this index.
    verify: bool = False


class FileStore:
    """Containers are folders, documents are files; see pod.storage.names for the naming rules."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        # Uploads are received here in full, then renamed into place (same file system); what a
        # store that is gone left there is removed now (pod.storage.staging says when it is gone).
        self._staging = StagingArea(self.root / names.INTERNAL_FOLDER / "staging")
        self._io = IoThreads(name="pod-files")  # for each blocking call (a write's fsyncs above all)
        self._indexes: dict[Path, _FolderIndex] = {}
        # Folders our own writes are changing right now, with the events each change will cause
        # ((file name, ADDED or REMOVED) → how many changes expect it): their mtime moves under
        # us, but every such change is recorded in the index as it completes, so no rescan.
        self._changing_now: dict[Path, dict[tuple[str, str], int]] = {}
        # Watched folders' descriptors, kept open for the writes into them (see `_handle`).
        self._handles: dict[Path, _FolderHandle] = {}
        # Container → its folder: a pure function of the path, asked for several times in every
        # request (functools' LRU: a C call, where a Python one costs ~5x as much).
        self._folder = functools.lru_cache(maxsize=4096)(self._folder_of)
        # The kernel's reports of changes (opened at first use; None where inotify is missing), and
        # documents' stat results in watched folders, by file path: no stat while nothing changed.
        self._watch: FolderWatch | None = None
        self._watch_tried = False
        self._entries: Lru[str, Entry] = Lru(WATCHED_ENTRIES)
        # Store.generation: moves with every change seen. Only while every indexed folder is
        # watched does it speak for all of them (a folder that could not be watched ends that).
        self._generation = 0
        self._all_watched = True
        # Store.acl_generation: moves with every change that may touch an ACL document (a name
        # ending in `.acl`, a folder coming or going, a folder scanned afresh, lost events).
        self._acl_generation = 0

    def close(self) -> None:
        """Give the watch back to the kernel; from here on every question is answered with stats."""
        self._watch_tried = True
        self._generation += 1
        self._acl_generation += 1
        self._io.close()
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        self._indexes.clear()
        self._entries.clear()
        for folder in list(self._handles):
            self._handles.pop(folder).drop()

    # -- locating -----------------------------------------------------------------------------

    def _folder_of(self, container: ResourceIdentifier) -> Path:
        return self.root.joinpath(*(names.encode_name(s) for s in container.segments))

    def _index(self, folder: Path) -> _FolderIndex | None:
        """The (cached) index of a folder, or None when the folder does not exist."""
        view = request_view()
        index = self._indexes.get(folder)
        if view is not None and index is not None and folder in view.checked:
            return index  # checked once in this request; our own changes are recorded as they happen
        if self._take_changes(view):
            index = self._indexes.get(folder)
            if index is not None and index.wd is not None and not index.verify:
                if view is not None:
                    view.checked.add(folder)
                return index  # watched, and no name came or went since it was last checked
        try:
            mtime_ns = os.stat(folder).st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):
            if self._indexes.pop(folder, None) is not None:
                self._acl_generation += 1  # gone with whatever ACLs it held
            return None
        if view is not None:
            view.checked.add(folder)
        unchanged = index is not None and index.mtime_ns == mtime_ns and not index.racy
        # Our own changes in flight move the folder's time too, so it tells nothing then; but an
        # event of another program's (`verify`) was seen, and only a scan can say what it did.
        if index is not None and (unchanged or (folder in self._changing_now and not index.verify)):
            index.verify = False
            return index
        # A folder changed within the file system's clock tick of this scan may change again
        # without its time moving: such an index is scanned once more next time ("racy", as in git).
        index = _FolderIndex(mtime_ns, racy=time.time_ns() - mtime_ns < RACY_WINDOW_NS)
        # Watched before the scan: a change during it is reported, and checked for next time.
        index.wd = self._watch.watch(folder) if self._watch is not None else None
        try:
            with os.scandir(folder) as entries:
                # In name order, so are its children listed: a listing, sorting them by path, finds
                # them (nearly) in order, and their entries (made in this order) close in memory.
                for entry in sorted(entries, key=_file_name):
                    self._add_to_index(index, entry)
        except NotADirectoryError:
            return None
        self._generation += 1
        self._acl_generation += 1  # what is in the folder now was not known before
        if index.wd is None:
            self._all_watched = False
        self._indexes[folder] = index
        return index

    def _take_changes(self, view: RequestView | None) -> bool:
        """Apply what the kernel reported since the last look (once per request); False: no watch."""
        watch = self._watch
        if watch is None:
            if self._watch_tried:
                return False
            self._watch_tried = True
            watch = self._watch = FolderWatch.open()
            if watch is None:
                return False
        if view is not None:
            if _CHANGES_TAKEN in view.checked:
                return True
            view.checked.add(_CHANGES_TAKEN)
        for change in watch.changes():
            self._apply(change)
        return True

    def _apply(self, change: Change) -> None:
        self._generation += 1
        if change.kind == OVERFLOW:
            self._acl_generation += 1
            self._indexes.clear()
            self._entries.clear()
            return
        if change.kind == GONE:
            self._acl_generation += 1
            self._forget_under(change.folder)
            return
        name = _resource_name(change)
        if change.is_dir or _is_acl(name):  # a folder may bring or take ACLs with it
            self._acl_generation += 1
        self._entries.pop(os.path.join(change.folder, change.name))
        index = self._indexes.get(change.folder)
        if index is None:
            return  # (a watched folder moved or removed reports it itself, as GONE: see above)
        if name is not None:
            index.stats.pop(name, None)
        if change.kind in (ADDED, REMOVED) and not _already_in(index, name, change):
            expected = self._changing_now.get(change.folder)
            if expected is None or (change.name, change.kind) not in expected:
                index.verify = True  # (an event of our own change in flight: recorded as it completes)

    def _forget_under(self, folder: Path) -> None:
        for path in [path for path in self._indexes if under(path, folder)]:
            index = self._indexes.pop(path)
            if index.wd is not None and self._watch is not None:
                self._watch.unwatch(index.wd)
        self._entries.clear()  # by file path: simpler to start afresh than to pick out a subtree

    @staticmethod
    def _add_to_index(index: _FolderIndex, entry: os.DirEntry[str]) -> None:
        if entry.is_symlink():
            return  # never follow a link out of the data folder
        if entry.is_dir():
            if names.SEPARATOR in entry.name:
                return  # the server's own folders
            name = names.decode_name(entry.name)
            index.by_name.setdefault(name, _listed(name, entry.name, True, None))
            return
        stored = names.parse_file_name(entry.name)
        if stored is None:
            return
        listed = _listed(stored.name, entry.name, False, stored.media_type)
        current = index.by_name.get(stored.name)
        current_file = None if current is None else current.file_of(stored.name)
        # Two files for one name (a crash between writing the new and removing the old):
        # the folder's order is arbitrary, so prefer the plain name, deterministically.
        if current_file is None or (names.SEPARATOR in current_file and names.SEPARATOR not in entry.name):
            index.by_name[stored.name] = listed
            if current_file is not None:
                index.shadowed.setdefault(stored.name, []).append(current_file)
        else:
            index.shadowed.setdefault(stored.name, []).append(entry.name)

    def _locate(self, identifier: ResourceIdentifier) -> tuple[str, _Listed, _FolderIndex] | None:
        parent = identifier.parent
        if parent is None:
            return None
        folder = self._folder(parent)
        index = self._index(folder)
        if index is None:
            return None
        listed = index.by_name.get(identifier.name)
        if listed is None or listed.is_dir != identifier.is_container:
            return None
        return os.path.join(folder, listed.file_of(identifier.name)), listed, index

    def _entry(
        self, identifier: ResourceIdentifier, path: str | Path, media_type: str | None
    ) -> Entry | None:
        try:
            return _entry_of(identifier, os.stat(path), media_type)
        except FileNotFoundError:
            return None

    # -- the Store protocol -------------------------------------------------------------------

    async def stat(self, identifier: ResourceIdentifier) -> Entry | None:
        if identifier.is_root:
            return self._entry(identifier, self.root, None)
        located = self._locate(identifier)
        if located is None:
            return None
        path, listed, index = located
        if index.wd is None or listed.is_dir:  # a folder's time moves with what happens inside it
            return self._entry(identifier, path, listed.media_type)
        entry = self._entries.get(path)  # exact: any event naming the file removed it
        if entry is None:
            entry = self._entry(identifier, path, listed.media_type)
            if entry is not None:
                self._entries.put(path, entry)
        return entry

    def generation(self) -> int | None:
        if not self._take_changes(request_view()) or not self._all_watched:
            return None
        return self._generation

    def acl_generation(self) -> int | None:
        if not self._take_changes(request_view()) or not self._all_watched:
            return None
        return self._acl_generation

    async def exists(self, identifier: ResourceIdentifier) -> bool:
        # From the folder index (checked against the folder's time): no stat of the resource itself.
        return identifier.is_root or self._locate(identifier) is not None

    def _document_path(self, identifier: ResourceIdentifier) -> str:
        located = self._locate(identifier)
        if located is None or identifier.is_container:
            raise NotFound(f"{identifier} does not exist")
        return located[0]

    async def read(self, identifier: ResourceIdentifier) -> bytes:
        descriptor = os.open(self._document_path(identifier), os.O_RDONLY | os.O_CLOEXEC)
        try:
            size = os.fstat(descriptor).st_size
            if size <= INLINE_READ_LIMIT:
                return _read_all(descriptor, size)
            return await self._io.run(_read_all, descriptor, size)
        finally:
            os.close(descriptor)

    async def stream(
        self, identifier: ResourceIdentifier, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        path = self._document_path(identifier)
        with open(path, "rb") as file:
            file.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await self._io.run(file.read, size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def stage(self, body: Body) -> Staged:
        path = self._staging.new_path()
        try:
            with disk_full_is_507("this body"):
                if isinstance(body, bytes):
                    await self._io.run(_write_file, path, body)
                    return Staged(len(body), path)
                size = 0
                with open(path, "wb") as file:
                    async for chunk in body:
                        file.write(chunk)
                        size += len(chunk)
                    await self._io.run(_flush_and_sync, file)
                return Staged(size, path)
        except BaseException:
            remove_quietly(path)
            raise

    async def discard(self, staged: Staged) -> None:
        assert isinstance(staged.handle, str)
        remove_quietly(staged.handle)

    async def write(
        self, identifier: ResourceIdentifier, content: bytes | Staged, content_type: str
    ) -> Entry:
        # A body already in memory is written, synced and renamed into place in one trip to a thread.
        staged = content if isinstance(content, Staged) else Staged(len(content), self._staging.new_path())
        assert isinstance(staged.handle, str)
        try:
            parent = identifier.parent
            assert parent is not None and not identifier.is_container
            folder = self._folder(parent)
            index = self._index(folder)
            if index is None:
                raise NotFound(f"the container {parent} does not exist")
            previous = index.by_name.get(identifier.name)
            if previous is not None and previous.is_dir:
                raise Conflict(f"{identifier.with_slash_toggled()} is a container")
            file_name = names.file_name_for(identifier.name, content_type)
            if len(file_name.encode("utf-8")) > MAX_FILE_NAME_BYTES:
                raise UriTooLong(f"the name {identifier.name!r} is too long to store")
            previous_file = previous.file_of(identifier.name) if previous else None
            stale = [previous_file] if previous_file is not None and previous_file != file_name else []
            stale += [f for f in index.shadowed.pop(identifier.name, []) if f != file_name]
            expected = [(file_name, ADDED), *((name, REMOVED) for name in stale)]
            with disk_full_is_507(str(identifier)), self._changing(folder, expected):
                if isinstance(content, bytes):
                    commit = functools.partial(_write_and_commit, staged.handle, content)
                else:
                    commit = functools.partial(_commit, staged.handle)
                handle = self._handle(folder, index)
                run = commit if handle is None else functools.partial(handle.use, commit)
                folder_mtime_ns, st = await self._io.run(run, folder, file_name, stale)
        except BaseException:
            remove_quietly(staged.handle)
            raise
        self._record(
            folder, identifier.name, _listed(identifier.name, file_name, False, content_type), folder_mtime_ns
        )
        return _entry_of(identifier, st, content_type)

    def _handle(self, folder: Path, index: _FolderIndex) -> _FolderHandle | None:
        """The open descriptor of a folder being written into; None unless it is watched.

        Watched, a folder replaced or moved away is reported (GONE), and what is known of it is
        forgotten: its next index is a new one, and a handle serves only the index it was opened
        for, so a descriptor never outlives the folder it stands for.
        """
        if index.wd is None:
            return None
        handle = self._handles.get(folder)
        if handle is not None and handle.index is index:
            return handle
        if handle is not None:
            self._handles.pop(folder).drop()
        if len(self._handles) >= MAX_FOLDER_HANDLES:
            for path in [path for path, kept in self._handles.items() if not kept.users]:
                self._handles.pop(path).drop()
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            return None
        handle = self._handles[folder] = _FolderHandle(fd, index)
        return handle

    def _changing(self, folder: Path, events: list[tuple[str, str]]) -> _Changing:
        """Around our own change to a folder, which causes `events`: concurrent writes there must
        not force rescans, nor the events they cause even a stat of the folder.

        Without it every write into a large container (each moving the folder's mtime while
        others are in flight) would make the next request scan the whole folder again.
        """
        return _Changing(self._changing_now, folder, events)

    def _record(self, folder: Path, name: str, listed: _Listed | None, mtime_ns: int | None = None) -> None:
        """Apply our own change to a cached index instead of rescanning a large folder.

        `mtime_ns`: the folder's time as the change's own thread saw it after the change. Of
        concurrent changes, the one seen last is the latest, so the largest is kept (a smaller
        one than the folder's real time would only cost a rescan, never a stale answer).
        """
        self._generation += 1
        if _is_acl(name):
            self._acl_generation += 1
        index = self._indexes.get(folder)
        if index is None:
            return
        previous = index.by_name.get(name)
        if previous is not None:
            self._entries.pop(os.path.join(folder, previous.file_of(name)))
        if listed is None:
            index.by_name.pop(name, None)
        else:
            index.by_name[name] = listed
            self._entries.pop(os.path.join(folder, listed.file_of(name)))
        index.stats.pop(name, None)
        index.racy = False  # a change of ours is recorded: the folder's time is ours from here
        if mtime_ns is not None:
            index.mtime_ns = max(index.mtime_ns, mtime_ns)
            return
        try:
            index.mtime_ns = os.stat(folder).st_mtime_ns
        except FileNotFoundError:
            self._indexes.pop(folder, None)

    async def make_container(self, identifier: ResourceIdentifier) -> Entry:
        if identifier.is_root:
            entry = await self.stat(identifier)
            assert entry is not None
            return entry
        parent = identifier.parent
        assert parent is not None and identifier.is_container
        folder = self._folder(parent)
        index = self._index(folder)
        if index is None:
            raise NotFound(f"the container {parent} does not exist")
        previous = index.by_name.get(identifier.name)
        if previous is not None and not previous.is_dir:
            raise Conflict(f"{identifier.with_slash_toggled()} is a document")
        dir_name = names.encode_name(identifier.name)
        if len(dir_name.encode("utf-8")) > MAX_FILE_NAME_BYTES:
            raise UriTooLong(f"the name {identifier.name!r} is too long to store")
        with disk_full_is_507(str(identifier)), self._changing(folder, [(dir_name, ADDED)]):
            await self._io.run(_make_folder, folder, dir_name)
        self._record(folder, identifier.name, _listed(identifier.name, dir_name, True, None))
        entry = self._entry(identifier, folder / dir_name, None)
        assert entry is not None
        return entry

    async def delete(self, identifier: ResourceIdentifier) -> None:
        located = self._locate(identifier)
        if located is None:
            raise NotFound(f"{identifier} does not exist")
        path = Path(located[0])
        folder = path.parent
        index = self._indexes.get(folder)
        shadowed = [] if identifier.is_container or index is None else index.shadowed.pop(identifier.name, [])
        with self._changing(folder, [(name, REMOVED) for name in (path.name, *shadowed)]):
            if identifier.is_container:
                await self._io.run(_remove_folder, path)
                self._indexes.pop(path, None)
                if (handle := self._handles.pop(path, None)) is not None:
                    handle.drop()
            else:
                await self._io.run(_remove_file, path, shadowed)
        self._record(folder, identifier.name, None)

    async def children(self, container: ResourceIdentifier) -> list[Entry]:
        folder = self._folder(container)
        index = self._index(folder)
        if index is None:
            raise NotFound(f"{container} does not exist")
        now = time.monotonic()
        if index.wd is None and now - index.stats_taken > CHILD_STAT_MAX_AGE:
            index.stats.clear()
            index.stats_taken = now
        found = []
        # Not a copy of the items: nothing here changes the index, and a tuple per child (100,000
        # in a large folder) would set the garbage collector going over the whole heap.
        for name, listed in index.by_name.items():
            entry = index.stats.get(name)
            if entry is None:
                child = ResourceIdentifier((*container.segments, name), listed.is_dir)
                entry = self._entry(child, os.path.join(folder, listed.file_of(name)), listed.media_type)
                if entry is None:
                    continue
                if not listed.is_dir:  # a folder's time moves with what happens inside it
                    index.stats[name] = entry
            found.append(entry)
        return found


class _FolderHandle:
    """A watched folder's open descriptor, kept for the writes into it: each renames its file in and
    syncs the folder through it, with no open and close of the folder of its own.

    Used from I/O threads and dropped from the event loop, so its count of users is under a lock:
    the descriptor is closed by whichever side is last, never while a write still uses it (even
    one whose caller was cancelled: the write runs to its end regardless).
    """

    __slots__ = ("_dropped", "_lock", "fd", "index", "users")

    def __init__(self, fd: int, index: _FolderIndex) -> None:
        self.fd = fd
        self.index = index  # the only index it serves (see FileStore._handle)
        self.users = 0
        self._dropped = False
        self._lock = threading.Lock()

    def use(self, commit: typing.Callable[..., T], *args: typing.Any) -> T:
        """`commit(*args, folder_fd=fd)`, in an I/O thread, with the descriptor held open meanwhile."""
        with self._lock:
            if self._dropped:
                fd = None  # dropped since the write was sent: the folder by its path, as unwatched
            else:
                fd = self.fd
                self.users += 1
        if fd is None:
            return commit(*args)
        try:
            return commit(*args, folder_fd=fd)
        finally:
            with self._lock:
                self.users -= 1
                last = self._dropped and not self.users
            if last:
                os.close(fd)

    def drop(self) -> None:
        """No more writes through this handle; the descriptor closes once the last one is done."""
        with self._lock:
            self._dropped = True
            last = not self.users
        if last:
            os.close(self.fd)


class _Changing:
    """FileStore._changing: a plain context manager, not a generator's (every write goes through one)."""

    __slots__ = ("events", "expected", "folder", "now")

    def __init__(
        self, now: dict[Path, dict[tuple[str, str], int]], folder: Path, events: list[tuple[str, str]]
    ) -> None:
        self.now = now
        self.folder = folder
        self.events = events

    def __enter__(self) -> None:
        self.expected = expected = self.now.setdefault(self.folder, {})
        for event in self.events:
            expected[event] = expected.get(event, 0) + 1

    def __exit__(self, *exc_info: object) -> None:
        expected = self.expected
        for event in self.events:
            left = expected[event] - 1
            if left:
                expected[event] = left
            else:
                del expected[event]
        if not expected:
            del self.now[self.folder]


def _entry_of(identifier: ResourceIdentifier, st: os.stat_result, media_type: str | None) -> Entry:
    # The inode tells apart two versions written within one clock tick (each is renamed into place).
    return Entry(identifier, media_type, st.st_size, st.st_mtime_ns, st.st_ino)


def _read_all(descriptor: int, size: int) -> bytes:
    """The whole file: `size` bytes as stat saw them, and whatever a concurrent append added."""
    chunks = [os.read(descriptor, max(size, 1))]
    while chunks[-1]:
        chunks.append(os.read(descriptor, CHUNK_SIZE))
    return b"".join(chunks) if len(chunks) > 2 else chunks[0]


_DATA_SYNC = getattr(os, "O_DSYNC", 0)  # (not on Windows: there an fsync follows the write)


def _write_file(path: str, data: bytes) -> os.stat_result:
    """`data` as a new synced file at `path`, and the file's stat (renaming the file keeps it).

    Each write is synced as it is made (O_DSYNC: the data, and what reading it back needs, such as
    its size): the same as an fdatasync after it, in one system call less, so one time less that
    this thread takes the GIL back under load. A full disk shows as ENOSPC here, before the rename.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _DATA_SYNC, 0o666)
    try:
        remaining = memoryview(data)
        while remaining:  # a short write: the disk filled up part way (the next write says so)
            remaining = remaining[os.write(descriptor, remaining) :]
        if not _DATA_SYNC:
            os.fsync(descriptor)
        return os.fstat(descriptor)
    finally:
        os.close(descriptor)


def _flush_and_sync(file: typing.BinaryIO) -> None:
    # Buffered bytes reach the disk here: a full disk shows as ENOSPC now, not at close.
    file.flush()
    os.fsync(file.fileno())


def _rename_into_place(
    staged: str, folder: Path, file_name: str, stale: list[str], folder_fd: int | None = None
) -> int:
    """Rename the complete staged file into place, drop old files of other types, sync; the
    folder's time after the change (taken here, in the worker thread, rather than on the event
    loop, where a stat of a busy folder waits). Through the folder's descriptor: the one held
    open for it, if given, else one opened for this change alone."""
    if folder_fd is None:
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return _rename_into_place(staged, folder, file_name, stale, folder_fd)
        finally:
            os.close(folder_fd)
    os.replace(staged, file_name, dst_dir_fd=folder_fd)
    for name in stale:
        remove_quietly(os.path.join(folder, name))
    os.fsync(folder_fd)
    return os.fstat(folder_fd).st_mtime_ns


def _commit(
    staged: str, folder: Path, file_name: str, stale: list[str], folder_fd: int | None = None
) -> tuple[int, os.stat_result]:
    """A staged upload into place: the folder's time and the file's stat."""
    st = os.stat(staged)
    return _rename_into_place(staged, folder, file_name, stale, folder_fd), st


def _write_and_commit(
    staged: str, data: bytes, folder: Path, file_name: str, stale: list[str], folder_fd: int | None = None
) -> tuple[int, os.stat_result]:
    st = _write_file(staged, data)
    return _rename_into_place(staged, folder, file_name, stale, folder_fd), st


def _make_folder(folder: Path, dir_name: str) -> None:
    try:
        os.mkdir(folder / dir_name)
    except FileExistsError:
        return
    fsync_folder(folder)


def _remove_file(path: Path, shadowed: list[str]) -> None:
    os.unlink(path)
    for name in shadowed:
        remove_quietly(path.parent / name)
    fsync_folder(path.parent)


def _remove_folder(path: Path) -> None:
    """Remove an empty folder; an upload still being written into it keeps it (409)."""
    try:
        os.rmdir(path)
    except OSError as error:
        if error.errno == errno.ENOTEMPTY:
            raise Conflict("the container is not empty (an upload into it may be in progress)") from error
        raise
    fsync_folder(path.parent)


def _is_acl(name: str | None) -> bool:
    """Whether a resource name is an ACL document's (WAC §ACL Resource Discovery: `.acl`)."""
    return name is not None and name.endswith(AuxiliaryKind.ACL.value)


def _resource_name(change: Change) -> str | None:
    """The resource a changed file or folder stands for (None: a file of the server's own)."""
    if change.is_dir:
        return names.decode_name(change.name)
    stored = names.parse_file_name(change.name)
    return None if stored is None else stored.name


def _already_in(index: _FolderIndex, name: str | None, change: Change) -> bool:
    """Whether the index already says what a name's coming or going means (as after our own
    writes, which record themselves): then the folder need not be checked again."""
    if name is None:
        return True  # a file of no resource (a temporary one): the index never has it
    listed = index.by_name.get(name)
    here = listed is not None and listed.file_of(name) == change.name and listed.is_dir == change.is_dir
    if change.kind == ADDED:
        return here
    return not here and change.name not in index.shadowed.get(name, ())
