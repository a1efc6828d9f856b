"""WebhookChannel2023 deliveries: POST each message to the channel's `sendTo`, as the server, with
retries and backoff, from a bounded per-channel queue — so a slow or dead receiver holds up only
its own channel, never writes and never other channels."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from pod.notifications.channels import Channel
from pod.notifications.server_identity import ServerIdentity
from pod.outbound import FetchError, OutboundClient

log = logging.getLogger("pod.notifications")

# Seconds to wait before the second, third and fourth attempt at one message.
RETRY_DELAYS = (0.5, 2.0, 8.0)
# Messages waiting per channel; when full, the oldest goes (the newest says most about the topic).
QUEUE_LIMIT = 100


def _retryable(status: int) -> bool:
    # RFC 9110 §15.6 (server errors), §15.5.9 (408), RFC 6585 §4 (429): worth another try later.
    return status >= 500 or status in (408, 425, 429)


class WebhookSender:
    def __init__(
        self,
        outbound: OutboundClient,
        identity: ServerIdentity,
        *,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.outbound = outbound
        self.identity = identity
        self.retry_delays = retry_delays
        self.queue_limit = queue_limit
        self._queues: dict[str, deque[str]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._behind: set[str] = set()
        # Channels whose receiver failed to take a message: said once until it takes one again.
        self._failing: set[str] = set()

    def deliver(self, channel: Channel, text: str) -> None:
        """The channel type's sink: queue the message; the channel's own task sends it."""
        queue = self._queues.setdefault(channel.id, deque(maxlen=self.queue_limit))
        if len(queue) == self.queue_limit and channel.id not in self._behind:
            self._behind.add(channel.id)  # said once until it catches up: a dead receiver is not a log flood
            log.warning("webhook %s is behind: its oldest queued notifications are dropped", channel.send_to)
        queue.append(text)
        if channel.id not in self._workers:
            self._workers[channel.id] = asyncio.get_running_loop().create_task(self._work(channel))

    def queued(self, channel_id: str) -> int:
        """Messages waiting for the channel's receiver."""
        return len(self._queues.get(channel_id, ()))

    def ended(self, channel: Channel) -> None:
        """The channel is gone: nothing more is sent on it."""
        worker = self._workers.pop(channel.id, None)
        if worker is not None:
            worker.cancel()
        self._queues.pop(channel.id, None)
        self._behind.discard(channel.id)
        self._failing.discard(channel.id)

    async def close(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def _work(self, channel: Channel) -> None:
        try:
            queue = self._queues[channel.id]
            while queue:
                await self._post(channel, queue.popleft())
            self._behind.discard(channel.id)
        finally:
            if self._workers.get(channel.id) is asyncio.current_task():
                del self._workers[channel.id]
                if not self._queues.get(channel.id):
                    self._queues.pop(channel.id, None)

    async def _post(self, channel: Channel, text: str) -> bool:
        assert channel.send_to is not None
        url = channel.send_to
        for delay in (0.0, *self.retry_delays):
            if delay:
                await asyncio.sleep(delay)
            # WebhookChannel2023 §3: the sender authenticates its requests, as `sender`.
            headers = await self.identity.authorization("POST", url)
            headers["Content-Type"] = channel.accept
            try:
                answer = await self.outbound.request("POST", url, headers=headers, data=text.encode("utf-8"))
            except FetchError as error:
                log.debug("webhook delivery to %s failed: %s", url, error)
                continue
            if answer.status < 300:
                if channel.id in self._failing:
                    self._failing.discard(channel.id)
                    log.info("webhook %s takes notifications again", url)
                return True
            if not _retryable(answer.status):
                return self._failed(channel, f"it answered {answer.status}")
        return self._failed(channel, f"{1 + len(self.retry_delays)} attempts failed")

    def _failed(self, channel: Channel, reason: str) -> bool:
        """A message given up on: logged for the first one only, until the receiver takes one again
        (a dead receiver is not a log flood)."""
        if channel.id not in self._failing:
            self._failing.add(channel.id)
            log.warning(
                "webhook %s did not take a notification (%s); further failures are not logged until it does",
                channel.send_to,
                reason,
            )
        return False
