"""Read-only RDF documents the server answers itself (the storage description, the shipped shapes)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from pod.errors import MethodNotAllowed, NotAcceptable
from pod.http import conneg, headers
from pod.ldp.conditions import Outcome, Validators, evaluate
from pod.rdf import formats

READ_ONLY_ALLOW = {"Allow": "OPTIONS, HEAD, GET"}

# Given the negotiated media type: the body, and the entity tag of that representation.
Render = Callable[[str], tuple[bytes, str]]


def read_only_rdf(
    request: web.Request, started: int, render: Render, *, read_only: str, not_acceptable: str
) -> web.Response:
    """OPTIONS, GET and HEAD of a document that changes only with the server's installation or
    configuration: any RDF format by conneg, Last-Modified at start-up, conditional requests (304).

    `read_only` is the 405's reason; `not_acceptable` starts the 406's ("… is RDF").
    """
    if request.method == "OPTIONS":
        return web.Response(status=204, headers=READ_ONLY_ALLOW)
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(read_only, headers=READ_ONLY_ALLOW)
    media_type = conneg.negotiate(conneg.parse_accept(request.headers.get("Accept")), formats.RDF_MEDIA_TYPES)
    if media_type is None:
        raise NotAcceptable(f"{not_acceptable}: ask for one of {', '.join(formats.RDF_MEDIA_TYPES)}")
    body, etag = render(media_type)
    response_headers = {
        **READ_ONLY_ALLOW,
        "Content-Type": media_type,
        "Vary": "Accept",
        "ETag": f'"{etag}"',
        "Last-Modified": headers.http_date(started),
    }
    validators = Validators(frozenset({etag}), started)
    if evaluate(headers.conditions_from(request.headers), validators, is_read=True) is Outcome.NOT_MODIFIED:
        return web.Response(status=304, headers=response_headers)
    return web.Response(body=body if request.method == "GET" else None, headers=response_headers)
