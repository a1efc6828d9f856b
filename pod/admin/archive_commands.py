"""`pod export`, `pod import`, `pod backup`, `pod restore`: moving pods and servers (issue 15)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from pod.admin import archive, backup, migrate_commands
from pod.admin.usage import count_bytes, usage_key
from pod.config import Settings
from pod.errors import Conflict, NotFound, PodError
from pod.idp.commands import data_folder_flags, settings_for
from pod.idp.pods import check_pod_name
from pod.idp.setup import IdentityProvider, build, make_storages
from pod.ldp.identifiers import parse_path
from pod.ldp.storages import StorageRecord
from pod.storage.files import FileStore
from pod.storage.internal import FileInternalState

COMMANDS = frozenset({"export", "import", "backup", "restore"})


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = data_folder_flags(
        commands.add_parser("export", help="write a pod as a tar archive (stdout or -o FILE)")
    )
    export.add_argument("pod", help="the pod's name")
    export.add_argument("-o", "--output", help="the archive to write (default: stdout)")
    imported = data_folder_flags(
        commands.add_parser(
            "import",
            help="recreate a pod from an archive of `pod export`, or bring over the pods of a CSS or NSS "
            "data folder (--from-css/--from-nss DIR)",
        )
    )
    imported.add_argument("archive", nargs="?", help="the archive (- for stdin)")
    imported.add_argument("--as", dest="name", help="the new pod's name (needed for an archive)")
    imported.add_argument("--email", help="attach the pod(s) to this existing account")
    # Issue 15, migration in: pod.admin.migrate_commands.
    migrate_commands.add_arguments(imported)
    made = data_folder_flags(
        commands.add_parser("backup", help="copy the whole server (data and state) into DIR")
    )
    made.add_argument("target")
    restored = data_folder_flags(
        commands.add_parser("restore", help="bring a backup back into an empty data folder")
    )
    restored.add_argument("source")


async def _idp(settings: Settings) -> IdentityProvider:
    state = FileInternalState(settings.data_dir)
    idp = build(settings, FileStore(settings.data_dir), make_storages(settings, state))
    await idp.start()
    return idp


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    idp = await _idp(settings)
    pod_url = settings.base_url if idp.pods.single_user else f"{settings.base_url}{check_pod_name(args.pod)}/"
    root = idp.pods.root_of(pod_url)
    record = idp.storages.record(root)
    if record is None or await idp.pods.store.stat(root) is None:
        raise NotFound(f"there is no pod {args.pod!r}")
    protected = {doc.path[len(root.path) :]: [list(t) for t in ts] for doc, ts in record.protected.items()}
    out = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    try:
        manifest = await archive.export_pod(
            idp.pods.store, root, pod_url, sorted(record.owners), out, protected
        )
    finally:
        if args.output:
            out.close()
    print(
        f"exported {len(manifest.documents)} documents, {len(manifest.containers)} containers",
        file=sys.stderr,
    )
    return 0


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    started = time.monotonic()
    if args.from_css or args.from_nss:
        if args.archive:
            raise PodError("give an archive or --from-css/--from-nss DIR, not both")
        return await migrate_commands.migrate_in(await _idp(settings), settings, args)
    if not args.archive or not args.name:
        raise PodError("pod import ARCHIVE --as NAME (or --from-css/--from-nss DIR)")
    idp = await _idp(settings)
    if idp.pods.single_user:
        raise PodError("importing into a single-user server is not supported: use a multi-user server")
    name = check_pod_name(args.name)
    new_url = f"{settings.base_url}{name}/"
    root = idp.pods.root_of(new_url)
    if idp.storages.is_storage(root):
        raise Conflict(f"the pod name {name!r} is taken")
    account = None
    if args.email:
        account = await idp.accounts.by_email(args.email)
        if account is None:
            raise NotFound(f"there is no account with the email address {args.email!r}")
    source = sys.stdin.buffer if args.archive == "-" else open(args.archive, "rb")  # noqa: SIM115
    try:
        result = await asyncio.to_thread(archive.import_pod, source, settings.data_dir, name, new_url)
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    old_url = str(result.manifest["pod_url"])
    owners = frozenset(archive.rewrite_iri(w, old_url, new_url) for w in result.manifest.get("webids", []))
    protected = {
        root.path + path: tuple(tuple(archive.rewrite_iri(i, old_url, new_url) for i in t) for t in triples)
        for path, triples in dict(result.manifest.get("protected", {})).items()
    }
    await idp.storages.add(
        StorageRecord(
            root, owners, {parse_path(p): tuple((s, v, o) for s, v, o in ts) for p, ts in protected.items()}
        )
    )
    if account is not None:
        for webid in sorted(owners):
            await idp.accounts.link_webid(account.id, webid)
        await idp.accounts.add_pod(account.id, new_url)
    # The new pod's usage counter, exact from the start.
    used = (await count_bytes(idp.pods.store, root))[0]
    await idp.state.write(usage_key(root), f'{{"bytes": {used}, "dirty": false}}'.encode())
    elapsed = time.monotonic() - started
    print(f"pod:   {new_url}")
    for webid in sorted(owners):
        print(f"WebID: {webid}")
    print(
        f"imported {result.documents} documents ({result.bytes} bytes), rewrote URLs in {result.rewritten}, "
        f"in {elapsed:.1f} s"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_for(args)
        if args.command == "backup":
            files = backup.backup(settings.data_dir, Path(args.target))
            print(f"backed up {files} files into {args.target}")
            return 0
        if args.command == "restore":
            files = backup.restore(Path(args.source), settings.data_dir)
            print(f"restored {files} files into {settings.data_dir}")
            return 0
        command = _export if args.command == "export" else _import
        return asyncio.run(command(settings, args))
    except (PodError, ValueError) as error:
        print(f"pod: {getattr(error, 'detail', error)}", file=sys.stderr)
        return 1
