"""From the change feed to the channels: which channels hear of a change, and when.

The feed's listener only queues the change (writes never wait for notifications); one task takes
changes in order, finds the channels on the topic, applies their features (startAt, endAt, rate),
re-checks Read, and hands each channel's message to the sink of its type, which never waits either.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pod.errors import NotFound
from pod.ldp.changes import Change
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.ldp.operations import Resources
from pod.notifications.channels import Channel, ChannelType
from pod.notifications.messages import Notification
from pod.notifications.readers import ReadChecks
from pod.notifications.registry import ChannelRegistry
from pod.rdf import formats

log = logging.getLogger("pod.notifications")

# Changes waiting for the dispatcher; beyond this (a burst far faster than delivery) they are dropped.
QUEUE_LIMIT = 10_000

# Hands one rendered message to a channel's receivers. Must not wait: it queues.
Sink = Callable[[Channel, str], None]


@dataclass(slots=True)
class _Pace:
    """The `rate` feature of one channel: when it may send next, and the newest message held back."""

    next_at: float  # loop time
    pending: str | None = None
    timer: asyncio.TimerHandle | None = None


def same_state(known: str, current: str) -> bool:
    """Whether the subscriber's `state` names the current version: any representation's ETag will do."""
    tag = known.strip().removeprefix("W/").strip('"')
    # Other formats of one version have ETags `{version}-{format}` (pod.ldp.operations).
    return tag == current or tag.startswith(current + "-")


class Dispatcher:
    def __init__(
        self,
        resources: Resources,
        reads: ReadChecks,
        registry: ChannelRegistry,
        sinks: Mapping[ChannelType, Sink],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.resources = resources
        self.reads = reads
        self.registry = registry
        self.sinks = sinks
        self._clock = clock
        self._queue: asyncio.Queue[Change] = asyncio.Queue(QUEUE_LIMIT)
        self._paces: dict[str, _Pace] = {}
        registry.on_end(self._ended)

    # -- the change feed's side: never waits ------------------------------------------------------

    def listen(self, change: Change) -> None:
        """The change feed listener."""
        if change.identifier.auxiliary_kind is AuxiliaryKind.ACL:
            # Now, in the writer's order: no later change is delivered on a decision made before it.
            self.reads.forget()
        if not self.registry.has_topic(change.identifier.path):
            return  # nobody follows it now: a channel opened later starts after this change
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            log.warning(
                "notification queue full: %s of %s not delivered", change.activity.value, change.identifier
            )

    async def run(self) -> None:
        """Deliver queued changes, in order, until cancelled."""
        while True:
            change = await self._queue.get()
            try:
                await self.dispatch(change)
            except Exception:
                log.exception("could not deliver %s of %s", change.activity.value, change.identifier)

    # -- delivery -------------------------------------------------------------------------------

    async def dispatch(self, change: Change) -> None:
        channels = self.registry.for_topic(change.identifier.path)
        if not channels:
            return
        notification = Notification.of_change(change, self.resources.url)
        for channel in channels:
            await self.offer(channel, notification)

    async def offer(self, channel: Channel, notification: Notification) -> None:
        """Send `notification` on `channel` if its features and its owner's access allow it now."""
        now = self._clock()
        # Solid Notifications Protocol §Features: nothing before startAt, nothing from endAt on.
        if (channel.start_at is not None and now < channel.start_at) or now >= channel.end_at:
            return
        # Brief: subscribers need Read on the topic, checked again at delivery (a revoked reader stops).
        if not await self.reads.may_read(channel.owner, channel.topic):
            return
        self._paced(channel, notification.render(channel.accept))

    def _paced(self, channel: Channel, text: str) -> None:
        sink = self.sinks[channel.type]
        if channel.rate is None:
            sink(channel, text)
            return
        # Solid Notifications Protocol §Features (rate): at least `rate` between two messages. The
        # newest message held back is sent when the interval ends, so the receiver never misses the last one.
        loop = asyncio.get_running_loop()
        now = loop.time()
        pace = self._paces.get(channel.id)
        if pace is None or (now >= pace.next_at and pace.timer is None):
            sink(channel, text)
            self._paces[channel.id] = _Pace(now + channel.rate)
            return
        pace.pending = text
        if pace.timer is None:
            pace.timer = loop.call_at(pace.next_at, self._release, channel)

    def _release(self, channel: Channel) -> None:
        pace = self._paces.get(channel.id)
        if pace is None or pace.pending is None or self.registry.get(channel.id) is None:
            return
        self.sinks[channel.type](channel, pace.pending)
        assert channel.rate is not None
        self._paces[channel.id] = _Pace(asyncio.get_running_loop().time() + channel.rate)

    def _ended(self, channel: Channel) -> None:
        pace = self._paces.pop(channel.id, None)
        if pace is not None and pace.timer is not None:
            pace.timer.cancel()

    # -- the state feature ------------------------------------------------------------------------

    async def send_state(self, channel: Channel) -> None:
        """Solid Notifications Protocol §Features (state): when the subscriber's state is not the
        topic's current one, tell them at once (Update with the current ETag, or Delete if it is gone)."""
        if channel.state is None:
            return
        current = await self.current_state(channel.topic)
        if current is not None and same_state(channel.state, current):
            return
        url = self.resources.url(channel.topic)
        activity = "Delete" if current is None else "Update"
        await self.offer(channel, Notification(activity, url, self._clock(), state=current))

    async def current_state(self, topic: ResourceIdentifier) -> str | None:
        """The topic's ETag as a GET in the stored format (Turtle for containers) shows it; None: gone."""
        entry = await self.resources.store.stat(topic)
        if entry is None:
            return None
        if not topic.is_container:
            return entry.etag
        try:
            representation = await self.resources.read(topic, lambda _: formats.TURTLE, with_body=False)
        except NotFound:
            return None
        return representation.etag
