"""Errors become responses: a status, the headers the error carries, and an RFC 9457 problem body."""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Awaitable, Callable

import pyoxigraph as ox
from aiohttp import HttpVersion10, web

from pod.errors import PodError
from pod.http import conneg
from pod.rdf import formats
from pod.storage.staging import DISK_FULL

log = logging.getLogger("pod.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem_response(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    response = web.Response(status=status, text=body, content_type="application/problem+json")
    response.headers.update(headers or {})
    return response


def rdf_error_response(request: web.Request, error: PodError, graph: list[ox.Triple]) -> web.Response:
    """An error whose body is RDF (a SHACL report): Turtle, or another RDF format by conneg."""
    chosen = conneg.negotiate(conneg.parse_accept(request.headers.get("Accept")), formats.RDF_MEDIA_TYPES)
    media_type = chosen or formats.TURTLE  # an error is sent whatever the Accept header says
    response = web.Response(status=error.status, body=formats.serialize(graph, media_type))
    response.headers.update(error.headers)
    response.headers["Content-Type"] = media_type
    response.headers["Vary"] = "Accept"
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.version < HttpVersion10:
        # RFC 9112 §3: a request line has an HTTP version; without one (HTTP/0.9) it is invalid.
        return problem_response(400, "Bad Request", "the request line has no HTTP version")
    try:
        return await handler(request)
    except PodError as error:
        if error.graph is not None:
            return rdf_error_response(request, error, error.graph)
        return problem_response(error.status, error.title, error.detail, error.headers)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        kept = {k: v for k, v in error.headers.items() if not k.lower().startswith("content-")}
        return problem_response(error.status, error.reason, error.text or error.reason, kept)
    except OSError as error:
        if error.errno in DISK_FULL:
            # RFC 4918 §11.5: a full disk is the server's condition, not a failure of this request.
            log.warning("disk full handling %s %s: %s", request.method, request.path_qs, error)
            return problem_response(
                507, "Insufficient Storage", "no space left on the server's disk: nothing was changed"
            )
        if error.errno == errno.ENAMETOOLONG:
            # Names and paths are bounded up front; an encoding that still overflows the file system is a 414.
            return problem_response(414, "URI Too Long", "the path is too long to be stored on this server")
        log.exception("unexpected error handling %s %s", request.method, request.path_qs)
        return problem_response(500, "Internal Server Error", "the server failed to handle this request")
    except Exception:
        log.exception("unexpected error handling %s %s", request.method, request.path_qs)
        return problem_response(500, "Internal Server Error", "the server failed to handle this request")
