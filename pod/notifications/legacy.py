"""The legacy solid-0.1 WebSocket (SolidOS, rdflib.js): `sub <url>` → `ack <url>`, then `pub <url>`
whenever that resource changes — and for a container, whenever its members come and go.

Like NSS and CSS, it is unauthenticated (browsers cannot send credentials on a WebSocket): a `pub`
tells only that a URL on this server changed, never what changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from pod.errors import BadRequest, PodError
from pod.ldp.changes import Activity, Change
from pod.ldp.identifiers import ResourceIdentifier
from pod.ldp.operations import Resources
from pod.notifications.outbox import Outbox
from pod.notifications.receivers import HEARTBEAT, abort_connection, bound_send_buffer
from pod.notifications.topics import topic_identifier

log = logging.getLogger("pod.notifications")

PROTOCOL = "solid-0.1"
# Resources one socket may follow; a client asking for more is closed (a flood, not an app).
MAX_SUBSCRIPTIONS = 1000
MAX_LINE = 4096


class LegacySockets:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self._subscribers: dict[str, set[Outbox]] = {}  # resource path → the sockets following it
        self._open: set[Outbox] = set()

    # -- the change feed's side -------------------------------------------------------------------

    def listen(self, change: Change) -> None:
        """The change feed listener: `pub` to the sockets following what changed (never waits)."""
        if not self._subscribers:
            return  # no socket follows anything: the common case, at no cost to writes
        for identifier in self._changed(change):
            outboxes = self._subscribers.get(identifier.path)
            if outboxes:
                message = f"pub {self.resources.url(identifier)}"
                for outbox in list(outboxes):
                    outbox.offer(message)

    def _changed(self, change: Change) -> list[ResourceIdentifier]:
        """solid-0.1 §Subscription: the resource, and its container. A new or removed member reaches
        the container through the feed's own Add/Remove; an update is announced to it here — but only
        within one storage, so a change in one pod never publishes the container above the pods."""
        changed = [change.identifier]
        parent = change.identifier.parent
        if change.activity is Activity.UPDATE and parent is not None:
            storages = self.resources.storages
            if storages.storage_of(parent) == storages.storage_of(change.identifier):
                changed.append(parent)
        return changed

    # -- a socket -------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse(protocols=(PROTOCOL,), heartbeat=HEARTBEAT, max_msg_size=MAX_LINE)
        if not socket.can_prepare(request).ok:
            raise BadRequest(f"this is the {PROTOCOL} WebSocket: connect with a WebSocket upgrade request")
        await socket.prepare(request)
        bound_send_buffer(request)
        outbox = Outbox(
            socket.send_str, abort=lambda: abort_connection(request), alive=lambda: not socket.closed
        )

        async def write_then_close() -> None:
            await outbox.run()
            if not outbox.dropped and not socket.closed:
                await socket.close()

        writer = asyncio.get_running_loop().create_task(write_then_close())
        following: set[str] = set()
        self._open.add(outbox)
        try:
            if self._greet(request, outbox):
                async for message in socket:
                    if message.type is web.WSMsgType.TEXT and not self._commands(
                        message.data, following, outbox
                    ):
                        break
                    await asyncio.sleep(0)  # the writer sends the acks before the next message is read
        finally:
            self._open.discard(outbox)
            for path in following:
                self._unfollow(path, outbox)
            outbox.finish()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return socket

    def close_all(self) -> None:
        """At shutdown: every socket gets what is queued, then closes."""
        for outbox in list(self._open):
            outbox.finish()

    def _greet(self, request: web.Request, outbox: Outbox) -> bool:
        """solid-0.1 §Connection: announce the protocol; refuse clients that offer only others."""
        outbox.offer(f"protocol {PROTOCOL}")
        offered = request.headers.get("Sec-WebSocket-Protocol")
        if offered is None:
            outbox.offer(f"warning Missing Sec-WebSocket-Protocol header, expected value '{PROTOCOL}'")
        elif PROTOCOL not in [p.strip() for p in offered.split(",")]:
            outbox.offer(f"error Client does not support protocol {PROTOCOL}")
            return False
        return True

    def _commands(self, text: str, following: set[str], outbox: Outbox) -> bool:
        """Handle the lines of one message; False: the socket is to be closed."""
        for line in text.splitlines():
            verb, _, argument = line.strip().partition(" ")
            if not verb:
                continue
            if verb != "sub":
                outbox.offer(f"warning Unrecognized message type: {verb[:40]}")
                continue
            try:
                # solid-0.1 §Subscription: absolute URIs; only this server's resources.
                identifier = topic_identifier(
                    argument.strip(), self.resources.base_url, self.resources.storages
                )
            except PodError as error:
                outbox.offer(f"error {error.detail}")
                continue
            if identifier.path not in following:
                if len(following) >= MAX_SUBSCRIPTIONS:
                    outbox.offer(f"error at most {MAX_SUBSCRIPTIONS} subscriptions on one socket")
                    return False
                following.add(identifier.path)
                self._subscribers.setdefault(identifier.path, set()).add(outbox)
            outbox.offer(f"ack {self.resources.url(identifier)}")
        return True

    def _unfollow(self, path: str, outbox: Outbox) -> None:
        outboxes = self._subscribers.get(path)
        if outboxes is not None:
            outboxes.discard(outbox)
            if not outboxes:
                del self._subscribers[path]
