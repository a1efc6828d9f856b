"""The command line: `pod serve` (and later `pod accounts`, `pod export`, `pod import`)."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import logging
import os
import resource
import sys
from collections.abc import Sequence

from aiohttp import web

from pod import fetch
from pod.admin import archive_commands
from pod.admin import commands as admin_commands
from pod.config import Settings, settings_from
from pod.idp import commands as accounts_commands
from pod.idp.oidc.commands import rotate_key
from pod.ldn import commands as notify_command
from pod.sparql import commands as index_commands

ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tfs "%{User-Agent}i"'
# Connections the kernel queues before the server accepts them. aiohttp's default (128) drops
# the SYNs of a burst of clients, which then wait a second or more to retry.
LISTEN_BACKLOG = 2048
MAX_OPEN_FILES = 65536
# When the collector looks for garbage cycles: after this many new objects (Python's default is
# 700, and a PUT makes hundreds: most are gone again before a collection at 10,000); the older
# generations keep Python's rhythm (every 10 collections of the one below).
GC_THRESHOLDS = (10_000, 10, 10)
# glibc's malloc gives threads that allocate arenas of their own (up to 8 per core) and keeps what is
# freed in them: with dozens of I/O threads, megabytes of RSS. The GIL serializes most allocation
# anyway, so two arenas cost no speed. (MALLOC_ARENA_MAX in the environment, if set, wins.)
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's <malloc.h>


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="pod", description="A Solid pod server.")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve pods over HTTP")
    serve.add_argument("--host", help="address to listen on (POD_HOST; default localhost)")
    serve.add_argument("--port", type=int, help="port to listen on (POD_PORT; default 3000)")
    serve.add_argument(
        "--base-url", help="the public URL of the server (POD_BASE_URL; default http://{host}:{port}/)"
    )
    serve.add_argument("--data-dir", help="where the pods are stored (POD_DATA_DIR; default ./data)")
    serve.add_argument("--storage", choices=["file", "memory"], help="storage back end (POD_STORAGE)")
    serve.add_argument("--max-body-size", type=int, help="largest request body in bytes (POD_MAX_BODY_SIZE)")
    serve.add_argument(
        "--allow-private-fetch",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fetch WebID profiles, keys and groups from private/loopback addresses "
        "(POD_ALLOW_PRIVATE_FETCH; default: only when serving on a loopback host)",
    )
    serve.add_argument(
        "--allow-bearer",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="accept Solid-OIDC access tokens without a DPoP proof (POD_ALLOW_BEARER; default off)",
    )
    serve.add_argument(
        "--clock-tolerance",
        type=int,
        help="seconds of clock skew tolerated on tokens (POD_CLOCK_TOLERANCE; default 60)",
    )
    serve.add_argument(
        "--dpop-window",
        type=int,
        help="seconds a DPoP proof stays valid after it is made (POD_DPOP_WINDOW; default 300)",
    )
    serve.add_argument(
        "--trusted-webid",
        help="INSECURE, development only: treat every request as this WebID (POD_TRUSTED_WEBID)",
    )
    serve.add_argument(
        "--registration",
        choices=["open", "invite", "closed"],
        help="who may create accounts (POD_REGISTRATION; default: open on a loopback base URL, else closed)",
    )
    serve.add_argument(
        "--single-user",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the root is the one pod, owned by the first account (POD_SINGLE_USER; default: a pod per name)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        help="seconds a connection may take to send a complete request head; slow or idle "
        "connections are closed after it (POD_HEADER_TIMEOUT; default 15)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        help="seconds a request body may pause before the request fails with 408 "
        "(POD_BODY_TIMEOUT; default 60)",
    )
    serve.add_argument(
        "--max-header-size",
        type=int,
        help="longest request line or header field in bytes (POD_MAX_HEADER_SIZE; default 8190)",
    )
    serve.add_argument(
        "--mashlib-url",
        help="where the SolidOS data browser loads mashlib from: an http(s) URL of its dist/ folder, or a "
        'local copy of that folder (offline); "" for no data browser (POD_MASHLIB_URL; default a public CDN)',
    )
    serve.add_argument(
        "--max-channel-lifetime",
        type=int,
        help="seconds a notification channel lives at most (POD_MAX_CHANNEL_LIFETIME; default two weeks)",
    )
    serve.add_argument(
        "--sparql-timeout",
        type=float,
        help="seconds a SPARQL query may run before it is stopped: 503 (POD_SPARQL_TIMEOUT; default 10)",
    )
    serve.add_argument(
        "--sparql-max-result-bytes",
        type=int,
        help="largest SPARQL result in bytes, larger is a 422 (POD_SPARQL_MAX_RESULT_BYTES; default 10 MiB)",
    )
    serve.add_argument(
        "--sparql-service",
        action="append",
        dest="sparql_service_allowlist",
        metavar="URL",
        help="a SPARQL endpoint queries may call with SERVICE, or with a final '/' every endpoint under it "
        "(repeatable; POD_SPARQL_SERVICE_ALLOWLIST, space-separated; default none: SERVICE is refused)",
    )
    serve.add_argument(
        "--sparql-service-forward-identity",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let a SERVICE call carry the asker's identity when the asker sends a DPoP proof for it "
        "(SPARQL-Service-DPoP) (POD_SPARQL_SERVICE_FORWARD_IDENTITY; default off: calls are anonymous)",
    )
    serve.add_argument(
        "--inbox-max-bytes",
        type=int,
        help="largest notification an inbox accepts, in bytes; larger is a 413 (POD_INBOX_MAX_BYTES; "
        "default 262144)",
    )
    serve.add_argument(
        "--inbox-rate-limit",
        type=int,
        help="notifications one sender may post to one inbox per rate window; more is a 429 "
        "(POD_INBOX_RATE_LIMIT; default 30)",
    )
    serve.add_argument(
        "--inbox-rate-window",
        type=float,
        help="seconds of the inbox rate window (POD_INBOX_RATE_WINDOW; default 60)",
    )
    serve.add_argument(
        "--access-log-retention-days",
        type=int,
        help="days each pod's access log keeps requests (POD_ACCESS_LOG_RETENTION_DAYS; default 90)",
    )
    serve.add_argument(
        "--access-log-max-entries",
        type=int,
        help="most requests each pod's access log keeps (POD_ACCESS_LOG_MAX_ENTRIES; default 100000)",
    )
    serve.add_argument(
        "--default-quota",
        help="bytes each pod may hold unless its account has its own quota; none: unlimited "
        "(POD_DEFAULT_QUOTA; default none)",
    )
    serve.add_argument(
        "--request-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log one line per request to stderr (POD_REQUEST_LOG; default off)",
    )
    serve.add_argument(
        "--admin-token",
        help="Bearer token that opens /metrics and suspended pods to the operator (POD_ADMIN_TOKEN)",
    )
    accounts_commands.add_parser(commands)
    admin_commands.add_parser(commands)
    archive_commands.add_parser(commands)
    index_commands.add_parser(commands)
    fetch.add_parser(commands)
    notify_command.add_parser(commands)
    oidc = commands.add_parser("oidc", help="the OpenID provider")
    oidc_commands = oidc.add_subparsers(dest="oidc_command", required=True)
    rotate = oidc_commands.add_parser(
        "rotate-key",
        help="sign tokens with a new key from now on; the old one stays published until its tokens expire",
    )
    rotate.add_argument("--data-dir", help="the server's data folder (POD_DATA_DIR; default ./data)")
    return root


def serve(settings: Settings) -> None:
    # The server itself is imported here, not at the top: `pod fetch` and friends start faster.
    from pod.app import make_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    logging.getLogger("pod").info("serving %s from %s", settings.base_url, settings.data_dir)
    raise_open_file_limit()
    limit_malloc_arenas()  # before any thread starts
    web_log = logging.getLogger("aiohttp.access")
    app = make_app(settings)
    app.on_startup.append(settle_garbage_collection)  # last: after everything start-up makes
    # run_app stops cleanly on SIGINT and SIGTERM.
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=web_log if settings.request_log else None,
        access_log_format=ACCESS_LOG_FORMAT,
        print=None,
        loop=loop,
        backlog=LISTEN_BACKLOG,
        keepalive_timeout=settings.header_timeout,
        max_line_size=settings.max_header_size,
        max_field_size=settings.max_header_size,
    )


async def settle_garbage_collection(_app: web.Application) -> None:
    """What start-up made (modules, the app and its structures) lives as long as the server: it is
    kept out of every later collection (gc.freeze), and the collector looks at new objects less
    often (GC_THRESHOLDS). Measured on PUTs at 32 connections (issue 4), A/B over 5 rounds: 8% more
    a second, and p99 35-57 ms -> 25-28 ms (a full collection walked everything, ~20 ms, every few
    thousand PUTs); peak RSS over PUTs then large JSON-LD reads: 91 -> 93 MB."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def limit_malloc_arenas() -> None:
    """At most MALLOC_ARENAS malloc arenas, on glibc. Measured (issue 4): peak RSS over PUTs at 32
    connections, then large Turtle and JSON-LD reads, 92.5 -> 90.4 MB; the PUT rate unchanged."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return  # not glibc: no arenas to limit
    mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def raise_open_file_limit() -> None:
    """Every connection is a file descriptor: the default soft limit (often 1024) is too few."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else MAX_OPEN_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, MAX_OPEN_FILES), hard))
        except (ValueError, OSError) as error:
            logging.getLogger("pod").warning("could not raise the open file limit: %s", error)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        try:
            settings = settings_from(vars(args))
        except ValueError as error:
            print(f"pod: {error}", file=sys.stderr)
            return 2
        serve(settings)
    if args.command == "accounts":
        return accounts_commands.run(args)
    if args.command == "admin":
        return admin_commands.run(args)
    if args.command in archive_commands.COMMANDS:
        return archive_commands.run(args)
    if args.command == "index":
        return index_commands.run(args)
    if args.command == "fetch":
        return fetch.run(args)
    if args.command == "notify":
        return notify_command.run(args)
    if args.command == "oidc":
        return oidc_command(args)
    return 0


def oidc_command(args: argparse.Namespace) -> int:
    try:
        kid = rotate_key(settings_from({"data_dir": args.data_dir}))
    except ValueError as error:
        print(f"pod: {error}", file=sys.stderr)
        return 2
    print(f"new signing key: {kid}")
    return 0
