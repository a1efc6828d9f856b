"""Approvals given on the consent screen, per (WebID, client), and what WAC asks of them.

DESIGN "Browser origins": a request from a browser origin passes WAC's origin check when the
requesting agent approved the app at that origin on this server's consent screen. So each approval
also records the origin of the redirect URI the app was sent back to.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from pod.auth.credentials import Credentials
from pod.idp.oidc.clients import origin_of
from pod.idp.oidc.state import OidcState
from pod.ldp.cache import Lru
from pod.wac.origins import normalize_origin

_KIND = "consents"


def _key(webid: str) -> str:
    return hashlib.sha256(webid.encode("utf-8")).hexdigest()


class Consents:
    def __init__(self, state: OidcState, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self._clock = clock
        # Read on WAC's path for every cross-origin request: cached (bounded, as remote agents ask
        # too); this object does every write, so the cache is never stale.
        self._cache: Lru[str, dict[str, Any]] = Lru(10_000)

    async def _record(self, webid: str) -> dict[str, Any]:
        cached = self._cache.get(webid)
        if cached is None:
            cached = await self.state.get(_KIND, _key(webid)) or {"webid": webid, "clients": {}}
            self._cache.put(webid, cached)
        return cached

    async def approve(self, webid: str, client_id: str, redirect_uri: str) -> None:
        record = await self._record(webid)
        clients = dict(record["clients"])
        entry = clients.get(client_id, {"origins": []})
        origins = sorted({*entry["origins"], origin_of(redirect_uri)})
        clients[client_id] = {"origins": origins, "approved_at": int(self._clock())}
        updated = {"webid": webid, "clients": clients}
        await self.state.put(_KIND, _key(webid), updated)
        self._cache.put(webid, updated)

    async def withdraw(self, webid: str, client_id: str) -> None:
        """Forget an approval (for the dashboard): the app must ask again."""
        record = await self._record(webid)
        clients = {cid: entry for cid, entry in record["clients"].items() if cid != client_id}
        updated = {"webid": webid, "clients": clients}
        await self.state.put(_KIND, _key(webid), updated)
        self._cache.put(webid, updated)

    async def approved(self, webid: str, client_id_or_origin: str) -> bool:
        """Whether `webid` approved this client (by client_id) or an app at this origin."""
        clients: dict[str, Any] = (await self._record(webid))["clients"]
        if client_id_or_origin in clients:
            return True
        if urlsplit(client_id_or_origin).path not in ("", "/"):
            return False  # a client_id URL that was not approved itself, not an origin
        origin = normalize_origin(client_id_or_origin)
        return any(origin in entry["origins"] for entry in clients.values())


class ConsentTrustedApps:
    """WAC's TrustedApps (pod.wac.origins) answered from the consent screen's approvals."""

    def __init__(self, consents: Consents) -> None:
        self.consents = consents

    async def trusts(self, credentials: Credentials, origin: str) -> bool:
        if credentials.agent is None:
            return False
        return await self.consents.approved(credentials.agent, origin)
