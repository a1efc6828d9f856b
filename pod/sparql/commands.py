"""`pod index rebuild`: rebuild pods' SPARQL indexes from their files, with no server running on them."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path

from pod.config import Settings, settings_from
from pod.idp.setup import make_internal_state, make_storages
from pod.ldp.operations import Resources
from pod.sparql.index import PodIndex
from pod.sparql.service import index_folder, index_path
from pod.sparql.worker import IndexInUse, lock_folder
from pod.storage.base import ProcessLocker
from pod.storage.files import FileStore


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    index = commands.add_parser("index", help="the pods' SPARQL indexes")
    index_commands = index.add_subparsers(dest="index_command", required=True)
    rebuild = index_commands.add_parser(
        "rebuild",
        help="rebuild the SPARQL index of every pod (or of the --pod given) from the files; "
        "a running server rebuilds missing or stale indexes itself",
    )
    rebuild.add_argument("--data-dir", help="the server's data folder (POD_DATA_DIR; default ./data)")
    rebuild.add_argument("--base-url", help="the server's public URL, as `pod serve` has it (POD_BASE_URL)")
    rebuild.add_argument(
        "--single-user",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the root is the one pod, as `pod serve --single-user` (POD_SINGLE_USER)",
    )
    rebuild.add_argument("--pod", action="append", help="only this pod (its name; repeatable)")


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(
            {"data_dir": args.data_dir, "base_url": args.base_url, "single_user": args.single_user}
        )
    except ValueError as error:
        print(f"pod: {error}", file=sys.stderr)
        return 2
    return asyncio.run(rebuild(settings, args.pod))


async def rebuild(settings: Settings, names: list[str] | None = None) -> int:
    """Build each pod's index afresh; 1 when a pod's index is in use by a running server."""
    storages = make_storages(settings, make_internal_state(settings))
    await storages.load()
    resources = Resources(FileStore(settings.data_dir), ProcessLocker(), storages, settings.base_url)
    folder = index_folder(settings.data_dir)
    status = 0
    for record in storages.records():
        root = record.root
        if names and (root.is_root or root.name not in names):
            continue
        path = index_path(folder, root)
        if _in_use(path):
            print(
                f"pod: the index of {root} is in use by a running server, which keeps it current",
                file=sys.stderr,
            )
            status = 1
            continue
        shutil.rmtree(path, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        index = PodIndex(root, resources, path)
        await index.sync()
        graphs = len(index.tree.versions)
        await index.close()
        print(f"rebuilt the index of {resources.url(root)}: {graphs} graphs")
    return status


def _in_use(path: Path) -> bool:
    """A server's worker holds the folder's lock file while it has the index open."""
    if not path.exists():
        return False
    try:
        lock_folder(path).close()
    except IndexInUse:
        return True
    return False
