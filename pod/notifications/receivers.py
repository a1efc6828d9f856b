"""The receiving ends the server holds open: WebSocketChannel2023 sockets and StreamingHTTPChannel2023
responses, found by the capability in their `receiveFrom` URL."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from aiohttp import WSCloseCode, web

from pod.errors import BadRequest, NotFound
from pod.notifications.channels import Channel
from pod.notifications.delivery import Dispatcher
from pod.notifications.outbox import Connections, Outbox
from pod.notifications.registry import ChannelRegistry
from pod.notifications.service import capability_digest

# Receivers send nothing; anything they do send is read and dropped, a line at most this long.
MAX_INCOMING = 4096
HEARTBEAT = 30.0
SEND_BUFFER = 64 * 1024


def abort_connection(request: web.Request) -> None:
    """Drop the connection at once (a close handshake would wait on a peer that does not read)."""
    transport = request.transport
    if transport is not None:
        transport.abort()


def bound_send_buffer(request: web.Request) -> None:
    """Keep the kernel's send buffer for a notification connection small: messages are small, and a
    receiver that stops reading should fill its queue (and be dropped) rather than megabytes of memory."""
    transport = request.transport
    sock = None if transport is None else transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)


def connection_alive(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


class Receivers:
    def __init__(self, registry: ChannelRegistry, connections: Connections, dispatcher: Dispatcher) -> None:
        self.registry = registry
        self.connections = connections
        self.dispatcher = dispatcher

    def _channel(self, request: web.Request) -> Channel:
        channel = self.registry.by_capability(capability_digest(request.match_info["secret"]))
        if channel is None:
            raise NotFound("there is no such channel (it may have ended): subscribe again")
        return channel

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """WebSocketChannel2023 §2: the receiver connects to receiveFrom, in the channel's subprotocol."""
        channel = self._channel(request)
        socket = web.WebSocketResponse(
            protocols=(channel.type.iri, channel.type.value), heartbeat=HEARTBEAT, max_msg_size=MAX_INCOMING
        )
        if not socket.can_prepare(request).ok:
            raise BadRequest("receiveFrom is a WebSocket: connect with a WebSocket upgrade request")
        await socket.prepare(request)
        bound_send_buffer(request)
        outbox = Outbox(
            socket.send_str, abort=lambda: abort_connection(request), alive=lambda: not socket.closed
        )

        async def write_then_close() -> None:
            await outbox.run()
            if not outbox.dropped and not socket.closed:
                await socket.close(code=WSCloseCode.GOING_AWAY, message=b"the channel has ended")

        writer = asyncio.get_running_loop().create_task(write_then_close())
        self.connections.add(channel.id, outbox)
        try:
            await self.dispatcher.send_state(channel)
            async for _message in socket:  # reading answers pings and notices the receiver's close
                pass
        finally:
            self.connections.remove(channel.id, outbox)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return socket

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """StreamingHTTPChannel2023: one long response, a message after another (JSON-LD: one a line)."""
        channel = self._channel(request)
        response = web.StreamResponse(
            headers={"Content-Type": channel.accept, "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        bound_send_buffer(request)

        async def send(text: str) -> None:
            await response.write(text.encode("utf-8") + b"\n")

        outbox = Outbox(
            send, abort=lambda: abort_connection(request), alive=lambda: connection_alive(request)
        )
        self.connections.add(channel.id, outbox)
        try:
            await self.dispatcher.send_state(channel)
            await outbox.run()
        finally:
            self.connections.remove(channel.id, outbox)
        if not outbox.dropped:
            with contextlib.suppress(ConnectionError):
                await response.write_eof()
        return response
