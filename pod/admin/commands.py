"""`pod admin ...` and `pod accounts usage`: the operator's command line, on the data folder.

Like `pod accounts`, it works beside a serving server through the same locks and atomic writes;
a serving server applies a suspension or a quota within a second (it re-reads the policy).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from pod.admin.policy import AccountPolicy, parse_quota
from pod.admin.usage import count_bytes, saved_usage
from pod.config import Settings
from pod.errors import PodError
from pod.idp.accounts import Account
from pod.idp.commands import data_folder_flags, settings_for
from pod.idp.setup import IdentityProvider, build, make_storages
from pod.storage.files import FileStore
from pod.storage.internal import FileInternalState

Command = Callable[[IdentityProvider, AccountPolicy, argparse.Namespace], Awaitable[int]]


def _common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    data_folder_flags(parser)
    parser.add_argument("--default-quota", help="the server's default quota, to show (POD_DEFAULT_QUOTA)")
    return parser


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = commands.add_parser("admin", help="operator commands: accounts, quotas, suspension, deletion")
    sub = admin.add_subparsers(dest="admin_command", required=True)
    _common(sub.add_parser("list", help="every account with its pods, usage, quota and state"))
    _common(
        sub.add_parser("usage", help="bytes used by each pod (--recount: count the files now)")
    ).add_argument("--recount", action="store_true")
    for name, text in (
        ("suspend", "suspend an account: its pods answer 403 to everyone but the admin"),
        ("unsuspend", "lift a suspension"),
        ("delete", "delete an account with its pods and their data"),
    ):
        _common(sub.add_parser(name, help=text)).add_argument("email")
    quota = _common(sub.add_parser("quota", help="set an account's quota: bytes, none, or default"))
    quota.add_argument("email")
    quota.add_argument("bytes")


async def _account(idp: IdentityProvider, email: str) -> Account:
    account = await idp.accounts.by_email(email)
    if account is None:
        raise PodError(f"there is no account with the email address {email!r}")
    return account


async def _usage_lines(idp: IdentityProvider, policy: AccountPolicy, recount: bool) -> list[str]:
    lines = []
    for account in await idp.accounts.all():
        for pod_url in account.pods:
            root = idp.pods.root_of(pod_url)
            saved = None if recount else await saved_usage(policy.state, root)
            if saved is None:
                used, note = (await count_bytes(idp.pods.store, root))[0], "counted now"
            else:
                used, note = saved[0], "live server, recent" if saved[1] else "exact"
            quota = await policy.quota_of(root)
            shown = "unlimited" if quota is None else str(quota)
            lines.append(f"{pod_url}  {used} bytes of {shown}  ({note})  {account.email or account.id}")
    return lines


async def _usage(idp: IdentityProvider, policy: AccountPolicy, args: argparse.Namespace) -> int:
    for line in await _usage_lines(idp, policy, bool(getattr(args, "recount", False))):
        print(line)
    return 0


async def _list(idp: IdentityProvider, policy: AccountPolicy, args: argparse.Namespace) -> int:
    for account in await idp.accounts.all():
        state = "SUSPENDED" if policy.suspended(account.id) else "active"
        has, override = policy.quota_override(account.id)
        quota = ("unlimited" if override is None else f"{override} bytes") if has else "default quota"
        print(f"{account.email or '(no login)'}  {account.id}  {state}  {quota}")
        for pod in account.pods:
            print(f"  pod    {pod}")
    return 0


async def _suspend(idp: IdentityProvider, policy: AccountPolicy, args: argparse.Namespace) -> int:
    account = await _account(idp, args.email)
    await policy.suspend(account.id, args.admin_command == "suspend")
    print(f"{args.admin_command}ed {account.email}")
    return 0


async def _delete(idp: IdentityProvider, policy: AccountPolicy, args: argparse.Namespace) -> int:
    account = await _account(idp, args.email)
    await idp.pods.release(account)  # its pods and everything in them
    await idp.accounts.delete(account.id)
    await policy.forget(account.id)
    print(f"deleted {account.email} and its pods")
    return 0


async def _quota(idp: IdentityProvider, policy: AccountPolicy, args: argparse.Namespace) -> int:
    account = await _account(idp, args.email)
    value = args.bytes if args.bytes == "default" else parse_quota(args.bytes)
    await policy.set_quota(account.id, value)
    print(f"quota of {account.email}: {args.bytes}")
    return 0


COMMANDS: dict[str, Command] = {
    "list": _list,
    "usage": _usage,
    "suspend": _suspend,
    "unsuspend": _suspend,
    "delete": _delete,
    "quota": _quota,
}


async def _run(settings: Settings, command: Command, args: argparse.Namespace) -> int:
    state = FileInternalState(settings.data_dir)
    storages = make_storages(settings, state)
    idp = build(settings, FileStore(settings.data_dir), storages)
    await idp.start()
    policy = AccountPolicy(state, storages, settings.default_quota)
    return await command(idp, policy, args)


def run(args: argparse.Namespace, name: str | None = None) -> int:
    try:
        settings = settings_for(args)
        quota = getattr(args, "default_quota", None)
        if quota is not None:
            settings = Settings(**{**vars(settings), "default_quota": parse_quota(quota)})
        return asyncio.run(_run(settings, COMMANDS[name or args.admin_command], args))
    except (PodError, ValueError) as error:
        print(f"pod: {getattr(error, 'detail', error)}", file=sys.stderr)
        return 1


def main_usage(args: argparse.Namespace) -> int:
    return run(args, "usage")
