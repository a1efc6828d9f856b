"""Read checks at delivery: may a channel's owner still read its topic? Cached briefly, so that a
write with a thousand subscribers costs one WAC evaluation, and forgotten whenever an ACL changes."""

from __future__ import annotations

import time
from collections.abc import Callable

from pod.auth.credentials import Credentials
from pod.ldp.identifiers import ResourceIdentifier
from pod.wac.access_control import AccessControl
from pod.wac.modes import AccessMode

# Seconds a decision is kept. ACL writes clear the cache at once; this bounds what they cannot
# announce (group documents elsewhere, a pod's owners changing).
TTL = 30.0
MAX_ENTRIES = 10_000


class ReadChecks:
    def __init__(self, access: AccessControl, clock: Callable[[], float] = time.monotonic) -> None:
        self.access = access
        self._clock = clock
        self._decisions: dict[tuple[Credentials, str], tuple[bool, float]] = {}
        self._generation = 0  # changes with every ACL write: a decision made across one is not kept

    async def may_read(self, credentials: Credentials, topic: ResourceIdentifier) -> bool:
        key = (credentials, topic.path)
        now = self._clock()
        cached = self._decisions.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        generation = self._generation
        allowed = AccessMode.READ in await self.access.modes(credentials, topic)
        if generation == self._generation:
            if len(self._decisions) >= MAX_ENTRIES:
                self._decisions.clear()
            self._decisions[key] = (allowed, now + TTL)
        return allowed

    def forget(self) -> None:
        """An ACL changed: every decision may have."""
        self._generation += 1
        self._decisions.clear()
