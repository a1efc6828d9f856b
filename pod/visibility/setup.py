"""Builds the owner's visibility and control and wires it into the app (issue 13)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from pod.config import Settings
from pod.errors import MethodNotAllowed
from pod.ldp.operations import Resources
from pod.visibility import api, dashboard
from pod.visibility.access_log import AccessLog
from pod.visibility.app_control import AppControl
from pod.visibility.recorder import pod_resolver, response_hook
from pod.visibility.service import VISIBILITY, Visibility
from pod.wac.access_control import AccessControl

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DAY = 24 * 3600


def _only(methods: tuple[str, ...], handler: Handler) -> Handler:
    allow = ", ".join([*methods, "OPTIONS"])

    async def route(request: web.Request) -> web.StreamResponse:
        if request.method == "OPTIONS":
            return web.Response(status=204, headers={"Allow": allow})
        if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
            raise MethodNotAllowed(f"{request.method} is not supported here", headers={"Allow": allow})
        return await handler(request)

    return route


def install(
    app: web.Application, settings: Settings, resources: Resources, access: AccessControl
) -> Visibility:
    """Call before the account API is installed: its catch-all under `/.account/` would hide these routes."""
    state = resources.storages.state
    assert state is not None, "the access log lives in the internal state"
    access_log = AccessLog(
        state,
        pod_resolver(resources.storages, settings.base_url),
        retention=settings.access_log_retention_days * DAY,
        max_entries=settings.access_log_max_entries,
    )
    apps = AppControl(state)
    # Issue 13: the owner's blocked apps (and, in approved-only mode, unknown ones) are refused before WAC.
    access.app_policy = apps
    visibility = app[VISIBILITY] = Visibility(access_log, apps, resources, access)
    app.on_response_prepare.append(response_hook(access_log, settings.base_url))

    async def start(_app: web.Application) -> None:
        access_log.start()

    async def stop(_app: web.Application) -> None:
        await access_log.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    pod = settings.base_path + ".account/account/{account}/pod/{pod}/"
    routes: list[tuple[str, tuple[str, ...], Handler]] = [
        (pod + "access-log/", ("GET",), api.access_log),
        (pod + "access/", ("GET", "POST"), api.access),
        (pod + "apps/", ("GET", "POST"), api.apps),
        (pod + "dashboard/", ("GET", "POST"), dashboard.dashboard),
    ]
    for path, methods, handler in routes:
        app.router.add_route("*", path, _only(methods, handler))
    return visibility
