"""The routes: every path under the base URL is an LDP resource, except the few the server answers."""

from __future__ import annotations

import asyncio
import hashlib
import time

from aiohttp import web

from pod.errors import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PodError,
    RequestTimeout,
    Unauthorized,
)
from pod.http import conneg, headers
from pod.http.authentication import CREDENTIALS
from pod.http.databrowser import DataBrowser
from pod.http.public_reads import PublicReads
from pod.http.read_only import read_only_rdf
from pod.http.shapes import RequestAuthority, with_members_report
from pod.ldn.receiver import LDP_INBOX, InboxReceiver
from pod.ldn.senders import sender_key
from pod.ldp.cache import Lru
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier, parse_path
from pod.ldp.operations import Content, Representation, ResourceKind, Resources, kind_of
from pod.ldp.storages import storage_description
from pod.notifications.channels import updates_via
from pod.rdf import formats
from pod.rdf.patch import parse_patch
from pod.sparql.location import VOID_SPARQL_ENDPOINT, endpoint_url
from pod.storage.base import RequestScope
from pod.wac.access_control import AccessControl
from pod.wac.modes import AccessMode, AccessModes
from pod.wac.requirements import requirements_for

CHUNK_SIZE = 64 * 1024
# Seconds a request body may pause before the request is refused (pod.config overrides it).
DEFAULT_BODY_TIMEOUT = 60.0
LDP_BASIC_CONTAINER = "http://www.w3.org/ns/ldp#BasicContainer"
LDP_CONTAINER = "http://www.w3.org/ns/ldp#Container"
OWNER_REL = "http://www.w3.org/ns/solid/terms#owner"


class _LimitedBody:
    """A request body in chunks: within the size limit, never idle for longer than the body timeout.

    (An iterator object rather than an async generator: bodies that have arrived whole, most of
    them, are taken as they are, with no timer and no generator to set up.)
    """

    __slots__ = ("ended", "max_size", "request", "timeout", "total")

    def __init__(self, request: web.Request, max_size: int, timeout: float) -> None:
        self.request = request
        self.max_size = max_size
        self.timeout = timeout
        self.total = 0
        self.ended = False

    def __aiter__(self) -> _LimitedBody:
        return self

    async def __anext__(self) -> bytes:
        if self.ended:
            raise StopAsyncIteration
        stream = self.request.content
        chunk = stream.read_nowait(CHUNK_SIZE)  # what has arrived already
        if not chunk and not stream.at_eof():
            try:
                # A client that stops sending mid-body would otherwise hold its connection (and
                # its staged file) for ever: a slow but steady upload is fine, a stalled one is not.
                async with asyncio.timeout(self.timeout):
                    chunk = await stream.read(CHUNK_SIZE)
            except TimeoutError:
                raise RequestTimeout(f"no part of the body arrived for {self.timeout:g} s") from None
        if not chunk:
            self.ended = True
            self._check_complete()
            raise StopAsyncIteration
        self.total += len(chunk)
        if self.total > self.max_size:
            raise PayloadTooLarge(f"the body is over the limit of {self.max_size} bytes")
        return chunk

    def _check_complete(self) -> None:
        length = self.request.content_length
        # (A Content-Encoding body is decoded on the way in, so its length is not the one announced.)
        if length is not None and self.total != length and "Content-Encoding" not in self.request.headers:
            # RFC 9112 §6.3: a body shorter than its Content-Length is incomplete; keep nothing of it.
            raise BadRequest(f"the body ended after {self.total} of the {length} bytes announced")


