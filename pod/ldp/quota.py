"""The seam through which the LDP operations ask for room in a pod before they write (issue 15)."""

from __future__ import annotations

import contextlib
from typing import Protocol

from pod.ldp.identifiers import ResourceIdentifier
from pod.storage.base import Body


class QuotaGuard(Protocol):
    async def admit(self, identifier: ResourceIdentifier, body: Body, length: int | None) -> Body:
        """Before a body is received: 413 when its announced length cannot fit; else the body,
        cut off with a 413 as soon as it has grown past the room left."""
        ...

    def reserve(
        self, identifier: ResourceIdentifier, new_size: int, old_size: int
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold room for a write of `new_size` bytes replacing `old_size` for as long as it runs; 413
        when the pod's quota cannot hold it."""
        ...


class NoQuota:
    """No limits (memory-only tests, tools)."""

    async def admit(self, identifier: ResourceIdentifier, body: Body, length: int | None) -> Body:
        return body

    def reserve(
        self, identifier: ResourceIdentifier, new_size: int, old_size: int
    ) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()


NO_QUOTA = NoQuota()
