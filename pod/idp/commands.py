"""`pod accounts ...`: create, list and delete accounts, make client credentials and invitations.

The commands work on the data folder directly, through the same atomic writes and locks as
the server: run them with the server stopped or serving. A serving server sees new accounts
at once and new pods within a second (it re-reads the storage registry when it changes).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from pod.config import Settings, settings_from
from pod.errors import PodError
from pod.idp.accounts import Account
from pod.idp.claims import CLAIM_DAYS, Claims, claim_url
from pod.idp.setup import IdentityProvider, build, make_storages
from pod.storage.files import FileStore
from pod.storage.internal import FileInternalState

Command = Callable[[IdentityProvider, argparse.Namespace], Awaitable[int]]


def data_folder_flags(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of the commands that work on the data folder (read back by `settings_for`)."""
    parser.add_argument("--data-dir", help="the server's data folder (POD_DATA_DIR; default ./data)")
    parser.add_argument("--base-url", help="the server's public URL (POD_BASE_URL)")
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--single-user",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the root is the one pod (POD_SINGLE_USER); must match the server's setting",
    )
    return parser


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    accounts = commands.add_parser("accounts", help="manage accounts (works on the data folder)")
    sub = accounts.add_subparsers(dest="accounts_command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return data_folder_flags(sub.add_parser(name, help=help_text))

    create = command("create", "create an account with a password login and a pod")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--pod", help="the pod's name (not needed with --single-user)")
    create.add_argument("--name", help="the person's name in the WebID profile (default: the pod name)")
    command("list", "list the accounts with their pods and WebIDs")
    credentials = command("credentials", "create a client-credentials pair for an account and print it")
    credentials.add_argument("email")
    credentials.add_argument("--name", default="cli", help="a name for the credentials")
    credentials.add_argument("--webid", help="the WebID to act as (default: the account's first)")
    delete = command("delete", "delete an account and its pods")
    delete.add_argument("email")
    command("invite", "print a one-time invitation code (for --registration invite)")
    # Issue 15: a new claim code for the login-less account of a migrated pod (pod.idp.claims).
    command(
        "claim-code", "print a new claim code for the account (without a login) holding a pod"
    ).add_argument("pod", help="the pod's name (or URL)")
    # Issue 15: pod.admin.commands answers it.
    command("usage", "bytes used by each pod, with its quota").add_argument("--recount", action="store_true")


async def _create(idp: IdentityProvider, args: argparse.Namespace) -> int:
    if not idp.pods.single_user and not args.pod:
        print("pod: --pod NAME is needed (or --single-user)", file=sys.stderr)
        return 2
    idp.pods.layout(args.pod)  # a bad name fails before anything is created
    account = await idp.accounts.create()
    try:
        await idp.accounts.add_password(account.id, args.email, args.password)
        created = await idp.pods.create(account, args.pod, args.name)
    except BaseException:
        await idp.accounts.delete(account.id)  # no account without its login and pod
        raise
    print(f"WebID: {created.webid}")
    print(f"pod:   {created.pod_url}")
    return 0


async def _list(idp: IdentityProvider, args: argparse.Namespace) -> int:
    for account in await idp.accounts.all():
        print(f"{account.email or '(no login)'}  {account.id}")
        for pod in account.pods:
            print(f"  pod    {pod}")
        for webid in account.webids:
            print(f"  WebID  {webid}")
    return 0


async def _account(idp: IdentityProvider, email: str) -> Account:
    account = await idp.accounts.by_email(email)
    if account is None:
        raise PodError(f"there is no account with the email address {email!r}")
    return account


async def _credentials(idp: IdentityProvider, args: argparse.Namespace) -> int:
    account = await _account(idp, args.email)
    webid = args.webid or (account.webids[0] if account.webids else None)
    if webid is None:
        print("pod: the account has no WebID yet (create a pod first)", file=sys.stderr)
        return 2
    credential, secret, _ = await idp.accounts.create_client_credential(account.id, args.name, webid)
    print(f"id:     {credential.id}")
    print(f"secret: {secret}")
    print(f"WebID:  {credential.webid}")
    return 0


async def _delete(idp: IdentityProvider, args: argparse.Namespace) -> int:
    account = await _account(idp, args.email)
    await idp.pods.release(account)
    await idp.accounts.delete(account.id)
    print(f"deleted {account.email}")
    return 0


async def _invite(idp: IdentityProvider, args: argparse.Namespace) -> int:
    print(await idp.accounts.create_invite())
    return 0


async def _claim_code(idp: IdentityProvider, args: argparse.Namespace) -> int:
    wanted = args.pod if "/" in args.pod else f"{idp.pods.base_url}{args.pod}/"
    holders = [a for a in await idp.accounts.all() if wanted in a.pods]
    if not holders:
        raise PodError(f"no account holds the pod {wanted}")
    code = await Claims(idp.accounts).issue(holders[0].id)
    print(f"claim code: {code}")
    print(
        f"claim at:   {claim_url(idp.service)} (valid {CLAIM_DAYS} days, once; earlier codes no longer work)"
    )
    return 0


COMMANDS: dict[str, Command] = {
    "create": _create,
    "list": _list,
    "credentials": _credentials,
    "delete": _delete,
    "invite": _invite,
    "claim-code": _claim_code,
}


def settings_for(args: argparse.Namespace) -> Settings:
    """The serve command's Settings resolution (flags > POD_* > defaults), on the file store."""
    flags = {
        k: v for k, v in vars(args).items() if k in ("data_dir", "base_url", "host", "port", "single_user")
    }
    return settings_from({**flags, "storage": "file"})


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    state = FileInternalState(settings.data_dir)
    storages = make_storages(settings, state)
    idp = build(settings, FileStore(settings.data_dir), storages)
    await idp.start()
    return await COMMANDS[args.accounts_command](idp, args)


def run(args: argparse.Namespace) -> int:
    if args.accounts_command == "usage":
        from pod.admin.commands import main_usage  # here: pod.admin.commands builds on this module

        return main_usage(args)
    try:
        return asyncio.run(_run(settings_for(args), args))
    except (PodError, ValueError) as error:
        print(f"pod: {getattr(error, 'detail', error)}", file=sys.stderr)
        return 1
