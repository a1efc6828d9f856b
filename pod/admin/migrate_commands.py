"""`pod import --from-css DIR` / `--from-nss DIR`: another Solid server's pods, moved here (issue 15).

Who owns a migrated pod here: its owner WebID (the primary topic of its `profile/card`, else the
agents with Control in its root ACL) owns the new pod, rewritten into it when it lived in the
pod. Each pod gets an account holding that WebID and the pod, without a login (the old server's
password hashes are not imported): the report gives a one-time claim code per pod, which the
person redeems at `/.account/login/claim/` with the email address and password they choose.
`--email E` attaches the pods to an existing account instead; a WebID already linked to an
account here (a person who has one) attaches the pod to that account.

Existing pods are never overwritten silently: a name that is taken stops the whole run before
anything is written, unless `--force`, which moves the existing pod's folder aside to
`$pod/replaced/` (never deleting it) and detaches it from its account.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pod.admin import migrate
from pod.admin.usage import count_bytes, usage_key
from pod.config import Settings
from pod.errors import Conflict, NotFound, PodError
from pod.idp.accounts import Account
from pod.idp.claims import Claims, claim_url
from pod.idp.pod_template import OIDC_ISSUER
from pod.idp.setup import IdentityProvider
from pod.ldp.identifiers import ResourceIdentifier, parse_path
from pod.ldp.storages import StorageRecord
from pod.storage import names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The migration options of `pod import`."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--from-css", metavar="DIR", help="a Community Solid Server data folder (file back end)"
    )
    source.add_argument("--from-nss", metavar="DIR", help="a Node Solid Server data folder (its --root)")
    parser.add_argument(
        "--pod", metavar="OLD", help="import only this pod (its folder's name; NSS: or its user name)"
    )
    parser.add_argument(
        "--old-base-url",
        metavar="URL",
        help="the old server's base URL, when the folder does not tell it (CSS: its -b; NSS: its serverUri)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace pods of the same name here (their folders are moved to $pod/replaced/, not deleted)",
    )
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    parser.add_argument("--report", metavar="FILE", help="also write the report as JSON to FILE")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print pods and what was skipped, not every document"
    )


def _taken(idp: IdentityProvider, settings: Settings, name: str) -> bool:
    root = ResourceIdentifier((name,), True)
    folder = Path(settings.data_dir) / names.encode_name(name)
    return idp.storages.is_storage(root) or folder.exists() or folder.is_symlink()


async def _replace(idp: IdentityProvider, settings: Settings, name: str) -> str:
    """`--force`: move the existing pod's folder aside and detach it from its account and registry."""
    data_dir = Path(settings.data_dir).resolve()
    folder = data_dir / names.encode_name(name)
    aside = (
        data_dir
        / names.INTERNAL_FOLDER
        / "replaced"
        / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    )
    if folder.exists() or folder.is_symlink():
        aside.parent.mkdir(parents=True, exist_ok=True)
        os.rename(folder, aside)
    pod_url = f"{settings.base_url}{name}/"
    for account in await idp.accounts.all():
        for pod_id, url in (await idp.accounts.pod_links(account.id)).items():
            if url == pod_url:
                # Its folder is gone already, so this only unlinks: WebIDs, credentials, registry.
                await idp.pods.delete(account, pod_id)
    root = ResourceIdentifier((name,), True)
    if idp.storages.is_storage(root):
        await idp.storages.remove(root)
    return str(aside.relative_to(data_dir)) if aside.exists() else ""


async def _owner_account(
    idp: IdentityProvider, owners: list[str], given: Account | None
) -> tuple[Account, bool]:
    """(the account the pod goes to, whether it was made now)."""
    if given is not None:
        return given, False
    for webid in owners:
        found = await idp.accounts.by_webid(webid)
        if found is not None:
            return found, False
    return await idp.accounts.create(), True


async def _attach(idp: IdentityProvider, built: migrate.BuiltPod, given: Account | None) -> dict[str, Any]:
    account, made = await _owner_account(idp, built.owners, given)
    linked = []
    for webid in built.owners:
        try:
            await idp.accounts.link_webid(account.id, webid)
            linked.append(webid)
        except Conflict as error:
            built.warnings.append(
                migrate.Note("", f"{webid} stays with the account that has it: {error.detail}")
            )
    await idp.accounts.add_pod(account.id, built.url)
    answer: dict[str, Any] = {"id": account.id, "email": account.email or None, "new": made, "webIds": linked}
    if not account.email:
        answer["claimCode"] = await Claims(idp.accounts).issue(account.id)
        answer["claimUrl"] = claim_url(idp.service)
    return answer


def _pod_json(built: migrate.BuiltPod, account: dict[str, Any] | None, replaced: str) -> dict[str, Any]:
    return {
        "source": built.source.key,
        "oldUrl": built.source.old_url,
        "name": built.source.name,
        "url": built.url,
        "owners": built.owners,
        "account": account,
        "replaced": replaced or None,
        "counts": {
            "documents": len(built.documents),
            "containers": built.containers,
            "bytes": built.bytes,
            "rewritten": built.rewritten,
        },
        "documents": [asdict(d) for d in built.documents],
        "skipped": [asdict(n) for n in built.skipped],
        "warnings": [asdict(n) for n in built.warnings],
    }


