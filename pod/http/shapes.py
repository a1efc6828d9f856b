"""The HTTP side of shapes: the shipped shapes served read-only, and who may constrain a container."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from aiohttp import web

from pod.auth.credentials import Credentials
from pod.errors import NotFound
from pod.http import conneg
from pod.http.read_only import read_only_rdf
from pod.ldp.identifiers import ResourceIdentifier
from pod.rdf import formats
from pod.shapes.constraints import CONSTRAINED_BY_LINK
from pod.shapes.shipped import SHAPES_SEGMENT, shipped_document
from pod.shapes.validator import MembersReport
from pod.wac.access_control import AccessControl
from pod.wac.requirements import CONTROL, READ, Requirement


class RequestAuthority:
    """pod.shapes' Authority for one request: WAC decides; a constraint's report waits for the response."""

    def __init__(self, access: AccessControl, credentials: Credentials) -> None:
        self.access = access
        self.credentials = credentials
        self.report: MembersReport | None = None

    async def require_control(
        self, container: ResourceIdentifier, shapes: Sequence[ResourceIdentifier]
    ) -> None:
        # Issue 11: Control on the container to set its constraint, and Read on the shapes it names
        # (its validation reports would otherwise show what an unreadable document says).
        needed = [Requirement(container, CONTROL), *(Requirement(s, READ) for s in shapes)]
        await self.access.authorize(self.credentials, needed)

    def constrained(self, report: MembersReport) -> None:
        self.report = report


def with_members_report(request: web.Request, response: web.Response, report: MembersReport) -> web.Response:
    """A write that set a constraint: the constrainedBy Link, and which members fail it (200/201 + report)."""
    links = ", ".join(f"<{url}>; {CONSTRAINED_BY_LINK}" for url in report.shapes)
    response.headers["Link"] = ", ".join(filter(None, [response.headers.get("Link"), links]))
    if not report.failing:
        return response
    chosen = conneg.negotiate(conneg.parse_accept(request.headers.get("Accept")), formats.RDF_MEDIA_TYPES)
    media_type = chosen or formats.TURTLE
    kept = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
    kept["Content-Type"] = media_type
    kept["Vary"] = "Accept"
    # 200 rather than 204: the response has content, the report (RFC 9110 §9.3.4).
    status = 201 if response.status == 201 else 200
    return web.Response(status=status, body=formats.serialize(report.report, media_type), headers=kept)


class ShippedShapes:
    """`GET {base}.shapes/{name}.ttl`: the shapes the server ships, read-only and public."""

    def __init__(self, base_path: str) -> None:
        self.prefix = f"{base_path}{SHAPES_SEGMENT}/"
        self.started = int(time.time())

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Before the LDP catch-all: nothing under `.shapes/` is ever an LDP resource."""
        router.add_route("*", self.prefix + r"{tail:[\s\S]*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["tail"]
        data = shipped_document(name[: -len(".ttl")]) if name.endswith(".ttl") else None
        if data is None:
            raise NotFound(f"the server ships no shapes document called {name!r}")
        url = str(request.url.with_query(None))

        def render(media_type: str) -> tuple[bytes, str]:
            body = (
                data
                if media_type == formats.TURTLE
                else formats.serialize(formats.parse(data, formats.TURTLE, url), media_type)
            )
            # From the shipped bytes, not the body: a conversion names blank nodes afresh each time.
            return body, hashlib.blake2b(data + media_type.encode(), digest_size=12).hexdigest()

        # The shipped shapes change only with the server's installation.
        return read_only_rdf(
            request,
            self.started,
            render,
            read_only="the shipped shapes are read-only",
            not_acceptable="shapes are RDF",
        )
