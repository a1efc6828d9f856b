"""The channels that exist: kept in the server's internal state (they survive a restart), indexed by
topic and capability, and ended when their time is up."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from pod.notifications.channels import Channel
from pod.storage.internal import InternalState

log = logging.getLogger("pod.notifications")

FOLDER = "notifications"

Ended = Callable[[Channel], None]


def _key(channel_id: str) -> str:
    return f"{FOLDER}/{channel_id}.json"


class ChannelRegistry:
    """All channels by id, by topic path and by capability hash; `on_end` hears of every ending."""

    def __init__(self, state: InternalState, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self._clock = clock
        self._channels: dict[str, Channel] = {}
        self._by_topic: dict[str, set[str]] = {}
        self._by_capability: dict[str, str] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._ended: list[Ended] = []
        self._endings: set[asyncio.Task[Channel | None]] = set()  # held: the loop keeps only weak references

    def on_end(self, listener: Ended) -> None:
        """Call `listener` whenever a channel ends: expired, or deleted by its owner."""
        self._ended.append(listener)

    async def load(self) -> None:
        """Read the channels kept in the internal state (at start-up); expired ones are dropped."""
        for key in await self.state.keys(FOLDER):
            data = await self.state.read(key)
            try:
                channel = Channel.from_json(json.loads(data or b""))
            except (ValueError, KeyError, TypeError) as error:
                log.warning("ignoring the unreadable notification channel record %s: %s", key, error)
                continue
            if channel.end_at <= self._clock():
                await self.state.delete(key)
                continue
            self._index(channel)

    async def add(self, channel: Channel) -> None:
        await self.state.write(_key(channel.id), json.dumps(channel.to_json()).encode("utf-8"))
        self._index(channel)

    async def remove(self, channel_id: str) -> Channel | None:
        channel = self._unindex(channel_id)
        if channel is not None:
            await self.state.delete(_key(channel_id))
            for listener in self._ended:
                listener(channel)
        return channel

    def get(self, channel_id: str) -> Channel | None:
        return self._channels.get(channel_id)

    def has_topic(self, path: str) -> bool:
        """Whether any channel follows this path (cheaper than `for_topic`, asked on every write)."""
        return path in self._by_topic

    def for_topic(self, path: str) -> list[Channel]:
        ids = self._by_topic.get(path)
        return [self._channels[i] for i in ids] if ids else []

    def by_capability(self, digest: str) -> Channel | None:
        channel_id = self._by_capability.get(digest)
        return None if channel_id is None else self._channels.get(channel_id)

    def count_owned_by(self, agent: str | None) -> int:
        return sum(1 for channel in self._channels.values() if channel.owner.agent == agent)

    def close(self) -> None:
        """Stop the expiry timers (at shutdown); the channels stay in the internal state."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _index(self, channel: Channel) -> None:
        self._channels[channel.id] = channel
        self._by_topic.setdefault(channel.topic.path, set()).add(channel.id)
        if channel.capability is not None:
            self._by_capability[channel.capability] = channel.id
        # Solid Notifications Protocol §Features (endAt): the channel ends then, whatever happens.
        delay = max(channel.end_at - self._clock(), 0.0)
        loop = asyncio.get_running_loop()
        self._timers[channel.id] = loop.call_later(delay, self._expire, channel.id)

    def _unindex(self, channel_id: str) -> Channel | None:
        channel = self._channels.pop(channel_id, None)
        if channel is None:
            return None
        ids = self._by_topic.get(channel.topic.path)
        if ids is not None:
            ids.discard(channel_id)
            if not ids:
                del self._by_topic[channel.topic.path]
        if channel.capability is not None:
            self._by_capability.pop(channel.capability, None)
        timer = self._timers.pop(channel_id, None)
        if timer is not None:
            timer.cancel()
        return channel

    def _expire(self, channel_id: str) -> None:
        self._timers.pop(channel_id, None)
        task = asyncio.get_running_loop().create_task(self.remove(channel_id))
        self._endings.add(task)
        task.add_done_callback(self._ending_done)

    def _ending_done(self, task: asyncio.Task[Channel | None]) -> None:
        self._endings.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not end an expired notification channel", exc_info=task.exception())
