"""`pod notify`: send a Linked Data Notification to a WebID's or a resource's inbox, from a shell.

As a person (client credentials, as `pod fetch` uses them) or as the server itself: with
`--as-server` the request carries a token signed with the data folder's OpenID provider key for
the server's WebID `{base}.notifications/sender#it` (as webhook deliveries do), so the server
must be running at that base URL for receivers to check it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TextIO

import aiohttp

from pod.client.session import ClientCredential, ClientError, SolidSession, default_issuer
from pod.config import settings_from
from pod.idp.oidc.provider import signing_keys
from pod.ldn.sending import Authorize, NotifyError, notify
from pod.notifications.channels import NotificationUrls
from pod.notifications.server_identity import ServerIdentity
from pod.rdf import formats
from pod.storage.internal import FileInternalState

DESCRIPTION = """\
Find the inbox of --to (a WebID: its profile's ldp:inbox; a resource: its Link rel=ldp:inbox
header; an inbox: itself) and POST the notification in --file to it; prints the new
notification's URL. Exit status 0 when it was delivered, 1 otherwise.

Authentication: --id/--secret (or POD_CLIENT_ID/POD_CLIENT_SECRET) as `pod fetch` (with --issuer,
default the origin of --to... usually give your own server), or --as-server with --data-dir and
--base-url of this server; neither sends anonymously.
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "notify",
        help="send a Linked Data Notification to an inbox",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--to", required=True, help="a WebID, a resource or an inbox URL")
    parser.add_argument(
        "--file", required=True, type=Path, help="the notification (.jsonld or .ttl; - for stdin)"
    )
    parser.add_argument(
        "--type", dest="media_type", help="its media type (default: from the file name; JSON-LD)"
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--as-server", action="store_true", help="as this server's own WebID")
    who.add_argument("--id", help="client credential id (POD_CLIENT_ID)")
    parser.add_argument("--secret", help="client credential secret (POD_CLIENT_SECRET)")
    parser.add_argument("--issuer", help="the credential's OpenID provider (default: --to's origin)")
    parser.add_argument("--data-dir", help="with --as-server: the server's data folder (POD_DATA_DIR)")
    parser.add_argument("--base-url", help="with --as-server: the server's base URL (POD_BASE_URL)")


def _media_type(args: argparse.Namespace) -> str:
    if args.media_type:
        return str(args.media_type)
    return formats.TURTLE if str(args.file).endswith((".ttl", ".turtle")) else formats.JSON_LD


def _body(path: Path) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except OSError as error:
        raise ClientError(f"cannot read {path}: {error.strerror}") from error


def server_authorize(data_dir: str | None, base_url: str | None) -> Authorize:
    """Headers signed as the server of this data folder (its provider key), for its sender WebID."""
    settings = settings_from({"data_dir": data_dir, "base_url": base_url})
    keys = signing_keys(settings, FileInternalState(settings.data_dir))
    identity = ServerIdentity(keys, settings.base_url, NotificationUrls(settings.base_url).sender)
    return identity.authorization


async def _notify(args: argparse.Namespace, out: TextIO) -> int:
    body, media_type = _body(args.file), _media_type(args)
    async with aiohttp.ClientSession() as http:
        authorize: Authorize | None = None
        if args.as_server:
            authorize = server_authorize(args.data_dir, args.base_url)
        else:
            client_id = args.id or os.environ.get("POD_CLIENT_ID")
            secret = args.secret or os.environ.get("POD_CLIENT_SECRET")
            if bool(client_id) != bool(secret):
                raise ClientError("a client credential needs both an id and a secret (--id, --secret)")
            if client_id and secret:
                session = SolidSession(
                    http, args.issuer or default_issuer(args.to), ClientCredential(client_id, secret)
                )
                authorize = session.headers
        inbox, location = await notify(http, args.to, body, media_type, authorize)
    print(f"inbox: {inbox}", file=sys.stderr)
    print(location, file=out)
    return 0


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Send the notification `args` describe; its URL goes to `out`, problems to `err`."""
    err = err or sys.stderr
    try:
        return asyncio.run(_notify(args, out or sys.stdout))
    except (ClientError, NotifyError) as error:
        print(f"pod notify: {error}", file=err)
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as error:
        print(f"pod notify: {args.to}: {error or type(error).__name__}", file=err)
    return 1
