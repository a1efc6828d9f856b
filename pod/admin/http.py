"""The operator's HTTP surface: `/.well-known/health`, `/metrics`, and suspended pods refused.

`/metrics` and suspended pods are opened by the admin token (`Authorization: Bearer <token>`,
Setting `admin_token`); `/metrics` also to loopback clients that came through no proxy.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware

from pod import __version__
from pod.admin.metrics import CONTENT_TYPE, Metrics
from pod.admin.policy import AccountPolicy
from pod.errors import BadRequest, Forbidden, MethodNotAllowed
from pod.http.authentication import without_authorization
from pod.ldp.identifiers import parse_path
from pod.ldp.storages import Storages
from pod.storage.internal import InternalState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
# Headers a reverse proxy adds: behind one, every client looks like loopback, so they are not.
FORWARDING = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def is_admin(request: web.Request, token: str | None) -> bool:
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def is_loopback(request: web.Request) -> bool:
    return request.remote in LOOPBACK and not any(h in request.headers for h in FORWARDING)


class Health:
    """Liveness (the process answers) and readiness (storage writable, internal state readable)."""

    def __init__(self, state: InternalState, data_dir: Path | None) -> None:
        self.state = state
        self.probe_folder = None if data_dir is None else Path(data_dir).resolve() / "$pod" / "health"

    def _write_probe(self) -> None:
        assert self.probe_folder is not None
        self.probe_folder.mkdir(parents=True, exist_ok=True)
        probe = self.probe_folder / uuid.uuid4().hex
        with open(probe, "wb") as file:
            file.write(b"ok")
            file.flush()
            os.fsync(file.fileno())
        os.unlink(probe)

    async def _check(self, check: Callable[[], Awaitable[object]]) -> dict[str, object]:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(5):
                await check()
        except Exception as error:  # a health check reports every failure, it never raises
            return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
        return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}

    async def _storage(self) -> None:
        if self.probe_folder is not None:
            await asyncio.to_thread(self._write_probe)

    async def _state(self) -> None:
        await self.state.read("storages.json")
        await self.state.keys("accounts")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed("the health endpoint is read-only", headers={"Allow": "GET, HEAD"})
        checks = {"storage": await self._check(self._storage), "state": await self._check(self._state)}
        ready = all(c["ok"] for c in checks.values())
        body = {
            "status": "ok" if ready else "unavailable",
            "live": True,
            "ready": ready,
            "version": __version__,
            "checks": checks,
        }
        # 503 while not ready: load balancers take the instance out of rotation.
        return web.json_response(
            body,
            status=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
            dumps=lambda v: json.dumps(v, indent=1),
        )


def metrics_handler(metrics: Metrics, token: str | None) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not (is_admin(request, token) or is_loopback(request)):
            raise Forbidden("the metrics are for the operator: send the admin token, or ask from the server")
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed("the metrics are read-only", headers={"Allow": "GET, HEAD"})
        return web.Response(
            body=metrics.text(), headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"}
        )

    return handle


def suspension_middleware(
    policy: AccountPolicy, storages: Storages, base_path: str, token: str | None
) -> Middleware:
    """A suspended account's pods answer 403 to everyone but the operator (issue 15)."""

    @web.middleware
    async def refuse_suspended(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not policy.anyone_suspended():
            return await handler(request)
        raw = request.raw_path.split("?", 1)[0]
        if not raw.startswith(base_path):
            return await handler(request)
        try:
            identifier = parse_path("/" + raw[len(base_path) :])
        except BadRequest:
            return await handler(request)  # the LDP handler gives the reason
        storage = storages.storage_of(identifier)
        if storage is None or not await policy.is_suspended(storage):
            return await handler(request)
        if not is_admin(request, token):
            raise Forbidden(f"the pod {storage.path} is suspended by the server's operator")
        # The operator passes; the token is not a Solid credential, so WAC sees a public request.
        return await handler(without_authorization(request))

    return refuse_suspended