def _print_pod(pod: dict[str, Any], quiet: bool, out: Any) -> None:
    counts = pod["counts"]
    print(
        f"pod {pod['name']}: {pod['oldUrl']} -> {pod['url']}: {counts['documents']} documents, "
        f"{counts['containers']} containers, {counts['bytes']} bytes; "
        f"URLs rewritten in {counts['rewritten']}",
        file=out,
    )
    for webid in pod["owners"]:
        print(f"  owner     {webid}", file=out)
    account = pod["account"]
    if account is not None:
        if account.get("claimCode"):
            print(
                f"  account   new, no login yet: claim code {account['claimCode']} at {account['claimUrl']}",
                file=out,
            )
        else:
            print(f"  account   {account['email'] or account['id']}", file=out)
    if pod["replaced"]:
        print(f"  replaced  the pod that was here, moved to {pod['replaced']}", file=out)
    if not quiet:
        for doc in pod["documents"]:
            mark = "  (URLs rewritten)" if doc["rewritten"] else ""
            print(f"  imported  {doc['path']}  {doc['type']}  {doc['size']} bytes{mark}", file=out)
    for note in pod["warnings"]:
        print(f"  warning   {note['path'] or '(pod)'}: {note['reason']}", file=out)
    for note in pod["skipped"]:
        print(f"  skipped   {note['path']}: {note['reason']}", file=out)


async def migrate_in(idp: IdentityProvider, settings: Settings, args: argparse.Namespace) -> int:
    started = time.monotonic()
    if idp.pods.single_user:
        raise PodError("importing into a single-user server is not supported: use a multi-user server")
    kind, folder = (migrate.CSS, args.from_css) if args.from_css else (migrate.NSS, args.from_nss)
    survey = await asyncio.to_thread(
        migrate.survey, kind, Path(folder), old_base_url=args.old_base_url, only=args.pod, rename=args.name
    )
    if not survey.selected:
        reasons = "; ".join(f"{n.path}: {n.reason}" for n in survey.skipped)
        raise migrate.MigrationError(f"no pod of {folder} can be imported: {reasons}")
    given = None
    if args.email:
        given = await idp.accounts.by_email(args.email)
        if given is None:
            raise NotFound(f"there is no account with the email address {args.email!r}")
    taken = {pod.name for pod in survey.selected if pod.name and _taken(idp, settings, pod.name)}
    if taken and not args.force and not args.dry_run:
        raise Conflict(
            f"pods named {', '.join(sorted(taken))} exist here already: nothing was imported. Import them "
            "under other names (--pod OLD --as NEW), or replace them with --force (their folders are moved "
            "to $pod/replaced/)"
        )
    relocation = migrate.relocation_for(survey.selected, settings.base_url)
    data_dir = Path(settings.data_dir).resolve()
    report: dict[str, Any] = {
        "from": kind,
        "folder": str(Path(folder).resolve()),
        "to": settings.base_url,
        "dryRun": bool(args.dry_run),
        "pods": [],
        "skipped": [asdict(n) for n in survey.skipped],
    }
    for source in survey.selected:
        assert source.name is not None
        staging = data_dir / names.INTERNAL_FOLDER / "imports" / uuid.uuid4().hex
        try:
            built = await asyncio.to_thread(
                migrate.build_pod, survey, source, staging / "pod", settings.base_url, relocation
            )
            account = None
            replaced = ""
            if not args.dry_run:
                if source.name in taken:
                    replaced = await _replace(idp, settings, source.name)
                final = data_dir / names.encode_name(source.name)
                try:
                    await asyncio.to_thread(migrate.place, staging / "pod", final)
                except OSError as error:
                    raise Conflict(f"the pod name {source.name!r} was taken meanwhile") from error
                await _register(idp, built, settings)
                account = await _attach(idp, built, given)
            report["pods"].append(_pod_json(built, account, replaced))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - started, 3)
    out = sys.stdout
    for pod in report["pods"]:
        _print_pod(pod, args.quiet, out)
    for note in report["skipped"]:
        print(f"skipped {note['path']}: {note['reason']}", file=out)
    documents = sum(p["counts"]["documents"] for p in report["pods"])
    verb = "would import" if args.dry_run else "imported"
    count = len(report["pods"])
    print(
        f"{verb} {count} pod{'' if count == 1 else 's'}, {documents} documents, in {report['seconds']:.1f} s",
        file=out,
    )
    if args.report:
        _write_report(Path(args.report), report)
    return 0


async def _register(idp: IdentityProvider, built: migrate.BuiltPod, settings: Settings) -> None:
    """The new pod in the storage registry (owners, the profiles' issuer kept), its usage counted."""
    root = ResourceIdentifier((built.source.name or "",), True)
    protected = {
        parse_path(root.path + path): ((webid, OIDC_ISSUER, settings.base_url),)
        for path, webid in built.issuers.items()
    }
    await idp.storages.add(StorageRecord(root, frozenset(built.owners), protected))
    used = (await count_bytes(idp.pods.store, root))[0]
    await idp.state.write(usage_key(root), json.dumps({"bytes": used, "dirty": False}).encode())


def _write_report(path: Path, report: dict[str, Any]) -> None:
    # The report holds claim codes: readable by the operator only.
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(report, file, indent=1)