class LdpHandler:
    """Turns each request into one LDP operation on `Resources` and its result into a response."""

    # The SolidOS data browser for RDF resources asked for as HTML (set by pod.app; None: off).
    databrowser: DataBrowser | None = None
    # Linked Data Notifications: which containers are inboxes, what they accept (set by pod.app; None: off).
    inboxes: InboxReceiver | None = None

    def __init__(
        self,
        resources: Resources,
        access: AccessControl,
        base_path: str,
        max_body_size: int,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        self.resources = resources
        self.access = access
        self.base_path = base_path
        self.max_body_size = max_body_size
        self.body_timeout = body_timeout
        self.started = int(time.time())
        # Pure functions of the request path (and of the storages' records), asked on every request.
        self._identifiers: Lru[str, ResourceIdentifier] = Lru(1024)
        self._resource_headers: Lru[tuple[str, ResourceKind | None, int], dict[str, str]] = Lru(512)
        self.public_reads = PublicReads(resources.store, resources.storages)

    # -- request → operation ------------------------------------------------------------------

    def identifier(self, request: web.Request) -> ResourceIdentifier:
        raw_path = request.raw_path.split("?", 1)[0]
        identifier = self._identifiers.get(raw_path)
        if identifier is None:
            if not raw_path.startswith(self.base_path):
                raise NotFound("this path is outside the server's base URL")
            identifier = parse_path("/" + raw_path[len(self.base_path) :])  # a bad path raises: not kept
            self._identifiers.put(raw_path, identifier)
        return identifier

    def content(self, request: web.Request) -> Content:
        media_type = conneg.essence(request.headers.get("Content-Type"))
        length = request.content_length
        if length is not None and length > self.max_body_size:
            raise PayloadTooLarge(f"the body is {length} bytes; the limit is {self.max_body_size}")
        has_body = bool(length) or (length is None and request.body_exists)
        if has_body and media_type is None:
            # Solid Protocol §2.1: content without a Content-Type is a 400.
            raise BadRequest("the request has content but no Content-Type header")
        body = _LimitedBody(request, self.max_body_size, self.body_timeout) if has_body else b""
        return Content(media_type, body, length)

    # -- the handler --------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        identifier = self.identifier(request)
        with RequestScope():  # the store checks each folder for outside changes once per request
            return await self._handle(request, identifier)

    async def _handle(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        try:
            if self.resources.storages.is_reserved(identifier):
                return await self.reserved(request, identifier)
            method = getattr(self, "do_" + request.method, None)
            if method is None:
                raise MethodNotAllowed(f"{request.method} is not supported")
            response: web.StreamResponse = await method(request, identifier)
            return response
        except PodError as error:
            if error.status in (404, 405) and "Allow" not in error.headers:
                state = await self.resources.state(identifier)
                error.headers["Allow"] = ", ".join(self.allowed(identifier, state.kind))
            raise

    def allowed(self, identifier: ResourceIdentifier, kind: ResourceKind | None) -> list[str]:
        storages = self.resources.storages
        return headers.allowed_methods(kind, deletable=not storages.is_undeletable(identifier))

    def resource_headers(self, identifier: ResourceIdentifier, kind: ResourceKind | None) -> dict[str, str]:
        """Link, Allow and Accept-* for a resource: on every response about it (a new dict each time)."""
        key = (identifier.path, kind, self.resources.storages.version)
        found = self._resource_headers.get(key)
        if found is None:
            found = self._resource_headers_of(identifier, kind)
            self._resource_headers.put(key, found)
        return dict(found)

    def _resource_headers_of(
        self, identifier: ResourceIdentifier, kind: ResourceKind | None
    ) -> dict[str, str]:
        resources = self.resources
        storages = resources.storages
        links = []
        if kind is not None:
            links += headers.type_links(kind, is_storage=storages.is_storage(identifier))
        aux = identifier.auxiliary_kind
        url = resources.url(identifier)
        links += headers.auxiliary_links(
            {
                # An auxiliary resource's path is its subject's with the suffix added.
                "acl": url + AuxiliaryKind.ACL.value if aux is None else "",
                "describedby": url + AuxiliaryKind.DESCRIPTION.value if aux is None else "",
                "describes": resources.url(identifier.subject) if aux is not None else "",
            },
            aux,
        )
        storage = storages.storage_of(identifier)
        if storage is not None:
            description = resources.url(storages.description_of(storage))
            links.append(f'<{description}>; rel="{headers.STORAGE_DESCRIPTION_REL}"')
        if storage is not None and storage == identifier:
            # Solid Protocol §4.1: a storage's root advertises its owners.
            links += [f'<{owner}>; rel="{OWNER_REL}"' for owner in sorted(storages.owners_of(storage))]
            links.append(f'<{endpoint_url(resources.url(storage))}>; rel="{VOID_SPARQL_ENDPOINT}"')
        if self.inboxes is not None and (inbox := self.inboxes.pod_inbox(identifier)) is not None:
            # LDN §Discovery: a target resource advertises its inbox with a Link header.
            links.append(f'<{resources.url(inbox)}>; rel="{LDP_INBOX}"')
        methods = self.allowed(identifier, kind)
        result = {"Link": ", ".join(links), "Allow": ", ".join(methods)}
        result["Updates-Via"] = updates_via(resources.base_url)  # solid-0.1: the legacy notifications socket
        result.update(headers.accept_headers(methods))
        return result

    # -- authorization ------------------------------------------------------------------------

    async def authorize(
        self, request: web.Request, identifier: ResourceIdentifier, patch_modes: AccessModes | None = None
    ) -> None:
        """WAC: the modes this request needs on each resource it touches, or 401/403.

        Runs before anything about the target is revealed (existence, slash conflicts).
        """
        exists, missing = True, []
        if request.method in ("PUT", "PATCH"):
            exists = await self.resources.store.exists(identifier)
            if not exists:
                missing = await self.resources.missing_containers(identifier)
        requirements = requirements_for(
            request.method, identifier, exists=exists, missing_containers=missing, patch_modes=patch_modes
        )
        await self.access.authorize(request[CREDENTIALS], requirements)

    async def wac_allow(self, request: web.Request, identifier: ResourceIdentifier) -> str:
        """Authorize a read and say what the agent and the public may do (WAC §WAC-Allow)."""
        user, public = await self.access.permissions(request[CREDENTIALS], identifier)
        if AccessMode.READ not in user:
            await self.authorize(request, identifier)  # raises the 401 or 403 with its reason
        return self.access.wac_allow(user, public)

    # -- the methods ----------------------------------------------------------------------------

    async def do_OPTIONS(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        await self.authorize(request, identifier)
        state = await self.resources.state(identifier)
        return web.Response(status=204, headers=self.resource_headers(identifier, state.kind))

    async def do_GET(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        return await self.read(request, identifier, with_body=True)

    async def do_HEAD(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        return await self.read(request, identifier, with_body=False)

    async def read(
        self, request: web.Request, identifier: ResourceIdentifier, *, with_body: bool
    ) -> web.StreamResponse:
        public_read = self.public_reads.read_of(request, identifier) if with_body else None
        if public_read is not None and (answer := self.public_reads.answer(public_read)) is not None:
            return answer
        ranges = conneg.parse_accept(request.headers.get("Accept"))
        try:
            wac_allow = await self.wac_allow(request, identifier)
        except Unauthorized as refusal:
            if self.databrowser is None or not self.databrowser.wanted(ranges):
                raise
            # A browser opening a URL never holds a token (apps do): the data browser comes with the 401,
            # so that the person can log in there. It shows nothing of the resource until then.
            return self.databrowser.respond(request, refusal.headers, self.started, status=401)
        if self.databrowser is not None and self.databrowser.wanted(ranges):
            state = await self.resources.state(identifier)
            if state.kind in (ResourceKind.CONTAINER, ResourceKind.RDF_DOCUMENT):
                page_headers = {**self.resource_headers(identifier, state.kind), "WAC-Allow": wac_allow}
                return self.databrowser.respond(request, page_headers, self.started)
        representation = await self.resources.read(
            identifier,
            lambda available: conneg.negotiate(ranges, available),
            headers.conditions_from(request.headers),
            headers.byte_range_from(request.headers),
            with_body=with_body,
        )
        response = await self.send(request, representation, wac_allow)
        if public_read is not None:
            self.public_reads.remember(public_read, response)
        return response

    async def send(
        self, request: web.Request, representation: Representation, wac_allow: str
    ) -> web.StreamResponse:
        response_headers = self.resource_headers(representation.identifier, representation.kind)
        response_headers.update(
            {
                "ETag": f'"{representation.etag}"',
                "Last-Modified": headers.http_date(representation.last_modified),
                "Vary": "Accept, Authorization, Origin",
                "WAC-Allow": wac_allow,
            }
        )
        if representation.kind is ResourceKind.NON_RDF:
            response_headers["Accept-Ranges"] = "bytes"
        if representation.not_modified:
            return web.Response(status=304, headers=response_headers)
        status = 200
        length = representation.size
        if representation.content_range is not None:
            start, end = representation.content_range
            status = 206
            length = end - start
            response_headers["Content-Range"] = f"bytes {start}-{end - 1}/{representation.size}"
        response_headers["Content-Type"] = representation.content_type
        body = representation.body
        if isinstance(body, bytes):
            return web.Response(status=status, body=body, headers=response_headers)
        response = web.StreamResponse(status=status, headers=response_headers)
        response.content_length = length
        await response.prepare(request)
        if body is not None:
            async for chunk in body:
                await response.write(chunk)
        await response.write_eof()
        return response

    async def do_PUT(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        await self.authorize(request, identifier)
        authority = RequestAuthority(self.access, request[CREDENTIALS])
        content = self.content(request)
        conditions = headers.conditions_from(request.headers)
        created = await self.resources.replace(identifier, content, conditions, authority=authority)
        return self.written(identifier, kind_of(identifier, content.media_type), created, request, authority)

    async def do_PATCH(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        content = self.content(request)
        if content.media_type is None:
            raise BadRequest("a PATCH needs a Content-Type: text/n3 or application/sparql-update")
        body = await content.read()
        document = (body, content.media_type, self.resources.url(identifier))
        if len(body) > formats.PARSED_ON_LOOP_BYTES:
            # A large patch document is parsed off the event loop (before any access check, which
            # needs the modes it asks for): other requests go on meanwhile.
            patch = await asyncio.to_thread(parse_patch, *document)
        else:
            patch = parse_patch(*document)
        await self.authorize(request, identifier, patch.required_modes())
        authority = RequestAuthority(self.access, request[CREDENTIALS])
        conditions = headers.conditions_from(request.headers)
        created = await self.resources.patch(identifier, patch, conditions, authority=authority)
        # A patched resource is RDF: a document, or a container (whose description was patched).
        return self.written(identifier, kind_of(identifier, formats.TURTLE), created, request, authority)

    def written(
        self,
        identifier: ResourceIdentifier,
        kind: ResourceKind,
        created: bool,
        request: web.Request | None = None,
        authority: RequestAuthority | None = None,
    ) -> web.Response:
        """The answer to a successful write: about the resource as the write left it."""
        response_headers = self.resource_headers(identifier, kind)
        if created:
            response_headers["Location"] = self.resources.url(identifier)
        response = web.Response(status=201 if created else 204, headers=response_headers)
        if request is not None and authority is not None and authority.report is not None:
            # Issue 11: a write that set a constraint says how many members already fail it.
            return with_members_report(request, response, authority.report)
        return response

    async def do_POST(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        await self.authorize(request, identifier)
        types = headers.link_targets(request.headers.getall("Link", []), "type")
        as_container = LDP_BASIC_CONTAINER in types or LDP_CONTAINER in types
        content = self.content(request)
        if self.inboxes is not None and await self.inboxes.is_inbox(identifier):
            if as_container:
                raise BadRequest("an inbox holds notifications, not containers: POST a document")
            # LDN §Receiver: its constraints — rate per sender, size, RDF — before anything is kept.
            sender = sender_key(request[CREDENTIALS].agent, request.remote)
            content = await self.inboxes.notification(identifier, content, sender)
        authority = RequestAuthority(self.access, request[CREDENTIALS])
        child = await self.resources.create_child(
            identifier,
            content,
            request.headers.get("Slug"),
            as_container=as_container,
            authority=authority,
        )
        return self.written(child, kind_of(child, content.media_type), True, request, authority)

    async def do_DELETE(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        if self.resources.storages.is_undeletable(identifier):
            # Solid Protocol §5.4: 405 whoever asks, since no agent could ever delete it.
            raise MethodNotAllowed(f"{identifier} belongs to a storage root and cannot be deleted")
        await self.authorize(request, identifier)
        authority = RequestAuthority(self.access, request[CREDENTIALS])
        await self.resources.delete(identifier, headers.conditions_from(request.headers), authority=authority)
        return web.Response(status=204)

    # -- what the server answers itself -------------------------------------------------------

    async def reserved(self, request: web.Request, identifier: ResourceIdentifier) -> web.StreamResponse:
        storages = self.resources.storages
        storage = storages.storage_of(identifier)
        if storage is None or identifier != storages.description_of(storage):
            raise NotFound(f"{identifier} does not exist")

        def render(media_type: str) -> tuple[bytes, str]:
            description = storage_description(self.resources.url(storage), self.resources.base_url)
            body = formats.serialize(description, media_type)
            return body, hashlib.blake2b(body, digest_size=12).hexdigest()

        # The description changes only with the server's configuration.
        return read_only_rdf(
            request,
            self.started,
            render,
            read_only="the storage description is read-only",
            not_acceptable="the storage description is RDF",
        )
