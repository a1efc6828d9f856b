"""App control per pod (issue 13): apps the owner blocked, and "only approved apps" mode.

Kept in the internal state (`$pod/app-control/{pod}.json`) and cached here, since WAC asks on
every request an owner makes; this object does every write, so the cache is never stale.
It only ever concerns requests made *as an owner of the pod*: other people's apps are theirs
to control (pod.wac.access_control calls it only for owners).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from pod.auth.credentials import Credentials
from pod.errors import BadRequest, Forbidden
from pod.ldp.identifiers import ResourceIdentifier
from pod.storage.internal import InternalState
from pod.visibility.access_log import pod_key
from pod.wac.origins import normalize_origin

FOLDER = "app-control"
# The server's own account pages acting for the owner (revocations): never an app to block.
# Not a URL, so no token can carry it as its client_id.
DASHBOARD_CLIENT = "urn:pod:dashboard"
MAX_CLIENT_ID = 2000
MAX_LISTED = 1000

Approvals = Callable[[str, str], Awaitable[bool]]


@dataclass(frozen=True)
class AppSettings:
    approved_only: bool = False
    blocked: tuple[str, ...] = ()
    approved: tuple[str, ...] = ()  # approved on the dashboard (the consent screen keeps its own)

    def to_json(self) -> dict[str, object]:
        return {
            "approvedOnly": self.approved_only,
            "blocked": list(self.blocked),
            "approved": list(self.approved),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> AppSettings:
        def strings(name: str) -> tuple[str, ...]:
            value = data.get(name)
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        return cls(bool(data.get("approvedOnly")), strings("blocked"), strings("approved"))


def check_client_id(value: object) -> str:
    """A client_id (or an app's origin) as the owner typed it: a bounded, printable string."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("`clientId` must be a non-empty string: an app's client_id or origin")
    value = value.strip()
    if len(value) > MAX_CLIENT_ID or not value.isprintable():
        raise BadRequest(f"`clientId` must be printable and at most {MAX_CLIENT_ID} characters")
    return value


def _app_keys(credentials: Credentials) -> list[str]:
    """The names an app goes by in a request: its client_id, and the origin it runs at."""
    keys = [credentials.client_id] if credentials.client_id else []
    if credentials.origin:
        keys.append(normalize_origin(credentials.origin))
    return keys


@dataclass
class AppControl:
    """pod.wac.app_policy.AppPolicy over the owners' settings."""

    state: InternalState
    # Whether a WebID approved an app on the consent screen (OidcProvider.approved); set by pod.app.
    approvals: Approvals | None = None
    _cache: dict[str, AppSettings] = field(default_factory=dict)

    async def settings(self, storage: ResourceIdentifier) -> AppSettings:
        key = pod_key(storage)
        cached = self._cache.get(key)
        if cached is None:
            data = await self.state.read(f"{FOLDER}/{key}.json")
            cached = AppSettings.from_json(json.loads(data)) if data else AppSettings()
            self._cache[key] = cached
        return cached

    async def _save(self, storage: ResourceIdentifier, settings: AppSettings) -> AppSettings:
        key = pod_key(storage)
        body = json.dumps(settings.to_json(), indent=1).encode("utf-8")
        await self.state.write(f"{FOLDER}/{key}.json", body)
        self._cache[key] = settings
        return settings

    async def set_approved_only(self, storage: ResourceIdentifier, on: bool) -> AppSettings:
        return await self._save(storage, replace(await self.settings(storage), approved_only=on))

    async def block(self, storage: ResourceIdentifier, client_id: str) -> AppSettings:
        current = await self.settings(storage)
        if client_id == DASHBOARD_CLIENT:
            raise BadRequest("the account pages cannot be blocked: they are how you unblock apps")
        if client_id in current.blocked:
            return current
        if len(current.blocked) >= MAX_LISTED:
            raise BadRequest(f"at most {MAX_LISTED} apps can be blocked per pod")
        approved = tuple(a for a in current.approved if a != client_id)
        return await self._save(
            storage, replace(current, blocked=(*current.blocked, client_id), approved=approved)
        )

    async def unblock(self, storage: ResourceIdentifier, client_id: str) -> AppSettings:
        current = await self.settings(storage)
        return await self._save(
            storage, replace(current, blocked=tuple(b for b in current.blocked if b != client_id))
        )

    async def approve(self, storage: ResourceIdentifier, client_id: str) -> AppSettings:
        current = await self.settings(storage)
        if client_id in current.approved:
            return current
        if len(current.approved) >= MAX_LISTED:
            raise BadRequest(f"at most {MAX_LISTED} apps can be approved per pod")
        blocked = tuple(b for b in current.blocked if b != client_id)
        return await self._save(
            storage, replace(current, approved=(*current.approved, client_id), blocked=blocked)
        )

    async def unapprove(self, storage: ResourceIdentifier, client_id: str) -> AppSettings:
        current = await self.settings(storage)
        return await self._save(
            storage, replace(current, approved=tuple(a for a in current.approved if a != client_id))
        )

    async def forget(self, storage: ResourceIdentifier) -> None:
        key = pod_key(storage)
        self._cache.pop(key, None)
        await self.state.delete(f"{FOLDER}/{key}.json")

    # -- the question WAC asks --------------------------------------------------------------------

    async def check(self, credentials: Credentials, storage: ResourceIdentifier) -> None:
        if credentials.client_id == DASHBOARD_CLIENT and credentials.issuer is None:
            return
        settings = await self.settings(storage)
        if not settings.blocked and not settings.approved_only:
            return  # the common case: one dictionary lookup
        keys = _app_keys(credentials)
        for key in keys:
            if key in settings.blocked:
                raise Forbidden(f"the pod's owner has blocked the app {key} from acting as them")
        if settings.approved_only and not await self._approved(credentials, settings, keys):
            app = keys[0] if keys else "an app that does not say which it is"
            raise Forbidden(
                f"this pod accepts only apps its owner approved, and {app} is not one of them: "
                "approve it on the consent screen or the account dashboard"
            )

    async def _approved(self, credentials: Credentials, settings: AppSettings, keys: list[str]) -> bool:
        if any(key in settings.approved for key in keys):
            return True
        agent = credentials.agent
        if agent is None or self.approvals is None or not credentials.client_id:
            return False
        # An approval on the consent screen is of the client_id itself (not of its origin alone).
        return await self.approvals(agent, credentials.client_id)
