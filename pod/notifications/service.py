"""The subscription services (one per channel type) and the channels they create, over HTTP:
GET a service's description, POST to subscribe, GET or DELETE a channel (its owner only)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from pod.auth.credentials import Credentials
from pod.errors import (
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    UnprocessableContent,
)
from pod.http.authentication import CREDENTIALS
from pod.ldp.operations import Resources
from pod.ldp.storages import CHANNEL_FEATURES, NOTIFY
from pod.notifications.channels import NOTIFICATION_CONTEXT, Channel, ChannelType, NotificationUrls
from pod.notifications.delivery import Dispatcher
from pod.notifications.messages import message_media_type
from pod.notifications.registry import ChannelRegistry
from pod.notifications.request import Requested, request_graph, requested_channel
from pod.notifications.responses import rdf_response
from pod.notifications.send_to import check_send_to
from pod.notifications.topics import topic_identifier
from pod.notifications.xsd import format_datetime, format_duration
from pod.rdf import formats
from pod.wac.access_control import CHALLENGE, AccessControl
from pod.wac.requirements import READ, Requirement

MAX_BODY = 64 * 1024
# Live channels one agent (or all anonymous subscribers together) may hold.
MAX_CHANNELS_PER_OWNER = 10_000
SERVICE_METHODS = "GET, HEAD, OPTIONS, POST"
CHANNEL_METHODS = "GET, HEAD, OPTIONS, DELETE"


def capability_digest(secret: str) -> str:
    """What the registry keeps of a receiveFrom secret: its hash, so the state on disk opens no socket."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass
