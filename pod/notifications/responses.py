"""Responses in JSON-LD (the protocol's preferred format) or any RDF format the client asks for."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
from aiohttp import web

from pod.errors import NotAcceptable
from pod.http import conneg
from pod.notifications.messages import MESSAGE_MEDIA_TYPES
from pod.rdf import formats


def rdf_response(
    request: web.Request,
    document: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """`document` (compact JSON-LD with bundled contexts) in the format the Accept header prefers."""
    media_type = conneg.negotiate(conneg.parse_accept(request.headers.get("Accept")), MESSAGE_MEDIA_TYPES)
    if media_type is None:
        raise NotAcceptable(f"ask for one of {', '.join(MESSAGE_MEDIA_TYPES)}")
    body = json.dumps(document, indent=1).encode("utf-8")
    if media_type != formats.JSON_LD:
        graph = formats.parse(body, formats.JSON_LD, str(document.get("id", "")))
        body = formats.serialize(graph, media_type)
    all_headers = {"Content-Type": media_type, "Vary": "Accept, Authorization, Origin", **(headers or {})}
    return web.Response(status=status, body=None if request.method == "HEAD" else body, headers=all_headers)


def graph_response(request: web.Request, graph: list[ox.Triple]) -> web.Response:
    """A document of the server's own (a WebID profile): Turtle unless the client prefers other RDF."""
    media_type = conneg.negotiate(conneg.parse_accept(request.headers.get("Accept")), formats.RDF_MEDIA_TYPES)
    if media_type is None:
        raise NotAcceptable(f"ask for one of {', '.join(formats.RDF_MEDIA_TYPES)}")
    body = formats.serialize(graph, media_type)
    headers = {"Content-Type": media_type, "Vary": "Accept"}
    return web.Response(body=None if request.method == "HEAD" else body, headers=headers)
