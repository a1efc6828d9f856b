"""What the operator decided per account: quota overrides and suspensions (`admin/policy.json`).

Kept in the internal state and re-read when another process (the `pod accounts` / `pod admin`
commands) changed it, so a decision taken on the command line applies within a second.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from pod.idp.accounts import Accounts
from pod.ldp.identifiers import ResourceIdentifier
from pod.ldp.storages import Storages
from pod.storage.internal import InternalState

KEY = "admin/policy.json"
LOCK = "admin-policy"
RELOAD_INTERVAL = 1.0
# How long the account owning a pod is remembered (pods rarely change hands: only when deleted).
OWNER_TTL = 10.0


def parse_quota(value: object) -> int | None:
    """A quota in bytes: a non-negative integer; "none"/"unlimited" for no quota. ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"a quota is a number of bytes, not {value!r}")
    text = str(value).strip().lower()
    if text in ("none", "unlimited"):
        return None
    try:
        quota = int(text)
    except ValueError:
        raise ValueError(f"a quota is a number of bytes, not {value!r}") from None
    if quota < 0:
        raise ValueError(f"a quota cannot be negative: {value!r}")
    return quota


@dataclass
class _Policy:
    quotas: dict[str, int | None] = field(default_factory=dict)  # account id → bytes (None: unlimited)
    suspended: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, data: bytes | None) -> _Policy:
        if not data:
            return cls()
        raw = json.loads(data)
        return cls(dict(raw.get("quotas", {})), set(raw.get("suspended", [])))

    def dump(self) -> bytes:
        body = {"quotas": self.quotas, "suspended": sorted(self.suspended)}
        return json.dumps(body, indent=1).encode("utf-8")


class AccountPolicy:
    """Quota and suspension of the account behind each pod."""

    def __init__(self, state: InternalState, storages: Storages, default_quota: int | None) -> None:
        self.state = state
        self.storages = storages
        self.accounts = Accounts(state)
        self.default_quota = default_quota
        self._policy = _Policy()
        self._stamp: int | None = None
        self._checked = -RELOAD_INTERVAL
        self._owners: dict[ResourceIdentifier, tuple[str | None, float]] = {}

    def _fresh(self) -> _Policy:
        if time.monotonic() - self._checked > RELOAD_INTERVAL:
            self._checked = time.monotonic()
            stamp = self.state.stamp(KEY)
            if stamp != self._stamp:
                self._policy = _Policy.parse(self.state.peek(KEY))
                self._stamp = stamp
        return self._policy

    async def account_of(self, storage: ResourceIdentifier) -> str | None:
        """The id of the account whose WebID owns the storage, or None (an unowned storage)."""
        cached = self._owners.get(storage)
        if cached is not None and time.monotonic() - cached[1] < OWNER_TTL:
            return cached[0]
        found = None
        for webid in sorted(self.storages.owners_of(storage)):
            account = await self.accounts.by_webid(webid)
            if account is not None:
                found = account.id
                break
        self._owners[storage] = (found, time.monotonic())
        return found

    async def quota_of(self, storage: ResourceIdentifier) -> int | None:
        """The pod's quota in bytes (None: unlimited): its account's override, else the default."""
        policy = self._fresh()
        account = await self.account_of(storage) if policy.quotas else None
        if account is not None and account in policy.quotas:
            return policy.quotas[account]
        return self.default_quota

    async def is_suspended(self, storage: ResourceIdentifier) -> bool:
        policy = self._fresh()
        if not policy.suspended:
            return False  # the hot path: nobody suspended, no account lookup
        return await self.account_of(storage) in policy.suspended

    def anyone_suspended(self) -> bool:
        """Whether any account is suspended now (when none is, no request needs a closer look)."""
        return bool(self._fresh().suspended)

    def quota_override(self, account_id: str) -> tuple[bool, int | None]:
        """(has an override, the override) for an account."""
        policy = self._fresh()
        return account_id in policy.quotas, policy.quotas.get(account_id)

    def suspended(self, account_id: str) -> bool:
        return account_id in self._fresh().suspended

    # -- changes (the CLI) ----------------------------------------------------------------------

    async def _change(self, account_id: str, quota: object = ..., suspended: bool | None = None) -> None:
        async with self.state.lock(LOCK):
            policy = _Policy.parse(await self.state.read(KEY))
            if quota == "default":
                policy.quotas.pop(account_id, None)
            elif quota is not ...:
                policy.quotas[account_id] = parse_quota(quota)
            if suspended is True:
                policy.suspended.add(account_id)
            elif suspended is False:
                policy.suspended.discard(account_id)
            await self.state.write(KEY, policy.dump())
            self._policy, self._stamp = policy, self.state.stamp(KEY)

    async def set_quota(self, account_id: str, quota: object) -> None:
        """An account's own quota: bytes, "none" (unlimited) or "default" (the server's)."""
        await self._change(account_id, quota=quota)

    async def suspend(self, account_id: str, suspended: bool = True) -> None:
        await self._change(account_id, suspended=suspended)

    async def forget(self, account_id: str) -> None:
        """An account was deleted: drop what was decided about it."""
        await self._change(account_id, quota="default", suspended=False)