class SubscriptionService:
    urls: NotificationUrls
    resources: Resources
    access: AccessControl
    registry: ChannelRegistry
    dispatcher: Dispatcher
    max_lifetime: float  # seconds a channel may live at most
    development: bool  # Settings.allow_private_fetch: webhooks may go to http on loopback
    clock: Callable[[], float] = time.time
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    # -- descriptions -------------------------------------------------------------------------

    def service_description(self, kind: ChannelType) -> dict[str, Any]:
        """Solid Notifications Protocol §3.2: id, channelType, features."""
        return {
            "@context": [NOTIFICATION_CONTEXT],
            "id": self.urls.service(kind),
            "channelType": kind.iri,
            "feature": [NOTIFY + feature for feature in CHANNEL_FEATURES],
        }

    def channel_description(self, channel: Channel, receive_from: str | None = None) -> dict[str, Any]:
        """Solid Notifications Protocol §3.3: the channel as created, with the features in force."""
        description: dict[str, Any] = {
            "@context": [NOTIFICATION_CONTEXT],
            "id": self.urls.channel(channel),
            "type": channel.type.iri,
            "topic": self.resources.url(channel.topic),
        }
        if receive_from is not None:
            description["receiveFrom"] = receive_from
        if channel.send_to is not None:
            description["sendTo"] = channel.send_to
            # WebhookChannel2023 §2: the response names the sender the receiver will see.
            description["sender"] = self.urls.sender
        if channel.start_at is not None:
            description["startAt"] = format_datetime(channel.start_at)
        description["endAt"] = format_datetime(channel.end_at)
        if channel.rate is not None:
            description["rate"] = format_duration(channel.rate)
        if channel.state is not None:
            description["state"] = channel.state
        description["accept"] = channel.accept
        return description

    # -- the service: GET, POST ---------------------------------------------------------------

    async def handle_service(self, request: web.Request) -> web.StreamResponse:
        kind = ChannelType(request.match_info["type"])
        allow = {"Allow": SERVICE_METHODS, "Accept-Post": f"{formats.JSON_LD}, {formats.TURTLE}"}
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=allow)
        if request.method in ("GET", "HEAD"):
            # Solid Notifications Protocol §2.2: GET, HEAD, OPTIONS and POST on the subscription service.
            return rdf_response(request, self.service_description(kind), headers=allow)
        if request.method != "POST":
            raise MethodNotAllowed(f"{request.method} is not supported here", headers=allow)
        channel, receive_from = await self.subscribe(request, kind)
        return rdf_response(
            request,
            self.channel_description(channel, receive_from),
            status=201,
            headers={"Location": self.urls.channel(channel)},
        )

    async def subscribe(self, request: web.Request, kind: ChannelType) -> tuple[Channel, str | None]:
        """Create the channel a POST asks for; returns it and its receiveFrom URL (if it has one)."""
        body = await _limited_body(request)
        asked = requested_channel(
            request_graph(body, request.headers.get("Content-Type"), self.urls.service(kind))
        )
        if asked.type is not kind:
            raise UnprocessableContent(
                f"this service creates {kind.value} channels; ask {self.urls.service(asked.type)} "
                f"for a {asked.type.value}"
            )
        topic = topic_identifier(asked.topic, self.resources.base_url, self.resources.storages)
        credentials: Credentials = request[CREDENTIALS]
        if kind is ChannelType.WEBHOOK and not credentials.is_authenticated:
            # WebhookChannel2023 §3: the subscription client MUST authenticate.
            raise Unauthorized(
                "subscribing a webhook needs an authenticated agent", headers={"WWW-Authenticate": CHALLENGE}
            )
        # Brief (issue 9): the subscriber needs Read on the topic (401 anonymous, 403 authenticated).
        await self.access.authorize(credentials, [Requirement(topic, READ)])
        if self.registry.count_owned_by(credentials.agent) >= MAX_CHANNELS_PER_OWNER:
            raise TooManyRequests(
                f"at most {MAX_CHANNELS_PER_OWNER} channels at once: delete some first",
                headers={"Retry-After": "60"},
            )
        secret = None if kind is ChannelType.WEBHOOK else secrets.token_urlsafe(32)
        channel = Channel(
            id=str(uuid.uuid4()),
            type=kind,
            topic=topic,
            owner=credentials,
            **self._features(asked),
            send_to=await self._send_to(asked) if kind is ChannelType.WEBHOOK else None,
            capability=None if secret is None else capability_digest(secret),
        )
        await self.registry.add(channel)
        if kind is ChannelType.WEBHOOK:
            # No connection to wait for: the state feature's message goes out now.
            self._background(self.dispatcher.send_state(channel))
        return channel, None if secret is None else self.urls.receive_from(kind, secret)

    def _features(self, asked: Requested) -> dict[str, Any]:
        now = self.clock()
        latest = now + self.max_lifetime
        start_at = asked.start_at if asked.start_at is not None and asked.start_at > now else None
        if start_at is not None and start_at >= latest:
            raise UnprocessableContent(
                f"startAt is beyond the longest a channel lives here ({self._lifetime()})"
            )
        # Solid Notifications Protocol §Features: endAt is "proposed or actual": the server's maximum applies.
        end_at = latest if asked.end_at is None else min(asked.end_at, latest)
        if end_at <= (start_at or now):
            raise UnprocessableContent(
                "endAt is in the past (or before startAt): the channel would never live"
            )
        rate = asked.rate or None
        if rate is not None and rate >= self.max_lifetime:
            raise UnprocessableContent(f"rate is longer than a channel lives here ({self._lifetime()})")
        accept = formats.JSON_LD
        if asked.accept is not None:
            chosen = message_media_type(asked.accept)
            if chosen is None:
                raise UnprocessableContent(
                    f"accept {asked.accept[:100]!r}: notifications are JSON-LD or other RDF"
                )
            accept = chosen
        return {"start_at": start_at, "end_at": end_at, "state": asked.state, "rate": rate, "accept": accept}

    def _lifetime(self) -> str:
        return format_duration(self.max_lifetime)

    async def _send_to(self, asked: Requested) -> str:
        if asked.send_to is None:
            # WebhookChannel2023 §2: sendTo is required.
            raise UnprocessableContent("a WebhookChannel2023 needs sendTo: the URL to POST notifications to")
        return await check_send_to(asked.send_to, development=self.development)

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # held: the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    # -- a channel: GET, DELETE -----------------------------------------------------------------

    async def handle_channel(self, request: web.Request) -> web.StreamResponse:
        allow = {"Allow": CHANNEL_METHODS}
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=allow)
        if request.method not in ("GET", "HEAD", "DELETE"):
            raise MethodNotAllowed(f"{request.method} is not supported on a channel", headers=allow)
        channel = self.registry.get(request.match_info["id"])
        if channel is None or channel.type.value != request.match_info["type"]:
            raise NotFound("there is no such channel (it may have ended)", headers=allow)
        self._check_owner(request[CREDENTIALS], channel)
        if request.method == "DELETE":
            # Brief (issue 9): DELETE on the channel unsubscribes.
            await self.registry.remove(channel.id)
            return web.Response(status=204, headers=allow)
        return rdf_response(request, self.channel_description(channel), headers=allow)

    @staticmethod
    def _check_owner(credentials: Credentials, channel: Channel) -> None:
        if not credentials.is_authenticated:
            raise Unauthorized(
                "only the agent who subscribed may manage a channel", headers={"WWW-Authenticate": CHALLENGE}
            )
        if channel.owner.agent != credentials.agent:
            raise Forbidden("only the agent who subscribed may manage a channel")


async def _limited_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise PayloadTooLarge(f"a subscription request is at most {MAX_BODY} bytes")
    chunks, total = [], 0
    async for chunk in request.content.iter_chunked(16 * 1024):
        total += len(chunk)
        if total > MAX_BODY:
            raise PayloadTooLarge(f"a subscription request is at most {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
