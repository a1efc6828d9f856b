"""`pod backup DIR` and `pod restore DIR`: a copy of the whole server (pods and internal state).

Why a copy taken while the server runs is consistent per resource: the server never changes a
file in place — every document and every internal-state document is written to a temp file
and renamed over the old one. So each file the backup links or copies is one complete version,
never a torn one. Across files, the copy is what a crash at some instant during the backup
would have left, and the server recovers from that by design (a folder index ignores leftover
files, counters marked dirty are recounted: every usage counter in the copy is marked dirty).
On the same file system the copy is made of hard links (instant, no extra space until the
server replaces the files); elsewhere files are copied. For a single-instant copy of a large
server, take a file-system snapshot (LVM, ZFS, btrfs) and run `pod backup` from the snapshot:
the same properties make a snapshot of a running server restorable as it is.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from pathlib import Path

from pod import __version__
from pod.storage.names import INTERNAL_FOLDER

MARKER = "pod-backup.json"
# The internal folder's transient parts: uploads in progress, lock files, half-made imports.
SKIPPED = frozenset({"staging", "locks", "imports", "health"})


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(source, target)


def _copy_tree(source: Path, target: Path, *, link: bool) -> int:
    files = 0
    for current, dirs, filenames in os.walk(source):
        relative = Path(current).relative_to(source)
        if relative == Path(INTERNAL_FOLDER):
            dirs[:] = [d for d in dirs if d not in SKIPPED]
        (target / relative).mkdir(exist_ok=True)
        for name in filenames:
            path = os.path.join(current, name)
            if os.path.islink(path) or name == MARKER:
                continue
            if link:
                _link_or_copy(path, str(target / relative / name))
            else:
                shutil.copy2(path, target / relative / name)
            files += 1
    return files


def _mark_counters_dirty(data: Path) -> None:
    for counter in (data / INTERNAL_FOLDER / "usage").glob("*.json"):
        saved = json.loads(counter.read_text())
        # Replaced, never written in place: the file is a hard link to the live server's.
        temp = counter.with_name(counter.name + ".tmp")
        temp.write_text(json.dumps({**saved, "dirty": True}))
        os.replace(temp, counter)


def backup(data_dir: Path, target: Path) -> int:
    """Copy the data folder into `target` (which must not exist or be empty); the files copied."""
    data_dir = Path(data_dir).resolve()
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"{target} is not empty")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    files = _copy_tree(data_dir, partial, link=True)
    _mark_counters_dirty(partial)
    info = {
        "server": f"pod {__version__}",
        "created": int(time.time()),
        "source": str(data_dir),
        "files": files,
    }
    (partial / MARKER).write_text(json.dumps(info, indent=1))
    if target.exists():
        target.rmdir()
    os.rename(partial, target)  # a backup is complete, or it is only `.partial`
    return files


def restore(source: Path, data_dir: Path) -> int:
    """Copy a backup into an empty data folder (the server stopped); the files restored."""
    if not (source / MARKER).is_file():
        raise ValueError(f"{source} is not a complete backup (no {MARKER})")
    data_dir = Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise ValueError(f"{data_dir} is not empty: restore into a new data folder, with the server stopped")
    data_dir.mkdir(parents=True, exist_ok=True)
    # Copies, not links: the restored server must never share inodes with the backup.
    return _copy_tree(source, data_dir, link=False)
