"""Builds the notification services once and wires their routes and lifecycle into the application."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from pod.config import Settings
from pod.errors import MethodNotAllowed, NotFound
from pod.idp.oidc.keys import SigningKeys
from pod.ldp.operations import Resources
from pod.ldp.storages import NOTIFICATIONS
from pod.notifications.channels import LEGACY_NAME, SENDER_NAME, Channel, ChannelType, NotificationUrls
from pod.notifications.delivery import Dispatcher, Sink
from pod.notifications.legacy import LegacySockets
from pod.notifications.outbox import Connections
from pod.notifications.readers import ReadChecks
from pod.notifications.receivers import Receivers
from pod.notifications.registry import ChannelRegistry
from pod.notifications.responses import graph_response
from pod.notifications.server_identity import ServerIdentity
from pod.notifications.service import SubscriptionService
from pod.notifications.webhook import WebhookSender
from pod.outbound import FetchPolicy, OutboundClient
from pod.storage.internal import MemoryInternalState
from pod.wac.access_control import AccessControl

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Seconds a webhook receiver has to answer; its answer's body is not read beyond 64 KiB.
WEBHOOK_TIMEOUT = 10.0


@dataclass
class Notifications:
    urls: NotificationUrls
    registry: ChannelRegistry
    connections: Connections
    dispatcher: Dispatcher
    webhooks: WebhookSender
    legacy: LegacySockets
    service: SubscriptionService
    receivers: Receivers
    identity: ServerIdentity


NOTIFICATIONS_KEY = web.AppKey("notifications", Notifications)


def build(
    settings: Settings, resources: Resources, access: AccessControl, keys: SigningKeys
) -> Notifications:
    urls = NotificationUrls(settings.base_url)
    registry = ChannelRegistry(resources.storages.state or MemoryInternalState())
    connections = Connections()
    # Its own client: dead webhooks must not hold the connections WebID and key fetches need.
    outbound = OutboundClient(
        FetchPolicy(WEBHOOK_TIMEOUT, 64 * 1024, allow_private=bool(settings.allow_private_fetch))
    )
    identity = ServerIdentity(keys, settings.base_url, urls.sender)
    webhooks = WebhookSender(outbound, identity)

    def to_connections(channel: Channel, text: str) -> None:
        connections.deliver(channel.id, text)

    sinks: dict[ChannelType, Sink] = {
        ChannelType.WEBSOCKET: to_connections,
        ChannelType.STREAMING: to_connections,
        ChannelType.WEBHOOK: webhooks.deliver,
    }
    dispatcher = Dispatcher(resources, ReadChecks(access), registry, sinks)
    registry.on_end(lambda channel: connections.finish(channel.id))
    registry.on_end(webhooks.ended)
    service = SubscriptionService(
        urls,
        resources,
        access,
        registry,
        dispatcher,
        max_lifetime=float(settings.max_channel_lifetime),
        development=bool(settings.allow_private_fetch),
    )
    return Notifications(
        urls,
        registry,
        connections,
        dispatcher,
        webhooks,
        LegacySockets(resources),
        service,
        Receivers(registry, connections, dispatcher),
        identity,
    )


def install(
    app: web.Application, settings: Settings, resources: Resources, access: AccessControl, keys: SigningKeys
) -> Notifications:
    """Add the notification routes under `{base}.notifications/`; call before the LDP catch-all route."""
    notifications = app[NOTIFICATIONS_KEY] = build(settings, resources, access, keys)
    running: list[asyncio.Task[None]] = []
    unsubscribe: list[Callable[[], None]] = []

    async def start(_app: web.Application) -> None:
        await notifications.registry.load()
        unsubscribe.append(resources.changes.subscribe(notifications.dispatcher.listen))
        unsubscribe.append(resources.changes.subscribe(notifications.legacy.listen))
        running.append(asyncio.get_running_loop().create_task(notifications.dispatcher.run()))

    async def shutdown(_app: web.Application) -> None:
        # Open sockets and streams end, or the server would wait on them.
        notifications.connections.finish_all()
        notifications.legacy.close_all()

    async def cleanup(_app: web.Application) -> None:
        for stop in unsubscribe:
            stop()
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        notifications.registry.close()
        await notifications.webhooks.close()
        await notifications.webhooks.outbound.close()

    app.on_startup.append(start)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(cleanup)
    _add_routes(app.router, settings.base_path + NOTIFICATIONS + "/", notifications)
    return notifications


def _add_routes(router: web.UrlDispatcher, prefix: str, notifications: Notifications) -> None:
    types = "|".join(kind.value for kind in ChannelType)
    receivers = notifications.receivers
    router.add_get(prefix + ChannelType.WEBSOCKET.value + "/socket/{secret}", receivers.websocket)
    router.add_get(prefix + ChannelType.STREAMING.value + "/stream/{secret}", receivers.stream)
    router.add_get(prefix + LEGACY_NAME, notifications.legacy.handle)
    router.add_route("*", prefix + SENDER_NAME, _read_only(_sender_document(notifications.identity)))
    router.add_route("*", prefix + "{type:" + types + "}/", notifications.service.handle_service)
    router.add_route(
        "*", prefix + "{type:" + types + "}/{id:[0-9a-f-]{36}}", notifications.service.handle_channel
    )
    # Everything else under the prefix is the server's too: never an LDP resource.
    router.add_route("*", prefix + r"{tail:[\s\S]*}", _not_found)


def _sender_document(identity: ServerIdentity) -> Handler:
    async def sender(request: web.Request) -> web.StreamResponse:
        return graph_response(request, identity.profile())

    return sender


def _read_only(handler: Handler) -> Handler:
    async def route(request: web.Request) -> web.StreamResponse:
        allow = {"Allow": "GET, HEAD, OPTIONS"}
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=allow)
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(f"{request.method} is not supported here", headers=allow)
        return await handler(request)

    return route


async def _not_found(request: web.Request) -> web.StreamResponse:
    raise NotFound("there is nothing of the notification services here")
