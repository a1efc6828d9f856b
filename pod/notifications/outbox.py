"""Bounded send queues for open connections (sockets, streams), and the connections of each channel.

A receiver that stops reading fills its queue; then it is dropped. Nothing that produces messages
ever waits for a receiver, so a stuck client costs its own queue and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("pod.notifications")

# Messages waiting for one connection before it counts as stuck and is dropped.
QUEUE_LIMIT = 256
# How often an idle connection checks that its peer is still there (seconds).
IDLE_CHECK = 15.0


class Outbox:
    """One connection's queue and the task that writes it out, in order."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        *,
        abort: Callable[[], None],
        alive: Callable[[], bool] = lambda: True,
        limit: int = QUEUE_LIMIT,
    ) -> None:
        self._send = send
        self._abort = abort
        self._alive = alive
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(limit)
        self.dropped = False

    def offer(self, text: str) -> None:
        """Queue a message without waiting; a full queue means the peer is not reading: drop it."""
        if self.dropped:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            log.warning(
                "dropping a notification receiver that does not keep up (%d queued)", self._queue.qsize()
            )
            self.dropped = True
            self._abort()  # at once: a close handshake would wait for the peer that does not read

    def finish(self) -> None:
        """No more messages: `run` returns once those queued are written."""
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)
        if self._queue.full():
            self.dropped = True
            self._abort()

    async def run(self) -> None:
        """Write messages as they come until `finish`, the peer goes away, or it is dropped."""
        while not self.dropped:
            try:
                text = self._queue.get_nowait()  # what is queued goes out in one go
            except asyncio.QueueEmpty:
                try:
                    text = await asyncio.wait_for(self._queue.get(), IDLE_CHECK)
                except TimeoutError:
                    if not self._alive():
                        return
                    continue
            if text is None:
                return
            try:
                await self._send(text)
            except (ConnectionError, RuntimeError) as error:
                log.debug("a notification receiver went away: %s", error)
                return


class Connections:
    """The outboxes open for each channel right now (sockets and streams of the channel's receivers)."""

    def __init__(self) -> None:
        self._open: dict[str, set[Outbox]] = {}

    def add(self, channel_id: str, outbox: Outbox) -> None:
        self._open.setdefault(channel_id, set()).add(outbox)

    def remove(self, channel_id: str, outbox: Outbox) -> None:
        outboxes = self._open.get(channel_id)
        if outboxes is not None:
            outboxes.discard(outbox)
            if not outboxes:
                del self._open[channel_id]

    def count(self, channel_id: str) -> int:
        return len(self._open.get(channel_id, ()))

    def deliver(self, channel_id: str, text: str) -> None:
        for outbox in list(self._open.get(channel_id, ())):
            outbox.offer(text)

    def finish(self, channel_id: str) -> None:
        """The channel ended: its receivers get what is queued, then their connections close."""
        for outbox in list(self._open.get(channel_id, ())):
            outbox.finish()

    def finish_all(self) -> None:
        for channel_id in list(self._open):
            self.finish(channel_id)
