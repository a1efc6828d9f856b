"""`pod fetch`: one HTTP request to a Solid server, authenticated as a pod account's WebID if asked.

Like a small curl that speaks Solid-OIDC: with client credentials it gets a DPoP-bound token and
signs the request with a fresh DPoP proof, so people can read and write their pods from a shell.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from pod.client.account_api import temporary_credential
from pod.client.session import ClientCredential, ClientError, SolidSession, default_issuer

DESCRIPTION = """\
Send one HTTP request and print the response body (with -i, the status line and headers first).
Exit status: 0 for a 2xx answer, 1 otherwise.

Authentication (optional): --id/--secret (or POD_CLIENT_ID/POD_CLIENT_SECRET) are client
credentials from `pod accounts credentials EMAIL` or the account page; the request is made as
their WebID with a DPoP-bound token from the issuer. --email/--password log in through the
account API instead, make a client credential for the account's first WebID, use it for this
request and delete it again. Tokens are kept for this run only.
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fetch = commands.add_parser(
        "fetch",
        help="make an HTTP request, authenticated as a pod account's WebID",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument("url", help="the URL to request")
    fetch.add_argument(
        "-X", "--request", dest="method", metavar="METHOD", help="the method (default GET, or POST with data)"
    )
    fetch.add_argument(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a request header (repeatable)",
    )
    data = fetch.add_mutually_exclusive_group()
    data.add_argument("--data", metavar="STRING", help="the request body, as given")
    data.add_argument(
        "--data-file", type=Path, metavar="PATH", help="the request body, from a file (- for stdin)"
    )
    fetch.add_argument("-i", "--include", action="store_true", help="print the status line and headers too")
    fetch.add_argument("--id", help="client credential id (POD_CLIENT_ID)")
    fetch.add_argument("--secret", help="client credential secret (POD_CLIENT_SECRET)")
    fetch.add_argument("--email", help="log in with this account's email and --password instead")
    fetch.add_argument("--password", help="the account's password (with --email)")
    fetch.add_argument("--issuer", help="the OpenID provider (default: the URL's origin + /)")


def _headers(lines: list[str]) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ClientError(f"a header is 'Name: value', not {line!r}")
        headers.add(name.strip(), value.strip())
    return headers


def _body(args: argparse.Namespace) -> bytes | None:
    if args.data is not None:
        return str(args.data).encode()
    if args.data_file is None:
        return None
    if str(args.data_file) == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(args.data_file).read_bytes()
    except OSError as error:
        raise ClientError(f"cannot read {args.data_file}: {error.strerror}") from error


def _credential_flags(args: argparse.Namespace) -> ClientCredential | None:
    client_id = args.id or os.environ.get("POD_CLIENT_ID")
    secret = args.secret or os.environ.get("POD_CLIENT_SECRET")
    if args.email is not None or args.password is not None:
        if args.email is None or args.password is None:
            raise ClientError("--email and --password go together")
        if args.id or args.secret:
            raise ClientError("give --id/--secret or --email/--password, not both")
        return None
    if bool(client_id) != bool(secret):
        raise ClientError("a client credential needs both an id and a secret (--id, --secret)")
    return ClientCredential(client_id, secret) if client_id and secret else None


@asynccontextmanager
async def _session(
    http: aiohttp.ClientSession, args: argparse.Namespace, issuer: str
) -> AsyncIterator[SolidSession | None]:
    credential = _credential_flags(args)
    if args.email is not None:
        async with temporary_credential(http, issuer, args.email, args.password) as made:
            yield SolidSession(http, issuer, made)
    else:
        yield SolidSession(http, issuer, credential) if credential is not None else None


async def _fetch(args: argparse.Namespace, out: BinaryIO) -> int:
    if URL(args.url).scheme not in ("http", "https") or not URL(args.url).host:
        raise ClientError(f"{args.url!r} is not an http(s) URL")
    headers = _headers(args.headers)
    body = _body(args)
    method = (args.method or ("POST" if body is not None else "GET")).upper()
    issuer = args.issuer or default_issuer(args.url)
    async with aiohttp.ClientSession() as http, _session(http, args, issuer) as session:
        if session is not None:
            headers.update(await session.headers(method, args.url))
        # Redirects are not followed: the DPoP proof is bound to this URL (curl does not follow either).
        # Without a body, send no Content-Type: aiohttp would add application/octet-stream to a POST.
        skip = () if body is not None else ("Content-Type",)
        request = http.request(
            method, args.url, headers=headers, data=body, allow_redirects=False, skip_auto_headers=skip
        )
        async with request as answer:
            await _write_answer(answer, out, include=args.include)
            return 0 if 200 <= answer.status < 300 else 1


async def _write_answer(answer: aiohttp.ClientResponse, out: BinaryIO, *, include: bool) -> None:
    if include:
        version = f"HTTP/{answer.version.major}.{answer.version.minor}" if answer.version else "HTTP/1.1"
        lines = [f"{version} {answer.status} {answer.reason}"]
        lines += [
            f"{name.decode('latin-1')}: {value.decode('latin-1')}" for name, value in answer.raw_headers
        ]
        out.write(("\n".join(lines) + "\n\n").encode("latin-1", "replace"))
    async for chunk in answer.content.iter_chunked(1 << 16):
        out.write(chunk)
    out.flush()


def run(args: argparse.Namespace, out: BinaryIO | None = None, err: TextIO | None = None) -> int:
    """Make the request `args` describe; the body goes to `out`, problems to `err`."""
    err = err or sys.stderr
    try:
        return asyncio.run(_fetch(args, out or sys.stdout.buffer))
    except ClientError as error:
        print(f"pod fetch: {error}", file=err)
    except aiohttp.ClientError as error:
        print(f"pod fetch: {args.url}: {error}", file=err)
    return 1
