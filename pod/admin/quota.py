"""Quotas: a write that would take a pod past its quota is a 413 that says the quota and the usage.

Room is reserved per pod before a write and released after it, in a section with no await
between the check and the reservation: asyncio runs it as one step, so it is the per-pod lock,
and writes racing to the limit can never together pass it.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from pod.admin.policy import AccountPolicy
from pod.admin.usage import PodUsage, UsageLedger
from pod.errors import PayloadTooLarge
from pod.ldp.identifiers import ResourceIdentifier
from pod.storage.base import Body


def _refusal(storage: ResourceIdentifier, quota: int, used: int, needed: int) -> PayloadTooLarge:
    # RFC 9110 §15.5.14: 413 Content Too Large; the reason names the quota and the usage.
    return PayloadTooLarge(
        f"the pod {storage.path} is over its quota: it may hold {quota} bytes and uses {used}; "
        f"this write needs {needed} more",
        headers={"X-Pod-Quota": str(quota), "X-Pod-Usage": str(used)},
    )


class Quotas:
    """The QuotaGuard of pod.ldp.quota over the usage ledger and the operator's account policy."""

    def __init__(self, ledger: UsageLedger, policy: AccountPolicy) -> None:
        self.ledger = ledger
        self.policy = policy

    async def _limit(self, identifier: ResourceIdentifier) -> tuple[ResourceIdentifier, int] | None:
        # Quotas apply to registered pods only (the ledger also counts a pod's folder while it is made).
        storage = self.ledger.storages.storage_of(identifier)
        if storage is None:
            return None
        quota = await self.policy.quota_of(storage)
        return None if quota is None else (storage, quota)

    async def admit(self, identifier: ResourceIdentifier, body: Body, length: int | None) -> Body:
        limit = await self._limit(identifier)
        if limit is None:
            return body
        storage, quota = limit
        usage = await self.ledger.ensure(storage)
        old = await self.ledger.store.stat(identifier)
        old_size = 0 if old is None or old.is_container else old.size
        room = quota - usage.bytes - usage.reserved + old_size
        if length is not None and length > room:
            # Refused before a byte of the body is read: Content-Length already says it cannot fit.
            raise _refusal(storage, quota, usage.bytes, length - old_size)
        if isinstance(body, bytes):
            return body
        return self._capped(body, storage, quota, room, old_size)

    async def _capped(
        self, body: AsyncIterable[bytes], storage: ResourceIdentifier, quota: int, room: int, old_size: int
    ) -> AsyncIterator[bytes]:
        """A streamed body (no Content-Length, chunked) stops with a 413 once it outgrows the room."""
        received = 0
        async for chunk in body:
            received += len(chunk)
            if received > room:
                raise _refusal(storage, quota, self.ledger.known().get(storage, 0), received - old_size)
            yield chunk

    def reserve(self, identifier: ResourceIdentifier, new_size: int, old_size: int) -> _Reservation:
        return _Reservation(self, identifier, new_size - old_size)


class _Reservation:
    """Room held in a pod for one write (`Quotas.reserve`); a plain object, since every write takes
    one and an async generator's context manager costs ~2 µs more."""

    __slots__ = ("_growth", "_identifier", "_quotas", "_usage")

    def __init__(self, quotas: Quotas, identifier: ResourceIdentifier, growth: int) -> None:
        self._quotas = quotas
        self._identifier = identifier
        self._growth = growth
        self._usage: PodUsage | None = None

    async def __aenter__(self) -> None:
        if self._growth <= 0:
            return  # shrinking is always allowed: it is how a full pod gets room again
        limit = await self._quotas._limit(self._identifier)
        if limit is None:
            return
        storage, quota = limit
        usage = await self._quotas.ledger.ensure(storage)
        # The per-pod critical section: no await between the check and the reservation.
        if usage.bytes + usage.reserved + self._growth > quota:
            raise _refusal(storage, quota, usage.bytes, self._growth)
        usage.reserved += self._growth
        self._usage = usage

    async def __aexit__(self, *exc_info: object) -> None:
        if self._usage is not None:
            self._usage.reserved -= self._growth
