"""What the request path does for the access log: one queued entry per response, nothing more."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from pod.errors import PodError
from pod.http.authentication import CREDENTIALS
from pod.ldp.identifiers import ResourceIdentifier, parse_path
from pod.ldp.storages import RESERVED_TOP_LEVEL, Storages
from pod.visibility.access_log import AccessLog, LogEntry

# Top-level names served by the server itself that are no pod's resources, even in single-user mode.
NOT_IN_A_POD = RESERVED_TOP_LEVEL | {".mashlib"}

# The Origin header is the client's to choose: a long one would only fill the log.
MAX_ORIGIN = 512

ResponseHook = Callable[[web.Request, web.StreamResponse], Awaitable[None]]


def response_hook(access_log: AccessLog, base_url: str) -> ResponseHook:
    """An `on_response_prepare` callback: it sees every response, refusals from the middlewares too."""

    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"

    async def record(request: web.Request, response: web.StreamResponse) -> None:
        # A CORS preflight carries no credentials and asks nothing of the resource itself.
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return
        credentials = request.get(CREDENTIALS)
        access_log.enqueue(
            LogEntry(
                time.time(),
                credentials.agent if credentials is not None else None,
                credentials.client_id if credentials is not None else None,
                (request.headers.get("Origin") or "")[:MAX_ORIGIN] or None,
                request.method,
                # As pod.http.authentication.request_url: never from the Host header.
                origin + request.raw_path.split("?", 1)[0].split("#", 1)[0],
                response.status,
            )
        )

    return record


def pod_resolver(storages: Storages, base_url: str) -> Callable[[LogEntry], ResourceIdentifier | None]:
    """The pod a logged request was about, in the writer (off the request path); None: no pod's."""
    base_path = urlsplit(base_url).path or "/"
    prefix = base_url[: len(base_url) - len(base_path)]

    def resolve(entry: LogEntry) -> ResourceIdentifier | None:
        path = entry.resource[len(prefix) :]
        if not path.startswith(base_path):
            return None
        try:
            identifier = parse_path("/" + path[len(base_path) :])
        except PodError:
            return None  # a path the server refused to parse is about no resource
        if identifier.segments and identifier.segments[0] in NOT_IN_A_POD:
            return None
        return storages.storage_of(identifier)

    return resolve
